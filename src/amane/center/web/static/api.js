// Thin client of the centre's HTTP API. The session lives in an HttpOnly cookie.
export const paths = {
  login: "/api/v1/auth/login",
  logout: "/api/v1/auth/logout",
  me: "/api/v1/auth/me",
  dashboard: "/api/v1/dashboard/config",
  alerts: "/api/v1/alerts",
  units: "/api/v1/units",
  live: "/api/v1/live",
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

export async function call(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data && data.detail !== undefined ? data.detail : data);
  return data;
}

export const login = (username, password, totp) =>
  call("POST", paths.login, { username, password, totp: totp || null });
export const logout = () => call("POST", paths.logout);
export const me = () => call("GET", paths.me);
export const dashboardConfig = () => call("GET", paths.dashboard);
export const listAlerts = (status) =>
  call("GET", `${paths.alerts}?limit=100${status ? `&status=${encodeURIComponent(status)}` : ""}`);
export const transition = (id, action, reason) =>
  call("POST", `${paths.alerts}/${id}/transitions`, { action, reason: reason || null });
export const listUnits = () => call("GET", paths.units);

export function liveSocket() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return new WebSocket(`${scheme}://${location.host}${paths.live}`);
}
