// Response-time KPIs: a bar chart (SVG, drawn here: no chart library) and a table per group.
import { escapeHtml } from "./map.js";

const SVG = "http://www.w3.org/2000/svg";

export function minutes(seconds) {
  if (seconds == null) return "–";
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return `${m}:${String(s).padStart(2, "0")}`;
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Bars: median and 90th percentile of the total response per group; a tick marks the group's target.
export function barChart(report, width = 380, rowHeight = 26) {
  const rows = report.rows;
  const height = Math.max(40, rows.length * rowHeight + 30);
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "kpi-chart", role: "img",
    "aria-label": "Total response time per group: median and 90th percentile" });
  const left = 70, right = 26, chartWidth = width - left - right;
  const targetOf = (group) => {
    const m = /^P(\d+)$/.exec(group);
    return m ? report.targets_s[m[1]] : null;
  };
  const values = rows.flatMap((r) => [r.total.p90_s || 0, targetOf(r.group) || 0]);
  const max = Math.max(60, ...values);
  const x = (seconds) => left + (chartWidth * seconds) / max;
  rows.forEach((row, i) => {
    const y = 8 + i * rowHeight;
    svg.append(el("text", { x: left - 6, y: y + 14, "text-anchor": "end", class: "kpi-label" }, row.group));
    if (row.total.p90_s != null) {
      svg.append(el("rect", { x: left, y: y + 2, width: x(row.total.p90_s) - left, height: 16, class: "kpi-p90" }));
    }
    if (row.total.median_s != null) {
      svg.append(el("rect", { x: left, y: y + 5, width: x(row.total.median_s) - left, height: 10, class: "kpi-median",
        "data-group": row.group, "data-median": row.total.median_s }));
    }
    const target = targetOf(row.group);
    if (target) svg.append(el("line", { x1: x(target), x2: x(target), y1: y, y2: y + 20, class: "kpi-target" }));
  });
  const axisY = 8 + rows.length * rowHeight + 4;
  for (const frac of [0, 0.5, 1]) {
    svg.append(el("text", { x: left + chartWidth * frac, y: axisY + 12, "text-anchor": "middle", class: "kpi-axis" },
      minutes(max * frac)));
  }
  return svg;
}

export function kpiTable(report) {
  const table = document.createElement("table");
  table.className = "kpi-table";
  const pct = (v) => (v == null ? "–" : `${Math.round(v * 100)} %`);
  table.innerHTML = `<thead><tr><th>${escapeHtml(report.group_by)}</th><th>n</th><th>call→disp. med/p90</th>
    <th>disp.→arr. med/p90</th><th>total med/p90</th><th>in target</th></tr></thead>`;
  const body = document.createElement("tbody");
  for (const r of report.rows) {
    const tr = document.createElement("tr");
    tr.dataset.group = r.group;
    tr.innerHTML = `<td>${escapeHtml(r.group)}</td><td class="kpi-n">${r.incidents}</td>
      <td>${minutes(r.call_to_dispatch.median_s)} / ${minutes(r.call_to_dispatch.p90_s)}</td>
      <td>${minutes(r.dispatch_to_arrival.median_s)} / ${minutes(r.dispatch_to_arrival.p90_s)}</td>
      <td class="kpi-total" data-count="${r.total.count}">${minutes(r.total.median_s)} / ${minutes(r.total.p90_s)}</td>
      <td>${pct(r.within_target)}</td>`;
    body.append(tr);
  }
  table.append(body);
  return table;
}
