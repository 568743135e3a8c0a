// amane dashboard: login, live map, alert feed with review actions, unit list.
import * as api from "./api.js";
import { LiveMap, escapeHtml } from "./map.js";
import { decorateFaceAlert } from "./faces.js";

const REVIEWER_ROLES = new Set(["operator", "supervisor", "admin"]);
const OPEN = new Set(["new", "acknowledged", "pending_second_review"]);
const ACTIONS = {
  new: [["acknowledge", "Acknowledge", ""], ["dismiss", "Dismiss", "danger"]],
  acknowledged: [["confirm", "Confirm", "ok"], ["dismiss", "Dismiss", "danger"]],
  pending_second_review: [["confirm", "Second confirm", "ok"], ["dismiss", "Dismiss", "danger"]],
  confirmed: [["escalate", "Escalate", "warn"]],
};

const state = { user: null, alerts: new Map(), units: new Map(), map: null, socket: null, retry: 0 };
const $ = (selector) => document.querySelector(selector);

function show(view) {
  $("#login-view").hidden = view !== "login";
  $("#app-view").hidden = view !== "app";
}

async function start() {
  try {
    state.user = await api.me();
    await enter();
  } catch {
    show("login");
  }
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#login-error").textContent = "";
  $("#login-submit").disabled = true;
  try {
    await api.login($("#login-username").value, $("#login-password").value, $("#login-totp").value);
    state.user = await api.me();
    await enter();
  } catch (err) {
    $("#login-error").textContent = err.status === 401 || err.status === 403 ? String(err.message) : `Sign-in failed: ${err.message}`;
  } finally {
    $("#login-submit").disabled = false;
  }
});

$("#logout").addEventListener("click", async () => {
  try { await api.logout(); } finally { location.reload(); }
});

$("#filter-status").addEventListener("change", () => renderAlerts());

async function enter() {
  show("app");
  $("#whoami").textContent = `${state.user.username} · ${state.user.role}`;
  const config = await api.dashboardConfig();
  if (!state.map) state.map = new LiveMap($("#map"), config);
  window.dispatchEvent(new CustomEvent("amane:ready", { detail: { map: state.map.map, user: state.user } }));
  const [alerts, units] = await Promise.all([api.listAlerts(""), api.listUnits()]);
  for (const alert of alerts) state.alerts.set(alert.id, alert);
  for (const unit of units) state.units.set(unit.callsign, unit);
  renderAlerts();
  renderUnits();
  connectLive();
}

function connectLive() {
  const socket = api.liveSocket();
  state.socket = socket;
  socket.onopen = () => { state.retry = 0; setLive(true); };
  socket.onclose = () => {
    setLive(false);
    const delay = Math.min(15000, 500 * 2 ** state.retry++);
    setTimeout(async () => {
      try { await api.me(); connectLive(); } catch { location.reload(); }
    }, delay);
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    window.dispatchEvent(new CustomEvent("amane:live", { detail: message }));
    if (message.type === "alert.new" || message.type === "alert.updated") {
      const fresh = message.type === "alert.new" && !state.alerts.has(message.data.id);
      state.alerts.set(message.data.id, message.data);
      renderAlerts(fresh ? message.data.id : null);
    } else if (message.type === "unit.position" || message.type === "unit.updated") {
      state.units.set(message.data.callsign, message.data);
      renderUnit(message.data);
    }
  };
}

function setLive(online) {
  const pill = $("#live-status");
  pill.textContent = online ? "live" : "offline";
  pill.className = `pill ${online ? "online" : "offline"}`;
}

function renderAlerts(freshId = null) {
  const filter = $("#filter-status").value;
  const sorted = [...state.alerts.values()].sort((a, b) => (b.received_at || b.observed_at).localeCompare(a.received_at || a.observed_at));
  const list = $("#alert-list");
  const shown = sorted.filter((a) => !filter || a.status === filter || (filter === "open" && OPEN.has(a.status)));
  list.replaceChildren(...shown.slice(0, 200).map((a) => alertCard(a, a.id === freshId)));
  for (const alert of sorted) state.map.upsertAlert(alert);
  $("#count-new").textContent = String(sorted.filter((a) => a.status === "new").length);
}

function alertCard(alert, fresh) {
  const item = document.createElement("li");
  item.className = `alert sev-${alert.severity}${fresh ? " fresh" : ""}`;
  item.dataset.alertId = alert.id;
  item.dataset.status = alert.status;
  const evidence = (alert.evidence || [])[0];
  const thumb = evidence
    ? `<img src="${escapeHtml(evidence.url)}" alt="evidence for ${escapeHtml(alert.kind)} alert" loading="lazy">`
    : `<div class="thumb-empty">no image</div>`;
  const lead = alert.kind === "face" ? `<div class="lead">A match is a lead, not an identification: two reviewers must confirm.</div>` : "";
  const when = new Date(alert.observed_at).toLocaleTimeString();
  item.innerHTML = `${thumb}<div>
      <div class="title">${escapeHtml(alert.kind)} · ${escapeHtml(alert.severity)} <span class="status">${escapeHtml(alert.status)}</span></div>
      <div>${escapeHtml(alert.summary || "")}</div>
      <div class="meta">${escapeHtml(alert.unit_id)}${alert.camera_id ? " / " + escapeHtml(alert.camera_id) : ""} · ${when}
        ${alert.bearing_deg != null ? ` · bearing ${Math.round(alert.bearing_deg)}°` : ""}</div>
      ${lead}<div class="actions"></div></div>`;
  const img = item.querySelector("img");
  if (img) img.addEventListener("click", () => { $("#evidence-full").src = evidence.url; $("#evidence-dialog").showModal(); });
  item.addEventListener("dblclick", () => state.map.focus(alert.position));
  if (REVIEWER_ROLES.has(state.user.role)) {
    const actions = item.querySelector(".actions");
    for (const [action, label, cls] of ACTIONS[alert.status] || []) {
      const button = document.createElement("button");
      button.textContent = label;
      button.className = cls;
      button.dataset.action = action;
      button.addEventListener("click", () => review(alert, action, button));
      actions.append(button);
    }
  }
  if (alert.kind === "face") decorateFaceAlert(item, alert, state.user);
  return item;
}

async function review(alert, action, button) {
  let reason = null;
  if (action === "dismiss") {
    reason = prompt("Reason for dismissing this alert:");
    if (!reason) return;
  }
  button.disabled = true;
  try {
    const updated = await api.transition(alert.id, action, reason);
    state.alerts.set(updated.id, updated);
    renderAlerts();
  } catch (err) {
    window.alert(`Review failed: ${err.message}`);
    button.disabled = false;
  }
}


function renderUnits() {
  for (const unit of state.units.values()) renderUnit(unit);
}

function renderUnit(unit) {
  state.map.upsertUnit(unit);
  const body = $("#unit-table tbody");
  let row = body.querySelector(`tr[data-callsign="${CSS.escape(unit.callsign)}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.callsign = unit.callsign;
    body.append(row);
  }
  const seen = unit.last_seen_at ? new Date(unit.last_seen_at).toLocaleTimeString() : "never";
  row.innerHTML = `<td>${escapeHtml(unit.callsign)}</td><td>${escapeHtml(unit.kind)}</td><td>${escapeHtml(unit.region)}</td>
    <td>${escapeHtml(unit.status)}</td><td class="${unit.online ? "online" : "offline"}">${unit.online ? "online" : "offline"}</td><td>${seen}</td>`;
  $("#count-units").textContent = String([...state.units.values()].filter((u) => u.online).length);
}

start();
