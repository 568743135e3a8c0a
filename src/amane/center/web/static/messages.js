// Messages drawer: the centre writes to one unit or to every unit of a region (text, go-to a place
// picked on the map, order) and follows each addressee's delivery state (sent -> delivered -> read)
// live; crews' messages from their units arrive live and stay highlighted until seen.
// It hooks into the dashboard like dispatch.js: "amane:ready" (map, user) and "amane:live" (every
// live-feed message: "message.new" and "message.updated" carry a whole message with its deliveries).
/* global L */
import { call } from "./api.js";
import { escapeHtml } from "./map.js";

const API = "/api/v1";
// The roles the centre lets list and send messages (router.py: UNIT_VIEWERS for both).
const READERS = new Set(["admin", "supervisor", "operator"]);
const SENDERS = new Set(["admin", "supervisor", "operator"]);
const STATES = ["sent", "delivered", "read"];
const KIND_LABEL = { text: "Text", goto: "Go to", order: "Order" };
const SEEN_KEEP = 500;
const state = { map: null, user: null, messages: new Map(), units: new Map(), seen: null, open: false,
  picking: false, location: null, marker: null, layer: null, view: null, ready: false };
const $ = (selector, root = document) => root.querySelector(selector);

window.addEventListener("amane:ready", (event) => init(event.detail).catch((err) => console.error(err)));
window.addEventListener("amane:live", (event) => onLive(event.detail));

const PANEL = `
  <div class="messages-head">
    <h2>Messages</h2><span class="spacer"></span>
    <button type="button" id="messages-close" class="ghost" aria-label="Close messages">Close</button>
  </div>
  <form id="message-form" class="message-form" autocomplete="off" hidden>
    <div class="row">
      <label>To <select id="message-scope" aria-label="Send to">
        <option value="unit">one unit</option><option value="region">a whole region</option></select></label>
      <label id="message-unit-row">Unit <select id="message-unit" aria-label="Unit"></select></label>
      <label id="message-region-row" hidden>Region <select id="message-region" aria-label="Region"></select></label>
    </div>
    <div class="row">
      <label>Kind <select id="message-kind" aria-label="Kind">
        <option value="text">text</option><option value="goto">go to</option><option value="order">order</option></select></label>
      <label id="message-location-row" hidden>Where <span id="message-location" class="meta">click the map</span>
        <button type="button" id="message-pick" class="ghost">Pick on map</button></label>
    </div>
    <label>Message <textarea id="message-body" rows="2" maxlength="4000"></textarea></label>
    <button type="submit" id="message-send">Send</button>
    <span class="meta">A click on a unit (map or table) picks it.</span>
    <p id="message-error" class="error" role="alert"></p>
  </form>
  <h3>From crews <span id="crew-unseen" class="status unseen-count" title="Mark all seen" hidden></span></h3>
  <ol id="crew-list" class="message-list crew"></ol>
  <h3>Sent</h3>
  <ol id="sent-list" class="message-list"></ol>`;

async function init({ map, user }) {
  if (state.user) return;
  state.user = user;
  state.map = map;
  const drawer = $("#messages");
  if (!drawer || !READERS.has(user.role)) return;
  drawer.innerHTML = PANEL;
  state.ready = true;
  const open = document.createElement("button");
  open.id = "messages-open";
  open.type = "button";
  open.className = "ghost";
  open.title = "Messages to and from units";
  open.innerHTML = `Messages <span id="messages-badge" class="badge" hidden></span>`;
  open.addEventListener("click", () => toggle(!state.open));
  $(".topbar .spacer").before(open);
  $("#messages-close").addEventListener("click", () => toggle(false));
  state.seen = loadSeen(user.username);
  $("#crew-unseen").addEventListener("click", () => {
    for (const m of state.messages.values()) if (isUnseen(m)) state.seen.ids.add(m.id);
    saveSeen();
    render();
  });
  state.layer = L.layerGroup().addTo(map);
  if (SENDERS.has(user.role)) setupCompose();
  const units = await call("GET", `${API}/units`);
  for (const unit of units) state.units.set(unit.callsign, unit);
  renderRecipients();
  await reload();
  if (state.seen.since === null) {  // first time here: what is already stored counts as seen
    const crew = [...state.messages.values()].filter((m) => m.direction === "from_unit").map((m) => Date.parse(m.sent_at));
    state.seen.since = new Date(Math.max(0, ...crew)).toISOString();
    saveSeen();
    render();
  }
  watchReconnects();
}

// Everything since the last look (on start, and after the live feed comes back from a gap).
async function reload() {
  for (const message of await call("GET", `${API}/messages?limit=200`)) {
    const known = state.messages.get(message.id);
    state.messages.set(message.id, known ? merge(known, message) : message);
  }
  render();
}

function watchReconnects() {
  const pill = $("#live-status");
  let online = pill.textContent === "live";
  new MutationObserver(() => {
    const now = pill.textContent === "live";
    if (now && !online) reload().catch((err) => console.error(err));
    online = now;
  }).observe(pill, { childList: true, characterData: true, subtree: true });
}

// Which crew messages this user has seen, kept in the browser: a message from a unit is new when it is
// newer than the crew messages stored when the user first opened the dashboard here (the units' clocks,
// not this browser's) and has not been clicked, or marked seen, since.
function loadSeen(username) {
  const key = `amane.messages.seen.${username}`;
  let stored = null;
  try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch { stored = null; }
  const seen = { key, since: null, ids: new Set() };
  if (stored && typeof stored.since === "string" && Array.isArray(stored.ids)) {
    seen.since = stored.since;
    seen.ids = new Set(stored.ids.slice(-SEEN_KEEP));
  }
  state.seen = seen;
  if (seen.since !== null) saveSeen();
  return seen;
}

function saveSeen() {
  try {
    localStorage.setItem(state.seen.key, JSON.stringify({ since: state.seen.since, ids: [...state.seen.ids].slice(-SEEN_KEEP) }));
  } catch { /* private mode or full storage: seen marks last for this page only */ }
}

function isUnseen(message) {
  return message.direction === "from_unit" && state.seen.since !== null
    && Date.parse(message.sent_at) > Date.parse(state.seen.since) && !state.seen.ids.has(message.id);
}

function toggle(visible) {
  state.open = visible;
  $("#messages").hidden = !visible;
  $("#messages-open").classList.toggle("active", visible);
  if (!visible) setPicking(false);
}

function setupCompose() {
  const form = $("#message-form");
  form.hidden = false;
  $("#message-scope").addEventListener("change", () => {
    const region = $("#message-scope").value === "region";
    $("#message-unit-row").hidden = region;
    $("#message-region-row").hidden = !region;
  });
  $("#message-kind").addEventListener("change", () => {
    const goto = $("#message-kind").value === "goto";
    $("#message-location-row").hidden = !goto;
    $("#message-body").placeholder = goto ? "optional note for the crew" : "";
    setPicking(goto && !state.location);
    if (state.marker) state.marker.setOpacity(goto ? 1 : 0);
  });
  $("#message-pick").addEventListener("click", () => setPicking(!state.picking));
  form.addEventListener("submit", send);
  // While picking a go-to place, a click on the map is ours alone: caught before Leaflet sees it, so
  // other panels listening for map clicks (dispatch's call intake) do not take it too.
  state.map.getContainer().addEventListener("click", (event) => {
    if (!state.picking) return;
    event.stopImmediatePropagation();
    event.stopPropagation();
    setLocation(state.map.mouseEventToLatLng(event));
  }, true);
  // A click on a unit's marker opens its popup: take that unit as the addressee.
  state.map.on("popupopen", (event) => {
    const source = event.popup && event.popup._source;
    const callsign = source && source.options && source.options.title;
    if (!state.picking && callsign) selectUnit(callsign);
  });
  // So does a click on its row in the unit table.
  $("#unit-table tbody").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-callsign]");
    if (row) selectUnit(row.dataset.callsign);
  });
}

function selectUnit(callsign) {
  if (!state.open || !state.units.has(callsign)) return;
  $("#message-scope").value = "unit";
  $("#message-scope").dispatchEvent(new Event("change"));
  $("#message-unit").value = callsign;
  $("#message-body").focus();
}

function setPicking(on) {
  state.picking = on && state.open;
  state.map.getContainer().classList.toggle("picking", state.picking);
  const pick = $("#message-pick");
  if (pick) pick.textContent = state.picking ? "Click the map…" : "Pick on map";
}

function setLocation(latlng) {
  state.location = { lat: Number(latlng.lat.toFixed(6)), lon: Number(latlng.lng.toFixed(6)) };
  $("#message-location").textContent = `${state.location.lat.toFixed(5)}, ${state.location.lon.toFixed(5)}`;
  if (state.marker) state.marker.remove();
  state.marker = L.marker([state.location.lat, state.location.lon], {
    icon: L.divIcon({ className: "", html: `<div class="goto-pin" title="go-to place"></div>`, iconAnchor: [8, 8] }),
    interactive: false,
  }).addTo(state.layer);
  setPicking(false);
}

function renderRecipients() {
  const unitSelect = $("#message-unit");
  if (!unitSelect) return;
  const chosen = unitSelect.value;
  const units = [...state.units.values()].sort((a, b) => a.callsign.localeCompare(b.callsign));
  unitSelect.innerHTML = units.map((u) => `<option value="${escapeHtml(u.callsign)}">${escapeHtml(u.callsign)} · ` +
    `${escapeHtml(u.kind)} · ${escapeHtml(u.region)}${u.online ? "" : " (offline)"}</option>`).join("");
  if (chosen && state.units.has(chosen)) unitSelect.value = chosen;
  const regionSelect = $("#message-region");
  const region = regionSelect.value;
  const regions = [...new Set(units.map((u) => u.region))].sort();
  regionSelect.innerHTML = regions.map((r) => {
    const count = units.filter((u) => u.region === r).length;
    return `<option value="${escapeHtml(r)}">${escapeHtml(r)} (${count} unit${count === 1 ? "" : "s"})</option>`;
  }).join("");
  if (regions.includes(region)) regionSelect.value = region;
}

async function send(event) {
  event.preventDefault();
  $("#message-error").textContent = "";
  const kind = $("#message-kind").value;
  const body = { kind, body: $("#message-body").value.trim() };
  if (kind === "goto") {
    if (!state.location) { $("#message-error").textContent = "Pick the place on the map first."; setPicking(true); return; }
    body.location = state.location;
  } else if (!body.body) {
    $("#message-error").textContent = "Write the message first.";
    return;
  }
  const toRegion = $("#message-scope").value === "region";
  const target = toRegion ? $("#message-region").value : $("#message-unit").value;
  if (!target) { $("#message-error").textContent = toRegion ? "No region to send to." : "No unit to send to."; return; }
  const path = toRegion ? `${API}/regions/${encodeURIComponent(target)}/broadcast`
    : `${API}/units/${encodeURIComponent(target)}/messages`;
  $("#message-send").disabled = true;
  try {
    const sent = await call("POST", path, body);
    upsert(sent);
    $("#message-body").value = "";
    if (kind === "goto") { state.location = null; $("#message-location").textContent = "click the map";
      if (state.marker) { state.marker.remove(); state.marker = null; } }
  } catch (err) {
    $("#message-error").textContent = `Not sent: ${err.message}`;
  } finally {
    $("#message-send").disabled = false;
  }
}

function onLive(message) {
  if (!state.ready || !message || !message.data) return;
  if (message.type === "message.new" || message.type === "message.updated") {
    upsert(message.data);
  } else if (message.type === "unit.updated" || message.type === "unit.position") {
    const known = state.units.get(message.data.callsign);
    state.units.set(message.data.callsign, message.data);
    if (!known || known.region !== message.data.region || known.online !== message.data.online) renderRecipients();
  }
}

function upsert(message) {
  const known = state.messages.get(message.id);
  state.messages.set(message.id, known ? merge(known, message) : message);
  const before = new Map(((known && known.deliveries) || []).map((d) => [d.unit, d.state]));
  const moved = new Set((state.messages.get(message.id).deliveries || [])
    .filter((d) => before.has(d.unit) && before.get(d.unit) !== d.state).map((d) => `${message.id}/${d.unit}`));
  render(known ? null : message.id, moved);
}

// Deliveries only move forward (sent -> delivered -> read): a late or repeated event never takes a badge back.
function merge(known, fresh) {
  const before = new Map((known.deliveries || []).map((d) => [d.unit, d]));
  const deliveries = (fresh.deliveries || []).map((d) => {
    const old = before.get(d.unit);
    return old && STATES.indexOf(old.state) > STATES.indexOf(d.state) ? old : d;
  });
  return { ...fresh, deliveries };
}

function render(freshId = null, moved = new Set()) {
  const all = [...state.messages.values()].sort((a, b) => Date.parse(b.sent_at) - Date.parse(a.sent_at));
  $("#crew-list").replaceChildren(...all.filter((m) => m.direction === "from_unit").slice(0, 100)
    .map((m) => crewItem(m, m.id === freshId)));
  $("#sent-list").replaceChildren(...all.filter((m) => m.direction !== "from_unit").slice(0, 200)
    .map((m) => sentItem(m, m.id === freshId, moved)));
  const unseen = all.filter(isUnseen).length;
  for (const badge of [$("#messages-badge"), $("#crew-unseen")]) {
    badge.hidden = unseen === 0;
    badge.textContent = `${unseen} new`;
  }
}

function addressees(message) {
  return message.region ? `region ${escapeHtml(message.region)}` : escapeHtml(message.unit || "");
}

function where(message) {
  if (!message.location) return "";
  const { lat, lon } = message.location;
  return `<a href="#" class="goto-link" data-lat="${lat}" data-lon="${lon}">${lat.toFixed(5)}, ${lon.toFixed(5)}</a>`;
}

function sentItem(message, fresh, moved) {
  const item = document.createElement("li");
  item.className = `message kind-${escapeHtml(message.kind)}${fresh ? " fresh" : ""}`;
  item.dataset.messageId = message.id;
  const deliveries = [...(message.deliveries || [])].sort((a, b) => a.unit.localeCompare(b.unit));
  const counts = STATES.map((s) => `${deliveries.filter((d) => d.state === s).length} ${s}`).join(" · ");
  item.innerHTML = `<div class="title">${escapeHtml(KIND_LABEL[message.kind] || message.kind)} → ${addressees(message)}
      <span class="meta">${new Date(message.sent_at).toLocaleTimeString()} · ${escapeHtml(message.sender)}</span></div>
    ${message.body ? `<div class="body">${escapeHtml(message.body)}</div>` : ""}${where(message)}
    ${message.region ? `<div class="meta">${deliveries.length} unit${deliveries.length === 1 ? "" : "s"}: ${counts}</div>` : ""}
    <div class="deliveries">${deliveries.map((d) => {
      const when = d.read_at || d.delivered_at;
      const title = `${d.unit}: ${d.state}${when ? " at " + new Date(when).toLocaleTimeString() : ""}`;
      const changed = moved.has(`${message.id}/${d.unit}`) ? " changed" : "";
      return `<span class="delivery state-${escapeHtml(d.state)}${changed}" data-unit="${escapeHtml(d.unit)}" data-state="${escapeHtml(d.state)}"
        title="${escapeHtml(title)}">${escapeHtml(d.unit)} <b>${escapeHtml(d.state)}</b></span>`;
    }).join("")}${deliveries.length ? "" : `<span class="meta">no unit in this region</span>`}</div>`;
  bindGoto(item);
  return item;
}

function crewItem(message, fresh) {
  const item = document.createElement("li");
  const unseen = isUnseen(message);
  item.className = `message crew kind-${escapeHtml(message.kind)}${unseen ? " unseen" : ""}${fresh ? " fresh" : ""}`;
  item.dataset.messageId = message.id;
  item.dataset.unit = message.unit || "";
  item.innerHTML = `<div class="title">${escapeHtml(message.unit || "?")}
      <span class="meta">${new Date(message.sent_at).toLocaleTimeString()}${message.sender ? " · " + escapeHtml(message.sender) : ""}</span></div>
    <div class="body">${escapeHtml(message.body)}</div>${where(message)}`;
  item.addEventListener("click", () => {
    if (!isUnseen(message)) return;
    state.seen.ids.add(message.id);
    saveSeen();
    render();
  });
  bindGoto(item);
  return item;
}

function bindGoto(item) {
  const link = $(".goto-link", item);
  if (!link) return;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    event.stopPropagation();
    const where = [Number(link.dataset.lat), Number(link.dataset.lon)];
    if (state.view) state.view.remove();
    state.view = L.circleMarker(where, { radius: 10, color: "#3fb68b", weight: 3, fillOpacity: 0.2, interactive: false })
      .addTo(state.layer);
    state.map.panTo(where);
  });
}
