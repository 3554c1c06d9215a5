// The portfolio page: every project with health and reasons, sortable and filterable.
"use strict";

(async function () {
  const { el, num, pct, ago, rag } = pmo;
  let data;
  try {
    data = await pmo.get("/api/v1/portfolio");
  } catch (err) {
    pmo.fail("the portfolio", err);
    return;
  }
  document.getElementById("generated").textContent = `Computed ${new Date(data.generated_at).toLocaleString("en-GB")}`;
  const projects = data.projects;
  const rank = { red: 0, amber: 1, green: 2 };

  // the recent pace: mean of the last four sampled weeks, and the change from the four before
  const trend = (p) => {
    const w = p.throughput.map((x) => x.items);
    const mean = (a) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : 0);
    const recent = mean(w.slice(-4)), before = mean(w.slice(-8, -4));
    return { recent, delta: before > 0 ? (recent - before) / before : null };
  };

  // cards
  const count = (f) => projects.filter(f).length;
  const sum = (f) => projects.reduce((s, p) => s + f(p), 0);
  const staleSources = data.sources.filter((s) => s.lag_seconds == null || s.lag_seconds > 86400 || s.last_status === "failed").length;
  const cards = [
    ["Projects", projects.length, `${count((p) => p.health.rag === "red")} red · ${count((p) => p.health.rag === "amber")} amber · ${count((p) => p.health.rag === "green")} green`, "projects"],
    ["In progress", sum((p) => p.wip), `${num(sum((p) => p.stale))} stale`, "wip"],
    ["Overdue items", sum((p) => p.overdue), `${num(sum((p) => p.overdue_milestones.length))} overdue milestones`, "overdue"],
    ["Finished last 4 wks", sum((p) => p.throughput.slice(-4).reduce((s, w) => s + w.items, 0)), "across all sources", "finished"],
    ["Sources", data.sources.length, staleSources ? `${staleSources} stale or failing` : "all fresh", "sources"],
  ];
  document.getElementById("cards").append(...cards.map(([label, value, sub, id]) =>
    el("div", { class: "card", "data-card": id }, el("div", { class: "label" }, label), el("div", { class: "value" }, num(value)), el("div", { class: "sub" }, sub))));

  // filters
  const fill = (id, values) => {
    const s = document.getElementById(id);
    [...new Set(values.filter(Boolean))].sort().forEach((v) => s.append(el("option", { value: v }, v)));
  };
  fill("f-programme", projects.map((p) => p.programme));
  fill("f-owner", projects.map((p) => p.owner));

  const keyOf = {
    name: (p) => p.name.toLowerCase(), programme: (p) => p.programme, owner: (p) => p.owner,
    health: (p) => rank[p.health.rag] ?? 3, percent: (p) => p.percent_by_count ?? -1,
    forecast: (p) => p.forecast.p85 || "9999", trend: (p) => trend(p).recent,
    overdue: (p) => p.overdue + p.overdue_milestones.length, stale: (p) => p.stale, lag: (p) => p.lag_seconds ?? Infinity,
  };
  let sortKey = "health", sortDir = 1;

  const forecastCell = (p) => {
    const f = p.forecast;
    if (p.todo + p.wip === 0) return el("span", { class: "muted" }, p.items > 0 ? "complete" : "no items yet");
    if (!f.p50) return el("span", { class: "muted", title: f.reason || "" }, f.reason ? "no forecast" : "–");
    const late = p.target_date && f.p85 > p.target_date, risky = p.target_date && f.p50 > p.target_date;
    return el("div", {},
      el("span", { class: late ? "late" : risky ? "warn" : "", "data-col": "forecast" }, `${f.p50} · ${f.p85}`),
      el("div", { class: "muted" }, p.target_date ? `target ${p.target_date}` : "no target"));
  };

  const row = (p) => {
    const t = trend(p);
    const arrow = t.delta == null ? "" : t.delta > 0.1 ? " ▲" : t.delta < -0.1 ? " ▼" : " ▶";
    const health = el("td", {}, rag(p.health),
      p.health.reported ? el("span", { class: "reported", title: "Health reported in the register" }, `reported: ${p.health.reported}`) : null,
      el("ul", { class: "reasons" }, p.health.reasons.map((r) => el("li", {}, r))));
    const bar = el("div", { class: "bar", "aria-hidden": "true" }, el("span", { style: `width:${Math.min(100, p.percent_by_count || 0)}%` }));
    return el("tr", { "data-project": p.id },
      el("td", {}, el("a", { href: `/project?id=${encodeURIComponent(p.id)}` }, p.name), el("div", { class: "muted" }, p.key || p.id)),
      el("td", {}, p.programme || "–"),
      el("td", {}, p.owner || "–"),
      health,
      el("td", { class: "num" }, el("span", { "data-col": "percent" }, pct(p.percent_by_count)), bar,
        el("div", { class: "muted", title: "by estimate" }, p.percent_by_estimate == null ? "" : `${pct(p.percent_by_estimate)} by estimate`)),
      el("td", {}, forecastCell(p)),
      el("td", { class: "num", title: p.throughput.map((w) => `${w.week}: ${w.items}`).join("\n") }, el("span", { "data-col": "trend" }, num(t.recent, 1)), arrow),
      el("td", { class: "num" }, el("span", { "data-col": "overdue", class: p.overdue ? "late" : "" }, num(p.overdue)),
        p.overdue_milestones.length ? el("div", { class: "late" }, `${p.overdue_milestones.length} milestone${p.overdue_milestones.length > 1 ? "s" : ""}`) : null),
      el("td", { class: "num" }, el("span", { "data-col": "stale", class: p.stale ? "warn" : "" }, num(p.stale))),
      el("td", { class: p.lag_seconds == null || p.lag_seconds > 86400 ? "warn" : "" }, el("span", { "data-col": "lag" }, ago(p.lag_seconds))));
  };

  const tbody = document.querySelector("#projects tbody");
  const render = () => {
    const prog = document.getElementById("f-programme").value, owner = document.getElementById("f-owner").value;
    const health = document.getElementById("f-health").value, text = document.getElementById("f-text").value.trim().toLowerCase();
    const shown = projects.filter((p) => (!prog || p.programme === prog) && (!owner || p.owner === owner) &&
      (!health || p.health.rag === health) && (!text || `${p.name} ${p.key} ${p.id}`.toLowerCase().includes(text)));
    const k = keyOf[sortKey];
    shown.sort((a, b) => (k(a) < k(b) ? -sortDir : k(a) > k(b) ? sortDir : a.name.localeCompare(b.name)));
    tbody.replaceChildren(...shown.map(row));
    document.getElementById("empty").hidden = shown.length > 0;
    document.querySelectorAll("#projects th[data-sort]").forEach((th) => {
      if (th.dataset.sort === sortKey) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending"); else th.removeAttribute("aria-sort");
    });
  };
  document.querySelectorAll("#projects th[data-sort]").forEach((th) => {
    th.tabIndex = 0;
    const go = () => { sortDir = sortKey === th.dataset.sort ? -sortDir : 1; sortKey = th.dataset.sort; render(); };
    th.addEventListener("click", go);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
  });
  ["f-programme", "f-owner", "f-health", "f-text"].forEach((id) => document.getElementById(id).addEventListener("input", render));
  render();

  // portfolio throughput by week, stacked by programme
  const weeks = projects.length ? projects[0].throughput.map((w) => w.week) : [];
  const byProg = {};
  for (const p of projects) {
    const k = p.programme || "No programme";
    byProg[k] = byProg[k] || weeks.map(() => 0);
    p.throughput.forEach((w, i) => (byProg[k][i] += w.items));
  }
  pmo.chart("chart-throughput").setOption({
    color: pmo.palette, animation: false,
    tooltip: { trigger: "axis" }, legend: { bottom: 0 },
    grid: { left: 40, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: weeks }, yAxis: { type: "value", minInterval: 1 },
    series: Object.entries(byProg).map(([name, data]) => ({ name, type: "bar", stack: "all", data })),
  });

  // sources
  document.querySelector("#sources tbody").append(...data.sources.map((s) => el("tr", { "data-source": s.source },
    el("td", {}, s.source),
    el("td", { class: s.lag_seconds == null || s.lag_seconds > 86400 ? "warn" : "" }, s.last_success ? `${pmo.date(s.last_success)} (${ago(s.lag_seconds)})` : "never"),
    el("td", { class: s.last_status === "failed" ? "late" : "" }, s.last_status),
    el("td", { class: "muted" }, s.last_error || ""))));
})();
