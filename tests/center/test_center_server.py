"""``amane center`` really serves: start it as a process, sign in, post an alert, see it listed."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from amane.center.units.service import register_unit
from amane.center.users.service import create_user
from amane.core.messages import Alert, AlertKind, Severity, encode
from amane.store import Database, upgrade


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_amane_center_serves_the_api(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    db = Database(url)
    upgrade(db.write_engine)
    with db.writing() as session:
        create_user(session=session, username="op", role="operator", password="operator pass", mfa=False)
        _, token = register_unit(session=session, callsign="RBT-1", kind="car", region="casa")
    db.dispose()
    config = tmp_path / "center.yaml"
    config.write_text(f"database_url: {url}\ndata_dir: {tmp_path / 'data'}\n")
    port = _free_port()
    code = "import sys; from amane.cli import main; sys.argv[0] = 'amane'; main()"
    server = subprocess.Popen(
        [sys.executable, "-c", code, "center", "--config", str(config), "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the centre did not come up"
                time.sleep(0.2)
        alert = Alert(
            kind=AlertKind.SOS,
            severity=Severity.CRITICAL,
            unit_id="RBT-1",
            observed_at=datetime.now(UTC),
            summary="crew SOS",
        )
        posted = httpx.post(
            f"{base}/api/v1/alerts",
            content=encode(alert),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert posted.status_code == 201
        with httpx.Client(base_url=base) as client:
            assert client.get("/api/v1/alerts").status_code == 401
            login = client.post("/api/v1/auth/login", json={"username": "op", "password": "operator pass"})
            assert login.status_code == 200
            assert [a["id"] for a in client.get("/api/v1/alerts").json()] == [str(alert.id)]
    finally:
        server.terminate()
        server.wait(timeout=30)


async def test_serve_in_the_callers_event_loop(tmp_path: Path) -> None:
    """What ``amane demo`` does: the centre and its own tasks in one event loop."""
    from amane.center.app import create_app
    from amane.center.server import server
    from amane.config import CenterSettings

    app = create_app(
        CenterSettings(database_url=f"sqlite:///{tmp_path / 'e.db'}", data_dir=tmp_path / "d"),
        serve_dashboard=False,
    )
    port = _free_port()
    uv = server(app, host="127.0.0.1", port=port, log_level="warning")
    task = asyncio.create_task(uv.serve())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                if uv.started:
                    break
                await asyncio.sleep(0.05)
            assert (await client.get("/api/v1/health")).json()["status"] == "ok"
            assert app.state.center.started
    finally:
        uv.should_exit = True
        await task
    assert not app.state.center.started
