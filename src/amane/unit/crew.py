"""The crew's page, served by the unit itself (stdlib HTTP server on its own thread).

``GET /`` the page (recent alerts with their snapshot, messages from the centre with a "read" button,
link and backlog state; refreshes every few seconds), ``GET /api/state`` the same as JSON,
``POST /api/messages/{id}/read`` marks a message read (a ``read`` ack goes to the centre),
``POST /api/messages`` ``{"body"}`` sends the crew's message to the centre, ``POST /api/status``
``{"status"}`` sets the unit's status (available, busy, en_route, on_scene, ...; a heartbeat goes at once),
``GET /evidence/{alert id}/{file}`` a snapshot, ``GET /metrics`` Prometheus text.
Bind it to the cabin network only (default 127.0.0.1).
"""

from __future__ import annotations

import html
import json
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from amane.core.messages import UnitStatus

if TYPE_CHECKING:
    from amane.unit.runtime import UnitRuntime

logger = logging.getLogger(__name__)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>amane unit {unit}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:15px system-ui,sans-serif;margin:1em;background:#111;color:#eee}}
h1{{font-size:1.2em}}
.row{{border-bottom:1px solid #333;padding:.5em 0;display:flex;gap:1em;align-items:center}}
.sev-high,.sev-critical{{color:#ff6b6b}} img{{max-height:90px}} button{{font-size:1em}} .read{{opacity:.55}}
.state{{color:#9c9}}</style></head><body>
<h1>Unit {unit}</h1><p class="state" id="state"></p>
<p>Status: {statuses}</p>
<h2>Messages</h2>
<form onsubmit="send(event)"><input id="body" maxlength="4000" placeholder="Message to the centre" size="50">
<button>send</button></form>
<div id="messages">{messages}</div>
<h2>Alerts</h2><div id="alerts">{alerts}</div>
<script>
async function post(url,data){{await fetch(url,{{method:'POST',headers:{{'Content-Type':'application/json'}},
body:JSON.stringify(data||{{}})}});location.reload();}}
function markRead(id){{post('/api/messages/'+id+'/read');}}
function setStatus(s){{post('/api/status',{{status:s}});}}
function send(e){{e.preventDefault();const b=document.getElementById('body').value.trim();
if(b)post('/api/messages',{{body:b}});}}
setInterval(()=>{{if(document.activeElement.tagName!=='INPUT')location.reload();}},5000);
</script></body></html>"""


def state(runtime: UnitRuntime) -> dict[str, Any]:
    """What the page shows, as JSON-ready data."""
    alerts = [
        {
            "id": str(r.alert.id),
            "kind": r.alert.kind.value,
            "severity": r.alert.severity.value,
            "camera": r.alert.camera_id,
            "summary": r.alert.summary,
            "observed_at": r.alert.observed_at.isoformat(),
            "evidence": sorted(r.evidence),
        }
        for r in runtime.recent_alerts()[:50]
    ]
    messages = [
        {
            "id": str(e.message.id),
            "kind": e.message.kind.value,
            "body": e.message.body,
            "sender": e.message.sender,
            "region": e.message.region,
            "location": e.message.location.model_dump() if e.message.location else None,
            "received_at": e.received_at.isoformat(),
            "read": e.read_at is not None,
        }
        for e in runtime.inbox.recent(50)
    ]
    return {**runtime.describe(), "status": runtime.status.value, "alerts": alerts, "messages": messages}


def render_page(runtime: UnitRuntime) -> str:
    """The HTML page."""
    data = state(runtime)
    esc = html.escape
    msgs = (
        "".join(
            f'<div class="row{" read" if m["read"] else ""}"><b>{esc(m["kind"])}</b> {esc(m["body"])}'
            + (
                f" <i>go to {m['location']['lat']:.5f}, {m['location']['lon']:.5f}</i>"
                if m["location"]
                else ""
            )
            + ("" if m["read"] else f" <button onclick=\"markRead('{m['id']}')\">read</button>")
            + "</div>"
            for m in data["messages"]
        )
        or "<p>none</p>"
    )
    alerts = (
        "".join(
            f'<div class="row sev-{esc(a["severity"])}">'
            + (
                f'<img src="/evidence/{a["id"]}/snapshot.jpg" alt="">'
                if "snapshot.jpg" in a["evidence"]
                else ""
            )
            + f"<span><b>{esc(a['kind'])}</b> {esc(a['summary'])}<br><small>{esc(a['camera'])} "
            f"{esc(a['observed_at'][:19])}</small></span></div>"
            for a in data["alerts"]
        )
        or "<p>none</p>"
    )
    statuses = " ".join(
        f"<button onclick=\"setStatus('{v.value}')\"{' disabled' if v.value == data['status'] else ''}>"
        f"{esc(v.value.replace('_', ' '))}</button>"
        for v in UnitStatus
    )
    page = _PAGE.format(unit=esc(data["unit_id"]), messages=msgs, alerts=alerts, statuses=statuses)
    link = "link up" if data["link_up"] else "link down"
    return page.replace(
        '<p class="state" id="state"></p>',
        f'<p class="state" id="state">{link}; waiting to send: {esc(json.dumps(data["outbox"]))}</p>',
    )


class _Handler(BaseHTTPRequestHandler):
    runtime: UnitRuntime

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("crew page: %s", format % args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/":
            self._send(200, render_page(self.runtime).encode(), "text/html; charset=utf-8")
        elif path == "/api/state":
            self._send(200, json.dumps(state(self.runtime)).encode(), "application/json")
        elif path == "/metrics":
            self.runtime.refresh_metrics()
            self._send(200, self.runtime.metrics.render(), "text/plain; version=0.0.4")
        elif path.startswith("/evidence/"):
            self._evidence(path.split("/")[2:])
        else:
            self._send(404, b"not found", "text/plain")

    def _evidence(self, parts: list[str]) -> None:
        if len(parts) != 2 or parts[1] not in ("snapshot.jpg", "crop.jpg"):
            self._send(404, b"not found", "text/plain")
            return
        try:
            alert_id = uuid.UUID(parts[0])
        except ValueError:
            self._send(404, b"not found", "text/plain")
            return
        for recent in self.runtime.recent_alerts():
            if recent.alert.id == alert_id and parts[1].removesuffix(".jpg") + ".jpg" in {
                p.name for p in recent.evidence.values()
            }:
                path = next(p for p in recent.evidence.values() if p.name == parts[1])
                if path.is_file():
                    self._send(200, path.read_bytes(), "image/jpeg")
                    return
        self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["api", "messages"] and parts[3] == "read":
            try:
                message_id = uuid.UUID(parts[2])
            except ValueError:
                self._send(400, b"bad message id", "text/plain")
                return
            changed = self.runtime.inbox.mark_read(message_id)
            self._send(200, json.dumps({"read": True, "changed": changed}).encode(), "application/json")
        elif parts == ["api", "status"]:
            body = self._json()
            try:
                status = UnitStatus(str(body.get("status", "")))
            except ValueError:
                self._send(400, b"unknown status", "text/plain")
                return
            self.runtime.set_status(status)
            self._send(200, json.dumps({"status": status.value}).encode(), "application/json")
        elif parts == ["api", "messages"]:
            text = str(self._json().get("body", "")).strip()
            if not text or len(text) > 4000:
                self._send(400, b"a message needs a body of at most 4000 characters", "text/plain")
                return
            message = self.runtime.send_crew_message(text)
            self._send(201, json.dumps({"id": str(message.id)}).encode(), "application/json")
        else:
            self._send(404, b"not found", "text/plain")

    def _json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > 64_000:
            return {}
        try:
            data = json.loads(self.rfile.read(length))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


class CrewPage:
    """The page's HTTP server on a daemon thread."""

    def __init__(self, runtime: UnitRuntime, host: str, port: int) -> None:
        handler = type("CrewHandler", (_Handler,), {"runtime": runtime})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="crew-page", daemon=True)

    @property
    def url(self) -> str:
        """Where the page is."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve."""
        self._thread.start()
        logger.info("crew page at %s", self.url)

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
