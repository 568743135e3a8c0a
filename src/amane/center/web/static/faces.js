// Faces page: the watchlist (enrol a person with photos, see why a photo is refused, remove), the
// live-identification authorisations (create, revoke, the kill switch) and, in the alert feed, the face
// lead card (probe next to reference, score, "n of 2 confirmations"). Roles follow
// amane.center.faces.router; the server enforces them, the page only hides what a role cannot do.
// Hooks: "amane:ready" (map, user) from app.js, and decorateFaceAlert() called by app.js's alertCard.
import { ApiError, call } from "./api.js";
import { escapeHtml } from "./map.js";

const API = "/api/v1/faces";
const AUTHORISERS = new Set(["admin", "supervisor"]);
const STOPPERS = new Set(["admin", "supervisor", "operator"]);
const VIEWERS = new Set(["admin", "supervisor", "operator", "auditor"]);
const ENROLLERS = new Set(["admin", "supervisor"]);
const LIST_READERS = new Set(["admin", "supervisor", "analyst", "operator"]);
const SEARCHERS = new Set(["admin", "supervisor", "analyst"]);
const MIN_SEARCH_REASON = 15;
const NOTICES = ["red", "blue", "yellow", "green", "black", "orange", "purple"];
const REFUSALS = {
  no_face: "no face found in the photo",
  several_faces: "several faces: use a photo of this person alone",
  too_small: "the face is too small: use a closer or larger photo",
  blurry: "the photo is too blurry",
  pose: "the face is turned too far from the camera",
  unreadable: "not a readable image",
};
const CONFIRMING = new Set(["pending_second_review", "confirmed"]);
const POLL_MS = 20000;

const state = { user: null, map: null, authorisations: [], persons: [], tab: "authorisations", timer: null };
const $ = (selector, root = document) => root.querySelector(selector);

window.addEventListener("amane:ready", (event) => init(event.detail).catch((err) => console.error(err)));

const PANEL = `
  <header class="faces-head">
    <h2>Faces</h2>
    <nav class="faces-tabs">
      <button type="button" data-tab="authorisations">Live identification</button>
      <button type="button" data-tab="watchlist">Watchlist</button>
      <button type="button" data-tab="search">Search by photo</button>
    </nav>
    <span class="spacer"></span>
    <button type="button" id="faces-close" class="ghost" aria-label="Close the faces page">Close</button>
  </header>
  <div data-pane="authorisations" hidden>
    <div class="kill-box">
      <button type="button" id="faces-kill-switch" class="kill">STOP all live face identification</button>
      <input id="faces-kill-reason" aria-label="Reason for stopping (optional)" placeholder="reason (optional)">
      <span id="faces-kill-result" class="muted" role="status"></span>
    </div>
    <p class="muted">Live identification is off unless an active authorisation covers the unit's position.
      It stops by itself at the end of the window, and at once with the switch above.</p>
    <form id="faces-auth-form" class="faces-form" autocomplete="off" hidden>
      <h3>New authorisation <span class="muted">(authorised by <span id="faces-auth-who"></span>)</span></h3>
      <label>Legal reference <input id="faces-auth-legal" required minlength="5" placeholder="order, warrant or law"></label>
      <label>Purpose <input id="faces-auth-purpose" required minlength="10" placeholder="operation, who is sought"></label>
      <div class="row"><label>Area <input id="faces-auth-area" required minlength="2"></label>
        <label>Lat <input id="faces-auth-lat" required inputmode="decimal"></label>
        <label>Lon <input id="faces-auth-lon" required inputmode="decimal"></label>
        <label>Radius (m) <input id="faces-auth-radius" required inputmode="numeric" value="2000"></label></div>
      <div class="row"><label>Start <input id="faces-auth-start" type="datetime-local" required></label>
        <label>End <input id="faces-auth-end" type="datetime-local" required></label></div>
      <button type="submit" id="faces-auth-submit">Authorise</button>
      <p id="faces-auth-error" class="error" role="alert"></p>
    </form>
    <table id="faces-auth-table" class="faces-table">
      <thead><tr><th>#</th><th>Status</th><th>Area</th><th>Legal reference / purpose</th><th>Authorised by</th><th>Window</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
  <div data-pane="watchlist" hidden>
    <form id="faces-person-form" class="faces-form" autocomplete="off" hidden>
      <h3>Enrol a person</h3>
      <div class="row"><label>Name <input id="faces-person-name" required></label>
        <label>Notice <select id="faces-person-notice">${NOTICES.map((n) => `<option>${n}</option>`).join("")}</select></label></div>
      <label>Reason <input id="faces-person-reason" required minlength="3" placeholder="why this person is sought"></label>
      <div class="row"><label>Legal basis <input id="faces-person-legal" required minlength="3"></label>
        <label>Agency <input id="faces-person-agency" required minlength="2"></label>
        <label>Expires <input id="faces-person-expires" type="date" required></label></div>
      <label>Reference photos <input id="faces-person-photos" type="file" accept="image/jpeg,image/png" multiple></label>
      <button type="submit" id="faces-person-submit">Enrol</button>
      <p id="faces-person-error" class="error" role="alert"></p>
    </form>
    <ul id="faces-photo-results" class="photo-results"></ul>
    <table id="faces-person-table" class="faces-table">
      <thead><tr><th>Name</th><th>Notice</th><th>Reason</th><th>Legal basis</th><th>Agency</th><th>Expires</th><th>Photos</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
  <div data-pane="search" hidden>
    <form id="faces-search-form" class="faces-form" autocomplete="off">
      <h3>Search the watchlist by photo</h3>
      <p class="muted">Only with a written reason (case number, what the photo is). The reason, the photo's
        fingerprint and the results go to the audit log. A result is a lead, never an identification.</p>
      <label>Reason <input id="faces-search-reason" placeholder="e.g. case 2026/441: CCTV still from the robbery"></label>
      <label>Photo <input id="faces-search-photo" type="file" accept="image/jpeg,image/png" required></label>
      <button type="submit" id="faces-search-submit">Search</button>
      <p id="faces-search-error" class="error" role="alert"></p>
    </form>
    <div id="faces-search-results"></div>
  </div>`;

async function init({ map, user }) {
  if (state.user) return;
  state.user = user;
  state.map = map;
  const section = $("#faces");
  if (!section || !(VIEWERS.has(user.role) || LIST_READERS.has(user.role))) return;
  section.innerHTML = PANEL;
  const open = document.createElement("button");
  open.id = "faces-open";
  open.type = "button";
  open.className = "ghost face-pill";
  open.textContent = "Faces";
  open.title = "Face watchlist and live-identification authorisations";
  open.addEventListener("click", () => toggle(true));
  $(".topbar .spacer").before(open);
  $("#faces-close").addEventListener("click", () => toggle(false));
  section.querySelectorAll(".faces-tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  const tabs = { authorisations: VIEWERS.has(user.role), watchlist: LIST_READERS.has(user.role),
    search: SEARCHERS.has(user.role) };
  for (const [tab, allowed] of Object.entries(tabs)) section.querySelector(`.faces-tabs [data-tab="${tab}"]`).hidden = !allowed;
  state.tab = tabs.authorisations ? "authorisations" : "watchlist";
  $("#faces-kill-switch").hidden = $("#faces-kill-reason").hidden = !STOPPERS.has(user.role);
  $("#faces-kill-switch").addEventListener("click", killSwitch);
  if (AUTHORISERS.has(user.role)) setupAuthorisationForm();
  if (ENROLLERS.has(user.role)) setupPersonForm();
  if (SEARCHERS.has(user.role)) $("#faces-search-form").addEventListener("submit", searchByPhoto);
  showTab(state.tab);
  if (VIEWERS.has(user.role)) {
    await refreshAuthorisations();
    state.timer = setInterval(() => refreshAuthorisations().catch(() => {}), POLL_MS);
  }
}

function toggle(visible) {
  $("#faces").hidden = !visible;
  if (visible) showTab(state.tab);
}

function showTab(tab) {
  state.tab = tab;
  document.querySelectorAll("#faces .faces-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
  document.querySelectorAll("#faces [data-pane]").forEach((p) => { p.hidden = p.dataset.pane !== tab; });
  const refresh = { watchlist: refreshPersons, authorisations: refreshAuthorisations }[tab];
  if (refresh) refresh().catch((err) => console.error(err));
}

function errorText(err) {
  if (!(err instanceof ApiError)) return String(err.message || err);
  if (Array.isArray(err.detail)) return err.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  return String(err.message);
}

function localInput(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

function when(iso) {
  return new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

// ---- authorisations ----------------------------------------------------------------------------

function setupAuthorisationForm() {
  const form = $("#faces-auth-form");
  form.hidden = false;
  $("#faces-auth-who").textContent = state.user.username;
  const centre = state.map ? state.map.getCenter() : { lat: 0, lng: 0 };
  $("#faces-auth-lat").value = centre.lat.toFixed(5);
  $("#faces-auth-lon").value = centre.lng.toFixed(5);
  const now = new Date();
  $("#faces-auth-start").value = localInput(now);
  $("#faces-auth-end").value = localInput(new Date(now.getTime() + 8 * 3600 * 1000));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("#faces-auth-error").textContent = "";
    $("#faces-auth-submit").disabled = true;
    try {
      const start = new Date($("#faces-auth-start").value);
      await call("POST", `${API}/authorisations`, {
        legal_reference: $("#faces-auth-legal").value.trim(),
        purpose: $("#faces-auth-purpose").value.trim(),
        area_name: $("#faces-auth-area").value.trim(),
        lat: Number($("#faces-auth-lat").value),
        lon: Number($("#faces-auth-lon").value),
        radius_m: Number($("#faces-auth-radius").value),
        // a start in the current minute means "now" (the input has no seconds)
        starts_at: (Math.abs(start - Date.now()) < 60000 ? new Date(Date.now() - 1000) : start).toISOString(),
        ends_at: new Date($("#faces-auth-end").value).toISOString(),
      });
      for (const id of ["#faces-auth-legal", "#faces-auth-purpose", "#faces-auth-area"]) $(id).value = "";
      await refreshAuthorisations();
    } catch (err) {
      $("#faces-auth-error").textContent = errorText(err);
    } finally {
      $("#faces-auth-submit").disabled = false;
    }
  });
}

function authorisationStatus(a) {
  if (a.revoked_at) return ["revoked", `revoked ${when(a.revoked_at)} by ${a.revoked_by}: ${a.revoke_reason || ""}`];
  if (a.active) return ["active", "active"];
  return new Date(a.starts_at) > new Date() ? ["scheduled", "scheduled"] : ["expired", "expired"];
}

async function refreshAuthorisations() {
  if (!VIEWERS.has(state.user.role)) return;
  state.authorisations = await call("GET", `${API}/authorisations`);
  const active = state.authorisations.filter((a) => a.active);
  const pill = $("#faces-open");
  pill.textContent = active.length ? `Face ID LIVE (${active.length})` : "Faces · ID off";
  pill.classList.toggle("live", active.length > 0);
  $("#faces-kill-switch").disabled = active.length === 0;
  const body = $("#faces-auth-table tbody");
  body.replaceChildren(...state.authorisations.map((a) => {
    const row = document.createElement("tr");
    const [status, text] = authorisationStatus(a);
    row.dataset.authorisationId = a.id;
    row.dataset.status = status;
    row.innerHTML = `<td>${a.id}</td><td><span class="auth-status ${status}" title="${escapeHtml(text)}">${escapeHtml(status)}</span></td>
      <td>${escapeHtml(a.area_name)}<div class="meta">${a.lat.toFixed(4)}, ${a.lon.toFixed(4)} · ${Math.round(a.radius_m)} m</div></td>
      <td>${escapeHtml(a.legal_reference)}<div class="meta">${escapeHtml(a.purpose)}</div></td>
      <td>${escapeHtml(a.authorised_by)}</td><td>${when(a.starts_at)} → ${when(a.ends_at)}</td><td></td>`;
    if (a.active && AUTHORISERS.has(state.user.role)) {
      const button = document.createElement("button");
      button.className = "danger";
      button.textContent = "Revoke";
      button.dataset.action = "revoke";
      button.addEventListener("click", () => revokeOne(a, button));
      row.lastElementChild.append(button);
    }
    return row;
  }));
}

async function revokeOne(a, button) {
  const reason = prompt(`Reason for revoking authorisation ${a.id} (${a.area_name}):`);
  if (!reason) return;
  button.disabled = true;
  try {
    await call("POST", `${API}/authorisations/${a.id}/revoke`, { reason });
  } catch (err) {
    window.alert(`Revoke failed: ${errorText(err)}`);
  }
  await refreshAuthorisations();
}

async function killSwitch() {
  const button = $("#faces-kill-switch");
  button.disabled = true;
  const typed = $("#faces-kill-reason").value.trim();
  const reason = typed.length >= 5 ? typed : "kill switch pressed on the dashboard";
  try {
    const { revoked } = await call("POST", `${API}/kill-switch`, { reason });
    $("#faces-kill-result").textContent = `Live identification stopped: ${revoked} authorisation(s) ended.`;
    $("#faces-kill-reason").value = "";
  } catch (err) {
    $("#faces-kill-result").textContent = `Kill switch failed: ${errorText(err)}`;
  }
  await refreshAuthorisations();
}

// ---- watchlist ---------------------------------------------------------------------------------

function setupPersonForm() {
  const form = $("#faces-person-form");
  form.hidden = false;
  $("#faces-person-expires").value = new Date(Date.now() + 90 * 86400 * 1000).toISOString().slice(0, 10);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("#faces-person-error").textContent = "";
    $("#faces-person-submit").disabled = true;
    try {
      const person = await call("POST", `${API}/watchlist/persons`, {
        name: $("#faces-person-name").value.trim(),
        notice: $("#faces-person-notice").value,
        reason: $("#faces-person-reason").value.trim(),
        legal_basis: $("#faces-person-legal").value.trim(),
        agency: $("#faces-person-agency").value.trim(),
        expires_at: new Date(`${$("#faces-person-expires").value}T23:59:59`).toISOString(),
      });
      await uploadPhotos(person, [...$("#faces-person-photos").files]);
      form.reset();
      $("#faces-person-expires").value = new Date(Date.now() + 90 * 86400 * 1000).toISOString().slice(0, 10);
    } catch (err) {
      $("#faces-person-error").textContent = errorText(err);
    } finally {
      $("#faces-person-submit").disabled = false;
      await refreshPersons();
    }
  });
}

async function uploadPhoto(personId, file) {
  const form = new FormData();
  form.append("photo", file, file.name);
  const response = await fetch(`${API}/watchlist/persons/${personId}/photos`, { method: "POST", body: form, credentials: "same-origin" });
  const data = await response.json().catch(() => ({}));
  if (response.ok) return { ok: true, text: `enrolled (quality ${Number(data.quality).toFixed(2)})` };
  const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
  const code = (/photo refused: (\w+)/.exec(detail) || [])[1];
  return { ok: false, code, text: code ? `refused: ${REFUSALS[code] || code}` : `failed: ${detail}` };
}

async function uploadPhotos(person, files) {
  const list = $("#faces-photo-results");
  list.replaceChildren();
  for (const file of files) {
    const result = await uploadPhoto(person.id, file);
    const item = document.createElement("li");
    item.className = result.ok ? "ok" : "refused";
    if (result.code) item.dataset.reason = result.code;
    item.textContent = `${person.name} · ${file.name}: ${result.text}`;
    list.append(item);
  }
}

async function refreshPersons() {
  if (!LIST_READERS.has(state.user.role)) return;
  state.persons = await call("GET", `${API}/watchlist/persons`);
  const body = $("#faces-person-table tbody");
  body.replaceChildren(...state.persons.map((p) => {
    const row = document.createElement("tr");
    row.dataset.personId = p.id;
    row.innerHTML = `<td>${escapeHtml(p.name)}</td><td><span class="notice notice-${escapeHtml(p.notice)}">${escapeHtml(p.notice)}</span></td>
      <td>${escapeHtml(p.reason)}</td><td>${escapeHtml(p.legal_basis)}</td><td>${escapeHtml(p.agency)}</td>
      <td>${new Date(p.expires_at).toLocaleDateString()}</td><td class="photos">${p.photos}</td><td class="row-actions"></td>`;
    if (ENROLLERS.has(state.user.role)) {
      const cell = row.querySelector(".row-actions");
      const add = document.createElement("label");
      add.className = "button-like";
      add.innerHTML = `+ photo <input type="file" accept="image/jpeg,image/png" hidden>`;
      add.querySelector("input").addEventListener("change", async (event) => {
        await uploadPhotos(p, [...event.target.files]);
        await refreshPersons();
      });
      const remove = document.createElement("button");
      remove.className = "danger";
      remove.textContent = "Remove";
      remove.dataset.action = "remove";
      remove.addEventListener("click", async () => {
        if (!confirm(`Remove ${p.name} from the watchlist, with photos and templates?`)) return;
        try {
          await call("DELETE", `${API}/watchlist/persons/${p.id}`);
        } catch (err) {
          window.alert(`Remove failed: ${errorText(err)}`);
        }
        await refreshPersons();
      });
      cell.append(add, remove);
    }
    return row;
  }));
}

// ---- search by photo (with a written reason, audited by the centre) ---------------------------

async function searchByPhoto(event) {
  event.preventDefault();
  const reason = $("#faces-search-reason").value.trim();
  const file = $("#faces-search-photo").files[0];
  const out = $("#faces-search-results");
  $("#faces-search-error").textContent = "";
  if (reason.length < MIN_SEARCH_REASON) {
    $("#faces-search-error").textContent = `A search by photo needs a written reason of at least ${MIN_SEARCH_REASON} characters.`;
    return;
  }
  if (!file) return;
  $("#faces-search-submit").disabled = true;
  try {
    const form = new FormData();
    form.append("photo", file, file.name);
    form.append("reason", reason);
    const response = await fetch(`${API}/search`, { method: "POST", body: form, credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, data.detail);
    const rows = data.results.map((h) => `<tr class="${h.possible_match ? "possible" : "no-match"}" data-person-id="${h.person.id}">
        <td>${escapeHtml(h.person.name)}</td><td><span class="notice notice-${escapeHtml(h.person.notice)}">${escapeHtml(h.person.notice)}</span></td>
        <td>${h.distance.toFixed(3)} / ${h.threshold.toFixed(3)}</td>
        <td>${h.possible_match ? "possible match (lead)" : "not a match"}</td></tr>`).join("");
    out.innerHTML = `<p class="statement">${escapeHtml(data.statement)}</p>
      <table class="faces-table"><thead><tr><th>Person</th><th>Notice</th><th>Distance / threshold</th><th></th></tr></thead>
      <tbody>${rows || `<tr><td colspan="4" class="muted">nobody on the watchlist</td></tr>`}</tbody></table>`;
  } catch (err) {
    const code = (/photo refused: (\w+)/.exec(errorText(err)) || [])[1];
    $("#faces-search-error").textContent = code ? `Photo refused: ${REFUSALS[code] || code}` : errorText(err);
    out.replaceChildren();
  } finally {
    $("#faces-search-submit").disabled = false;
  }
}

// ---- the face lead in the alert feed -----------------------------------------------------------

/** Who confirmed an alert so far: the distinct actors of its confirm steps. */
export function confirmers(alert) {
  return [...new Set((alert.transitions || []).filter((t) => CONFIRMING.has(t.to_status)
    && t.from_status !== t.to_status).map((t) => t.actor))];
}

function image(b64, alt) {
  return b64 ? `<img src="data:image/jpeg;base64,${escapeHtml(b64)}" alt="${escapeHtml(alt)}">`
    : `<div class="thumb-empty">${escapeHtml(alt)}: none</div>`;
}

/** Called by app.js for every alert card of kind "face": probe next to reference, score, confirmations. */
export function decorateFaceAlert(item, alert, user) {
  const p = alert.payload || {};
  const required = Math.max(2, Number(p.reviewers_required) || 2);
  const done = confirmers(alert);
  const block = document.createElement("div");
  block.className = "face-match";
  const score = p.distance != null
    ? `distance ${Number(p.distance).toFixed(3)} (match under ${Number(p.threshold).toFixed(3)})${p.similarity != null ? ` · similarity ${Math.round(100 * p.similarity)} %` : ""}`
    : "";
  block.innerHTML = `<div class="pair">
      <figure class="probe">${image(p.probe_chip_jpeg_b64, "probe")}<figcaption>seen by ${escapeHtml(alert.unit_id)}</figcaption></figure>
      <figure class="reference">${image(p.reference_jpeg_b64, "reference")}<figcaption>watchlist</figcaption></figure>
    </div>
    <div class="who">${escapeHtml(p.person_name || "")} <span class="notice notice-${escapeHtml(p.notice || "")}">${escapeHtml(p.notice || "")}</span>
      ${escapeHtml(p.reason || "")}${p.agency ? ` · ${escapeHtml(p.agency)}` : ""}</div>
    <div class="score">${escapeHtml(score)}</div>
    <div class="statement">${escapeHtml(p.statement || "A lead for human review, not an identification.")}</div>
    <div class="confirmations" data-done="${done.length}" data-required="${required}">${Math.min(done.length, required)} of ${required} confirmations${done.length ? ` (${done.map(escapeHtml).join(", ")})` : ""}</div>`;
  const actions = item.querySelector(".actions");
  item.classList.add("face");
  actions.before(block);
  if (alert.status === "pending_second_review" && user && done.includes(user.username)) {
    actions.querySelector('button[data-action="confirm"]')?.remove();
    const note = document.createElement("span");
    note.className = "muted await-second";
    note.textContent = "You confirmed: a different reviewer must confirm.";
    actions.prepend(note);
  }
}
