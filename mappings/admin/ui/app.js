// Admin page for field mappings: edit, validate as you type, preview, apply, roll back.
"use strict";
(function () {
  const api = "/api/v1/mappings";
  const $ = (id) => document.getElementById(id);
  const ed = $("editor"), gutter = $("gutter");
  let source = "", timer = 0, seq = 0, problems = [];

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? "" : String(k)));
    return e;
  }
  function status(text) { $("status").textContent = text; }
  async function call(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const res = await fetch(api + path, opts);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { const err = new Error(data.error || res.statusText); err.data = data; throw err; }
    return data;
  }
  const src = () => "/sources/" + encodeURIComponent(source);

  // Line numbers, with marks where problems are.
  function renderGutter() {
    const n = ed.value.split("\n").length;
    const marks = {};
    for (const p of problems) if (p.line) marks[p.line] = marks[p.line] === "err" ? "err" : (p.severity === "error" ? "err" : "warn");
    gutter.textContent = "";
    for (let i = 1; i <= n; i++) {
      gutter.append(marks[i] ? el("span", { class: marks[i] }, String(i)) : String(i), "\n");
    }
    gutter.scrollTop = ed.scrollTop;
  }
  function jump(line, col) {
    const lines = ed.value.split("\n");
    let pos = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
    pos += Math.max(0, (col || 1) - 1);
    ed.focus();
    ed.setSelectionRange(pos, pos);
    ed.scrollTop = Math.max(0, (line - 5) * 20);
    gutter.scrollTop = ed.scrollTop;
  }
  function renderProblems(list) {
    problems = list || [];
    const ul = $("problems");
    ul.textContent = "";
    if (!problems.length) ul.append(el("li", { class: "muted" }, "No problems."));
    for (const p of problems) {
      ul.append(el("li", { class: p.severity, title: p.text, onclick: () => jump(p.line, p.column) },
        el("span", { class: "loc" }, p.line ? p.line + ":" + p.column : "—"),
        el("span", {}, el("span", { class: "msg" }, (p.key ? p.key + ": " : "") + p.message), p.hint ? el("span", { class: "hint" }, p.hint) : "")));
    }
    const errors = problems.filter((p) => p.severity === "error").length;
    const v = $("validity");
    v.textContent = errors ? errors + " error" + (errors > 1 ? "s" : "") : (problems.length ? "valid, " + problems.length + " warning" + (problems.length > 1 ? "s" : "") : "valid");
    v.className = "badge " + (errors ? "bad" : "ok");
    $("apply-btn").disabled = errors > 0;
    renderGutter();
  }
  async function validate() {
    const my = ++seq;
    try {
      const r = await call("POST", src() + "/validate", { text: ed.value });
      if (my === seq) { renderProblems(r.problems); status(recordsText(r.records)); }
    } catch (e) { if (my === seq) status("Validation failed: " + e.message); }
  }
  function recordsText(rec) {
    const parts = Object.entries(rec || {}).map(([s, n]) => n + " " + s);
    return parts.length ? "checked against " + parts.join(", ") : "no stored records yet";
  }
  function table(head, rows, cls) {
    const t = el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { class: /count|added|removed|changed|unchanged/.test(h) ? "num" : "" }, h)))));
    const body = el("tbody");
    rows.forEach((r, i) => body.append(el("tr", { class: cls ? cls[i] || "" : "" }, ...r.map((c) => c instanceof Node ? el("td", {}, c) : el("td", { class: typeof c === "number" ? "num" : "" }, c)))));
    t.append(body);
    return el("div", { class: "scroll" }, t);
  }
  function renderPreview(p) {
    const box = $("preview");
    box.className = "";
    box.textContent = "";
    $("records").textContent = recordsText(p.records);
    if (!p.valid) { box.append(el("p", { class: "muted" }, "Fix the errors first.")); renderProblems(p.problems); return; }
    renderProblems(p.problems);
    box.append(el("h3", {}, "Difference from the warehouse"));
    box.append(el("div", { id: "diff" }, table(["entity", "added", "removed", "changed", "unchanged"],
      (p.diff || []).map((d) => [d.table, d.added, d.removed, d.changed, d.unchanged]))));
    const ex = [], cls = [];
    for (const d of p.diff || []) for (const c of d.examples || []) {
      const what = c.fields ? el("span", {}, ...c.fields.flatMap((f) => [f.field + ": ", el("span", { class: "before" }, f.before || "∅"), " → ", el("span", { class: "after" }, f.after || "∅"), el("br")])) : "";
      ex.push([d.table, c.change, c.key, what]); cls.push(c.change);
    }
    if (ex.length) box.append(table(["entity", "change", "key", "fields"], ex, cls));
    box.append(el("h3", {}, "Unmapped values"));
    const un = p.unmapped || [];
    box.append(el("div", { id: "unmapped" }, un.length ? table(["field", "value", "count", "became"],
      un.map((u) => [u.Entity + "." + u.Field, u.Value, u.Count, u.Default || "(empty)"])) : el("p", { class: "muted" }, "Every value is mapped.")));
    if ((p.problem_counts || []).length) {
      box.append(el("h3", {}, "Problems while mapping"));
      box.append(table(["field", "problem", "count"], p.problem_counts.map((c) => [c.Entity + "." + c.Field, c.Message, c.Count])));
    }
    for (const [t, rows] of Object.entries(p.rows || {})) {
      if (!rows.length) continue;
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      box.append(el("h3", {}, t + " (first " + rows.length + ")"));
      box.append(table(cols, rows.map((r) => cols.map((c) => r[c] || ""))));
    }
  }
  async function preview() {
    status("Previewing…");
    try { renderPreview(await call("POST", src() + "/preview", { text: ed.value, limit: 20 })); status("Preview ready"); }
    catch (e) { status("Preview failed: " + e.message); }
  }
  async function apply() {
    if (!confirm("Apply this mapping to " + source + "? Its rows are re-derived from the stored records.")) return;
    status("Applying…");
    $("apply-btn").disabled = true;
    try {
      const r = await call("POST", src() + "/apply", { text: ed.value, note: $("note").value });
      $("note").value = "";
      await loadSource();
      status("Applied version " + r.version + ": " + r.rows + " rows from " + r.records + " records, " + r.problems + " problems");
    } catch (e) {
      status("Not applied: " + e.message);
      if (e.data && e.data.problems) renderProblems(e.data.problems);
    } finally { $("apply-btn").disabled = problems.some((p) => p.severity === "error"); }
  }
  async function rollback(v) {
    if (!confirm("Roll " + source + " back to version " + v + "?")) return;
    status("Rolling back…");
    try { const r = await call("POST", src() + "/rollback", { to: v }); await loadSource(); status("Rolled back: now version " + r.version); }
    catch (e) { status("Rollback failed: " + e.message); }
  }
  async function loadHistory() {
    const ul = $("history");
    ul.textContent = "";
    const list = await call("GET", src() + "/history");
    if (!list.length) ul.append(el("li", { class: "muted" }, "Nothing applied yet: the mapping in force comes from the config."));
    list.forEach((v, i) => ul.append(el("li", { "data-version": v.version },
      el("span", { class: "v" }, "v" + v.version),
      el("span", { class: "note" }, v.note || "", el("br"), el("span", { class: "meta" }, v.applied_by + " · " + new Date(v.applied_at).toLocaleString() + " · generation " + v.generation)),
      el("button", { class: "small", type: "button", onclick: () => view(v.version) }, "View"),
      i === 0 ? el("span", { class: "badge ok" }, "in force") : el("button", { class: "small", type: "button", onclick: () => rollback(v.version) }, "Roll back to this"))));
  }
  async function view(v) {
    const r = await call("GET", src() + "/history/" + v);
    ed.value = r.text; renderGutter(); validate(); status("Loaded version " + v + " into the editor (not applied)");
  }
  async function loadSource() {
    const cur = await call("GET", src());
    ed.value = cur.text;
    $("origin").textContent = cur.origin === "applied" ? "applied version " + cur.version : cur.origin === "file" ? "from " + cur.file : "built-in mapping";
    renderGutter();
    await Promise.all([validate(), loadHistory()]);
  }
  async function init() {
    const list = await call("GET", "/sources");
    const sel = $("source");
    for (const s of list) sel.append(el("option", { value: s.name }, s.name + " (" + s.kind + ")"));
    const want = new URLSearchParams(location.search).get("source");
    if (want && list.some((s) => s.name === want)) sel.value = want;
    source = sel.value;
    sel.addEventListener("change", () => { source = sel.value; loadSource(); });
    ed.addEventListener("input", () => { renderGutter(); clearTimeout(timer); timer = setTimeout(validate, 400); });
    ed.addEventListener("scroll", () => { gutter.scrollTop = ed.scrollTop; });
    ed.addEventListener("keydown", (e) => {
      if (e.key === "Tab") { e.preventDefault(); const s = ed.selectionStart; ed.setRangeText("  ", s, ed.selectionEnd, "end"); ed.dispatchEvent(new Event("input")); }
    });
    $("preview-btn").addEventListener("click", preview);
    $("apply-btn").addEventListener("click", apply);
    if (source) await loadSource(); else status("No sources configured.");
  }
  init().catch((e) => status("Could not load: " + e.message));
})();
