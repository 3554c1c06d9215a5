// The project page: summary, burn-up, throughput, cycle-time scatter, aging WIP, and the
// overdue and stale items linking back to their tools.
"use strict";

(async function () {
  const { el, num, pct, ago, rag, date, itemLink } = pmo;
  const id = new URLSearchParams(location.search).get("id") || "";
  const q = `project=${encodeURIComponent(id)}`;
  let p;
  try {
    p = await pmo.get(`/api/v1/projects/${encodeURIComponent(id)}`);
  } catch (err) {
    pmo.fail(`project ${id}`, err);
    return;
  }
  document.title = `${p.name} · pmohub`;
  document.getElementById("generated").textContent = p.last_success ? `Data as of ${new Date(p.last_success).toLocaleString("en-GB")}` : "";

  const f = p.forecast;
  document.getElementById("hero").append(
    el("h1", { "data-field": "name" }, p.name),
    el("div", { class: "meta" }, [p.key || p.id, p.programme && `programme ${p.programme}`, p.owner && `owner ${p.owner}`,
      p.reported_status && `reported status: ${p.reported_status}`].filter(Boolean).join(" · "),
    p.url ? [" · ", el("a", { href: p.url, target: "_blank", rel: "noopener" }, "open in its tool")] : null),
    el("div", { class: "health" }, el("div", {}, rag(p.health),
      p.health.reported ? el("span", { class: "reported" }, `reported: ${p.health.reported}`) : null),
    el("ul", { class: "reasons" }, p.health.reasons.map((r) => el("li", {}, r)))));

  const card = (label, value, sub, key) => el("div", { class: "card", "data-card": key },
    el("div", { class: "label" }, label), el("div", { class: "value" }, value), el("div", { class: "sub" }, sub));
  document.getElementById("cards").append(
    card("Complete", pct(p.percent_by_count), `${num(p.done)} of ${num(p.items - p.cancelled)} items · ${pct(p.percent_by_estimate)} by estimate`, "percent"),
    card("Forecast 85%", f.p85 || "–", f.p50 ? `50%: ${f.p50} · target ${p.target_date || "none"}` : (f.reason || ""), "forecast"),
    card("In progress", num(p.wip), `${num(p.stale)} stale · ${num(p.todo)} to do`, "wip"),
    card("Overdue", num(p.overdue), `${num(p.overdue_milestones.length)} overdue milestones`, "overdue"),
    card("Data as of", ago(p.lag_seconds), p.sources.join(", "), "lag"));

  const base = { color: pmo.palette, animation: false, tooltip: { trigger: "axis" }, grid: { left: 44, right: 20, top: 28, bottom: 40 } };
  const load = async (name) => (await pmo.get(`/api/v1/metrics/${name}?${q}`)).value;
  const [burnup, tp, cycle, aging] = await Promise.all(["burnup", "throughput", "cycle_time", "aging"].map((n) => load(n).catch((err) => { pmo.fail(n, err); return null; })));

  if (burnup) pmo.chart("chart-burnup").setOption({ ...base, legend: { top: 0 },
    xAxis: { type: "category", data: burnup.map((b) => b.at) }, yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "Scope", type: "line", step: "end", data: burnup.map((b) => b.scope), areaStyle: { opacity: 0.06 } },
      { name: "Done", type: "line", step: "end", data: burnup.map((b) => b.done), areaStyle: { opacity: 0.15 } }] });
  if (tp) pmo.chart("chart-throughput").setOption({ ...base,
    xAxis: { type: "category", data: tp.buckets.map((b) => b.start) }, yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "Finished", type: "bar", data: tp.buckets.map((b) => b.items), itemStyle: { borderRadius: [4, 4, 0, 0] } }] });
  const pline = (label, v, color) => (v == null ? null : { name: label, yAxis: v, lineStyle: { color, type: "dashed" }, label: { formatter: `${label} ${v} d`, position: "insideEndTop" } });
  if (cycle) {
    document.getElementById("cycle-stats").textContent = `${cycle.count} finished · p50 ${num(cycle.p50, 1)} d · p85 ${num(cycle.p85, 1)} d · p95 ${num(cycle.p95, 1)} d`;
    pmo.chart("chart-cycle").setOption({ ...base, tooltip: { trigger: "item", formatter: (x) => `${x.data.key}: ${x.data.value[1]} d` },
      xAxis: { type: "time" }, yAxis: { type: "value", name: "days" },
      series: [{ type: "scatter", symbolSize: 7, data: cycle.points.map((pt) => ({ key: pt.key, value: [pt.finished_at, pt.days] })),
        markLine: { symbol: "none", silent: true, data: [pline("p50", cycle.p50, "#1f8a4c"), pline("p85", cycle.p85, "#b86e00"), pline("p95", cycle.p95, "#c8362f")].filter(Boolean) } }] });
  }
  if (aging) {
    document.getElementById("aging-stats").textContent = `${aging.count} in progress · ${aging.over_p85} older than p85`;
    const items = aging.items.slice(0, 60);
    pmo.chart("chart-aging").setOption({ ...base, tooltip: { trigger: "item", formatter: (x) => `${x.name}: ${x.value} d (${items[x.dataIndex].status})` },
      xAxis: { type: "category", data: items.map((i) => i.key), axisLabel: { rotate: 45 } }, yAxis: { type: "value", name: "age (days)" },
      series: [{ type: "bar", data: items.map((i) => ({ value: i.age_days == null ? 0 : Math.round(i.age_days * 10) / 10,
        itemStyle: { color: aging.p85_cycle_days != null && i.age_days > aging.p85_cycle_days ? "#c8362f" : "#2d5bd7" } })),
        markLine: aging.p85_cycle_days == null ? undefined : { symbol: "none", silent: true, data: [pline("p85", aging.p85_cycle_days, "#b86e00")] } }] });
  }

  const fillTable = (tableId, rows, cells, empty, total) => {
    const tb = document.querySelector(`#${tableId} tbody`);
    if (!rows.length) { tb.append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, empty))); return; }
    tb.append(...rows.map((r) => el("tr", { "data-item": r.item_id }, cells(r).map((c) => el("td", {}, c)))));
    if (total > rows.length) {
      // the page lists the first ones; /api/v1/items pages through the rest
      tb.append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, `Showing ${num(rows.length)} of ${num(total)}.`)));
    }
  };
  fillTable("overdue", p.overdue_items, (i) => [itemLink(i), i.title, i.status, el("span", { class: "late" }, date(i.due_date))], "Nothing overdue.", p.overdue);
  fillTable("stale", p.stale_items, (i) => [itemLink(i), i.title, i.status, date(i.updated_at)], "Nothing stale.", p.stale);
  fillTable("milestones", p.milestones, (m) => [itemLink(m), m.status, el("span", { class: m.overdue ? "late" : "" }, date(m.due_date))], "No milestones.");
  fillTable("members", p.members, (m) => [m.member_kind, m.member_ref, m.source, num(m.items)], "No members recorded.");
})();
