// Shared helpers for the dashboard pages: fetching the API, formatting, safe DOM building.
"use strict";

const pmo = {
  async get(path) {
    const res = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || `${res.status} ${res.statusText}`);
    return body;
  },
  // el builds an element; children may be strings, nodes or arrays of them.
  el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
    return e;
  },
  num(v, digits = 0) {
    return v == null ? "–" : Number(v).toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  },
  pct(v) { return v == null ? "–" : `${pmo.num(v, 1)}%`; },
  ago(seconds) {
    if (seconds == null) return "never";
    const m = seconds / 60, h = m / 60, d = h / 24;
    if (m < 1) return "just now";
    if (h < 1) return `${Math.round(m)} min ago`;
    if (d < 1) return `${Math.round(h)} h ago`;
    return `${Math.round(d)} d ago`;
  },
  date(iso) { return iso ? String(iso).slice(0, 10) : "–"; },
  rag(h) {
    const c = h && h.rag ? h.rag : "none";
    return pmo.el("span", { class: `rag ${c}`, "data-rag": c }, c === "none" ? "n/a" : c);
  },
  itemLink(it) {
    return it.url ? pmo.el("a", { href: it.url, target: "_blank", rel: "noopener" }, it.key || it.item_id) : (it.key || it.item_id);
  },
  fail(where, err) {
    const box = pmo.el("div", { class: "error", role: "alert" }, `Could not load ${where}: ${err.message}`);
    document.querySelector("main").prepend(box);
  },
  chart(id) {
    const node = document.getElementById(id);
    const c = echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", () => c.resize());
    return c;
  },
  palette: ["#2d5bd7", "#1f8a4c", "#b86e00", "#c8362f", "#7a4fd1", "#0f8b9c"],
};
