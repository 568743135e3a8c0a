// Dispatch panel: call intake (form, address or a click on the map), duplicates, incidents with their
// timeline, the recommendation and dispatch, rosters (duty now, gaps ahead) and response-time KPIs.
// It hooks into the dashboard through two window events fired by app.js: "amane:ready" (map, user)
// and "amane:live" (every live-feed message).
/* global L */
import { call } from "./api.js";
import { escapeHtml } from "./map.js";
import { barChart, kpiTable, minutes } from "./kpi.js";

const API = "/api/v1/dispatch";
const DISPATCHERS = new Set(["admin", "supervisor", "operator"]);
const OPEN = new Set(["open", "dispatched", "on_scene", "cleared"]);
const PRIORITY_COLOUR = { 1: "#ef4444", 2: "#f07a3a", 3: "#e0b341", 4: "#5b8def" };
const state = { map: null, user: null, incidents: new Map(), selected: null, markers: new Map(), pending: null,
  layer: null, kpiTimer: null, tab: "calls", route: null };
const $ = (selector, root = document) => root.querySelector(selector);

window.addEventListener("amane:ready", (event) => init(event.detail).catch((err) => console.error(err)));
window.addEventListener("amane:live", (event) => onLive(event.detail));

const PANEL = `
  <nav class="dispatch-tabs" role="tablist">
    <button type="button" data-tab="calls" class="active">Calls</button>
    <button type="button" data-tab="roster">Roster</button>
    <button type="button" data-tab="kpis">KPIs</button>
  </nav>
  <div data-pane="calls">
    <form id="call-form" class="call-form" autocomplete="off">
      <h2>New call</h2>
      <label>Type <select id="call-nature" required></select></label>
      <div class="row"><label>Caller <input id="call-caller"></label><label>Phone <input id="call-phone"></label></div>
      <label>Address <input id="call-address" placeholder="street name, or click the map"></label>
      <div class="row"><label>Lat <input id="call-lat" inputmode="decimal"></label>
        <label>Lon <input id="call-lon" inputmode="decimal"></label></div>
      <label>Notes <input id="call-notes"></label>
      <button type="submit" id="call-submit">Take call</button>
      <p id="call-error" class="error" role="alert"></p>
      <div id="call-duplicates"></div>
    </form>
    <h2>Incidents</h2>
    <ol id="incident-list" class="incidents"></ol>
    <section id="incident-detail" hidden></section>
  </div>
  <div data-pane="roster" hidden><h2>On duty now</h2><table id="duty-table"></table>
    <h2>Coverage gaps, next 72 h</h2><ul id="gap-list" class="gaps"></ul></div>
  <div data-pane="kpis" hidden>
    <div class="row"><select id="kpi-group" aria-label="Group by">
        <option value="priority">by priority</option><option value="region">by region</option>
        <option value="unit_kind">by unit kind</option></select>
      <select id="kpi-region" aria-label="Region"><option value="">all regions (central)</option></select>
      <a id="kpi-csv" class="button" href="#" download>CSV</a></div>
    <div id="kpi-chart"></div><div id="kpi-table"></div>
  </div>`;

async function init({ map, user }) {
  if (state.map) return;
  state.map = map;
  state.user = user;
  const panel = $("#dispatch");
  if (!panel) return;
  panel.innerHTML = PANEL;
  panel.hidden = false;
  $(".layout").classList.add("with-dispatch");
  map.invalidateSize();
  state.layer = L.layerGroup().addTo(map);
  panel.querySelectorAll(".dispatch-tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  if (!DISPATCHERS.has(user.role)) {
    panel.querySelector('[data-tab="calls"]').hidden = true;
    panel.querySelector('[data-tab="roster"]').hidden = true;
    showTab("kpis");
    return;
  }
  const natures = await call("GET", `${API}/natures`);
  $("#call-nature").innerHTML = natures.map((n) =>
    `<option value="${escapeHtml(n.code)}">P${n.priority} · ${escapeHtml(n.en)}</option>`).join("");
  $("#call-form").addEventListener("submit", takeCall);
  map.on("click", (event) => pickLocation(event.latlng));
  for (const incident of await call("GET", `${API}/incidents?open_only=true&limit=200`)) upsert(incident);
  renderIncidents();
}

function showTab(tab) {
  state.tab = tab;
  document.querySelectorAll("#dispatch .dispatch-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
  document.querySelectorAll("#dispatch [data-pane]").forEach((p) => { p.hidden = p.dataset.pane !== tab; });
  if (tab === "roster") loadRoster();
  if (tab === "kpis") loadKpis();
}

function pickLocation(latlng) {
  if (state.tab !== "calls") return;
  $("#call-lat").value = latlng.lat.toFixed(6);
  $("#call-lon").value = latlng.lng.toFixed(6);
  if (state.pending) state.pending.remove();
  state.pending = L.circleMarker(latlng, { radius: 9, color: "#fff", dashArray: "3 3", fillOpacity: 0.1 }).addTo(state.layer);
}

async function takeCall(event) {
  event.preventDefault();
  $("#call-error").textContent = "";
  const lat = parseFloat($("#call-lat").value), lon = parseFloat($("#call-lon").value);
  const body = { nature_code: $("#call-nature").value, caller_name: $("#call-caller").value,
    caller_phone: $("#call-phone").value, address: $("#call-address").value, notes: $("#call-notes").value };
  if (Number.isFinite(lat) && Number.isFinite(lon)) body.location = { lat, lon };
  $("#call-submit").disabled = true;
  try {
    const outcome = await call("POST", `${API}/calls`, body);
    upsert(outcome.incident);
    renderIncidents();
    showDuplicates(outcome);
    $("#call-form").reset();
    if (state.pending) { state.pending.remove(); state.pending = null; }
    await select(outcome.incident.id, true);
  } catch (err) {
    $("#call-error").textContent = err.message;
  } finally {
    $("#call-submit").disabled = false;
  }
}

function showDuplicates(outcome) {
  const box = $("#call-duplicates");
  box.replaceChildren();
  for (const dup of outcome.duplicates) {
    const line = document.createElement("div");
    line.className = "duplicate";
    line.innerHTML = `Possible duplicate of <b>${escapeHtml(dup.number)}</b> (${Math.round(dup.distance_m)} m,
      ${dup.minutes_apart.toFixed(0)} min apart) `;
    const button = document.createElement("button");
    button.textContent = "Link";
    button.className = "warn";
    button.addEventListener("click", async () => {
      const target = await call("POST", `${API}/incidents/${outcome.incident.id}/link`, { into: dup.id });
      box.replaceChildren();
      upsert(target);
      await select(target.id, false);
    });
    line.append(button);
    box.append(line);
  }
}

function upsert(incident) {
  state.incidents.set(incident.id, incident);
  const open = OPEN.has(incident.status) && incident.status !== "cleared";
  let marker = state.markers.get(incident.id);
  if (!incident.location || !OPEN.has(incident.status)) {
    if (marker) { marker.remove(); state.markers.delete(incident.id); }
    return;
  }
  const style = { radius: 8, color: "#fff", weight: 2, fillColor: PRIORITY_COLOUR[incident.priority] || "#888",
    fillOpacity: open ? 0.9 : 0.4 };
  if (!marker) {
    marker = L.circleMarker([incident.location.lat, incident.location.lon], style).addTo(state.layer);
    marker.on("click", () => select(incident.id, false));
    state.markers.set(incident.id, marker);
  } else {
    marker.setStyle(style);
  }
  marker.bindTooltip(`${incident.number} · P${incident.priority} ${incident.nature} · ${incident.status}`);
}

function renderIncidents() {
  const list = $("#incident-list");
  if (!list) return;
  const shown = [...state.incidents.values()].filter((i) => OPEN.has(i.status))
    .sort((a, b) => a.priority - b.priority || b.created_at.localeCompare(a.created_at));
  list.replaceChildren(...shown.map((incident) => {
    const item = document.createElement("li");
    item.className = `incident p${incident.priority}${state.selected === incident.id ? " selected" : ""}`;
    item.dataset.incidentId = incident.id;
    item.dataset.status = incident.status;
    const units = incident.assignments.filter((a) => a.active).map((a) => `${a.unit} ${a.state}`).join(", ");
    item.innerHTML = `<b>P${incident.priority}</b> ${escapeHtml(incident.nature)}
      <span class="status">${escapeHtml(incident.status)}</span>
      ${incident.duplicate_of ? '<span class="status dup">duplicate?</span>' : ""}
      <div class="meta">${escapeHtml(incident.number)} · ${escapeHtml(incident.address || incident.region || "")}
      ${units ? ` · ${escapeHtml(units)}` : ""}</div>`;
    item.addEventListener("click", () => select(incident.id, false));
    return item;
  }));
}

async function select(id, recommend) {
  state.selected = id;
  renderIncidents();
  const detail = await call("GET", `${API}/incidents/${id}`);
  upsert(detail);
  const incident = detail;
  if (incident.location) state.map.panTo([incident.location.lat, incident.location.lon]);
  const box = $("#incident-detail");
  box.hidden = false;
  box.innerHTML = `<h2>${escapeHtml(incident.number)} · P${incident.priority} ${escapeHtml(incident.nature)}
      <span class="status" id="incident-status">${escapeHtml(incident.status)}</span></h2>
    <div class="actions">
      <button type="button" id="recommend-button">Recommend</button>
      <button type="button" class="ghost" id="close-incident">Close</button>
      <a class="button ghost" href="${API}/incidents/${id}/eido" target="_blank">EIDO</a>
      <a class="button ghost" href="${API}/incidents/${id}/cap" target="_blank">CAP</a>
    </div>
    <div id="recommendation"></div>
    <ol class="timeline" id="timeline">${timeline(detail.timeline)}</ol>`;
  $("#recommend-button").addEventListener("click", () => showRecommendation(id));
  $("#close-incident").addEventListener("click", async () => {
    const text = prompt("Disposition (how the incident ended):");
    if (!text) return;
    const closed = await call("POST", `${API}/incidents/${id}/events`, { kind: "incident_closed", text });
    upsert(closed);
    renderIncidents();
    box.hidden = true;
  });
  if (recommend || (incident.status === "open" && incident.assignments.length === 0)) await showRecommendation(id);
}

function timeline(events) {
  return events.map((e) => {
    const when = new Date(e.at).toLocaleTimeString();
    const unit = e.unit ? ` ${escapeHtml(e.unit)}` : "";
    const late = e.reported_at ? ` <span class="muted">(received ${new Date(e.received_at).toLocaleTimeString()})</span>` : "";
    return `<li data-kind="${escapeHtml(e.kind)}"><span class="when">${when}</span> ${escapeHtml(e.kind.replaceAll("_", " "))}${unit}${late}</li>`;
  }).join("");
}

async function showRecommendation(id) {
  const box = $("#recommendation");
  box.textContent = "…";
  const rec = await call("POST", `${API}/incidents/${id}/recommend`);
  const primaries = rec.units.filter((u) => u.role === "primary");
  const top = primaries[0];
  drawRoute(top);
  box.innerHTML = `<div class="meta">by ${escapeHtml(rec.method)}${rec.dense ? " · dense area" : ""} · ${rec.computed_ms.toFixed(1)} ms</div>`;
  if (top) {
    const accept = document.createElement("button");
    accept.id = "accept-recommendation";
    accept.className = "ok";
    accept.textContent = `Accept: send ${top.callsign} (${minutes(top.eta_s)})`;
    accept.addEventListener("click", () => dispatchUnit(id, top.callsign, null, accept));
    box.append(accept);
  } else {
    box.append(Object.assign(document.createElement("p"), { className: "error", textContent: "No unit available." }));
  }
  const table = document.createElement("table");
  table.className = "recommendation";
  table.innerHTML = "<thead><tr><th>#</th><th>Unit</th><th>ETA</th><th></th></tr></thead>";
  const body = document.createElement("tbody");
  for (const unit of rec.units.slice(0, 8)) {
    const tr = document.createElement("tr");
    tr.dataset.callsign = unit.callsign;
    if (unit.route) {
      tr.addEventListener("mouseenter", () => drawRoute(unit));
      tr.addEventListener("mouseleave", () => drawRoute(top));
    }
    tr.innerHTML = `<td>${unit.rank}</td><td>${escapeHtml(unit.callsign)} <small>${escapeHtml(unit.kind)}</small>
      <div class="meta">${unit.reasons.map(escapeHtml).join("; ")}</div></td><td>${minutes(unit.eta_s)}</td><td></td>`;
    if (unit !== top) {
      const send = document.createElement("button");
      send.className = "ghost";
      send.textContent = "Send";
      send.addEventListener("click", () => {
        const needsReason = unit.role === "primary";
        const reason = needsReason ? prompt(`Why ${unit.callsign} rather than ${top ? top.callsign : "none"}?`) : null;
        if (needsReason && !reason) return;
        dispatchUnit(id, unit.callsign, reason, send);
      });
      tr.lastElementChild.append(send);
    }
    body.append(tr);
  }
  table.append(body);
  box.append(table);
  if (rec.excluded.length) {
    box.append(Object.assign(document.createElement("div"), { className: "meta",
      textContent: `Not available: ${rec.excluded.map((e) => `${e.callsign} (${e.reason})`).join(", ")}` }));
  }
}

// The road route of a recommended unit (first units only, when the centre has a road graph).
function drawRoute(unit) {
  if (state.route) { state.route.remove(); state.route = null; }
  if (!unit || !unit.route) return;
  state.route = L.polyline(unit.route, { color: "#3fb68b", weight: 4, opacity: 0.9, dashArray: "8 6",
    className: "route-line" }).addTo(state.layer);
}

async function dispatchUnit(id, callsign, reason, button) {
  button.disabled = true;
  try {
    const incident = await call("POST", `${API}/incidents/${id}/dispatch`, { callsign, override_reason: reason });
    upsert(incident);
    renderIncidents();
    await select(id, false);
  } catch (err) {
    window.alert(`Dispatch failed: ${err.message}`);
    button.disabled = false;
  }
}

function onLive(message) {
  if (message.type !== "incident.updated" || !state.map) return;
  upsert(message.data);
  renderIncidents();
  if (state.selected === message.data.id) refreshSelected(message.data.id);
  clearTimeout(state.kpiTimer);
  state.kpiTimer = setTimeout(() => { if (state.tab === "kpis") loadKpis(); }, 500);
}

async function refreshSelected(id) {
  const detail = await call("GET", `${API}/incidents/${id}`);
  const status = $("#incident-status");
  if (status) status.textContent = detail.status;
  const list = $("#timeline");
  if (list) list.innerHTML = timeline(detail.timeline);
}

async function loadRoster() {
  const [duty, gaps] = await Promise.all([call("GET", `${API}/roster/now`), call("GET", `${API}/roster/gaps?hours=72`)]);
  const t = (iso) => new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
  $("#duty-table").innerHTML = `<thead><tr><th>Region</th><th>Team</th><th>Until</th><th>Units</th><th>Officers</th></tr></thead>
    <tbody>${duty.map((d) => `<tr><td>${escapeHtml(d.region)}</td><td>${escapeHtml(d.team || "—")}</td>
      <td>${t(d.shift_end)}</td><td>${d.units.map(escapeHtml).join(", ")}</td><td>${d.officers.length}</td></tr>`).join("")
      || '<tr><td colspan="5" class="muted">No rotation defined</td></tr>'}</tbody>`;
  $("#gap-list").innerHTML = gaps.map((g) =>
    `<li><b>${escapeHtml(g.region)}</b> ${t(g.start)}–${t(g.end)}: ${escapeHtml(g.reason)}</li>`).join("")
    || '<li class="muted">No gap in the next 72 h</li>';
}

async function loadKpis() {
  const group = $("#kpi-group").value;
  const regionSelect = $("#kpi-region");
  if (regionSelect.options.length === 1) {
    for (const name of await call("GET", `${API}/regions`)) regionSelect.add(new Option(name, name));
    $("#kpi-group").onchange = loadKpis;
    regionSelect.onchange = loadKpis;
  }
  const query = new URLSearchParams({ group_by: group });
  if (regionSelect.value) query.set("region", regionSelect.value);
  const report = await call("GET", `${API}/kpis?${query}`);
  $("#kpi-chart").replaceChildren(barChart(report));
  $("#kpi-table").replaceChildren(kpiTable(report));
  $("#kpi-csv").href = `${API}/kpis.csv?${query}`;
}
