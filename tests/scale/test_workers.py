"""Several centre workers on one PostgreSQL + NATS: a dashboard on worker B sees what worker A ingested;
``amane center --workers N`` runs N processes on one port; the in-process bus refuses N > 1."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
import typer
import websockets
from typer.testing import CliRunner

from amane.bus.nats import NatsBus
from amane.center.cli import center as center_command
from amane.center.units.service import register_unit
from amane.center.users.service import create_user
from amane.core.messages import encode
from amane.scale.load import make_alerts, publish_alerts, tally, wait_rows
from amane.scale.services import CenterProcess, free_port
from amane.store import Database, upgrade

PASSWORD = "operator password for scale tests"


def _prepare(database_url: str) -> tuple[Database, str]:
    """Migrate, add an operator and unit SCALE-0000; returns the database and the unit's token."""
    db = Database(database_url)
    upgrade(db.write_engine)
    with db.writing() as session:
        create_user(session=session, username="op", role="operator", password=PASSWORD, mfa=False)
        _, token = register_unit(session=session, callsign="SCALE-0000", kind="car", region="casa")
    return db, token


def _worker(database_url: str, bus_url: str, tmp_path: Path, name: str, workers: int = 1) -> CenterProcess:
    env = {"AMANE_DATABASE_URL": database_url, "AMANE_BUS_URL": bus_url,
           "AMANE_DATA_DIR": str(tmp_path / name)}
    return CenterProcess(free_port(), env, tmp_path / f"{name}.log", workers=workers)


async def _watch(base_url: str, expected: set[str], seen: list[str], ready: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        login = await client.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD})
        login.raise_for_status()
        token = login.json()["token"]
    ws_url = base_url.replace("http://", "ws://") + f"/api/v1/live?token={token}"
    async with websockets.connect(ws_url, max_size=2**22) as socket:
        ready.set()
        while not expected <= set(seen):
            event = json.loads(await socket.recv())
            if event["type"] == "alert.new":
                seen.append(event["data"]["id"])


@pytest.mark.nats
@pytest.mark.postgres
async def test_workers_share_the_stream_and_a_dashboard_on_any_worker_sees_everything(
    scratch_db: str, scratch_bus: str, tmp_path: Path
) -> None:
    """A: ``amane center --workers 2`` (two processes, one port); B: a third process on its own port.
    Units post alerts over HTTP to A and publish more on NATS; a dashboard on B sees every one, once."""
    db, unit_token = _prepare(scratch_db)
    a = _worker(scratch_db, scratch_bus, tmp_path, "a", workers=2).start()
    b = _worker(scratch_db, scratch_bus, tmp_path, "b").start()
    over_http = [alert.model_copy(update={"unit_id": "SCALE-0000"}) for alert in make_alerts(100, units=1)]
    over_bus = make_alerts(500, units=10, seed=5)
    everything = over_http + over_bus
    seen: list[str] = []
    try:
        await asyncio.gather(asyncio.to_thread(a.wait_healthy), asyncio.to_thread(b.wait_healthy))
        assert a.proc is not None
        for _ in range(100):  # uvicorn's supervisor starts its workers one after the other
            if len(_children(a.proc.pid)) >= 2:
                break
            await asyncio.sleep(0.2)
        assert len(_children(a.proc.pid)) == 2
        ready = asyncio.Event()
        watching = asyncio.create_task(_watch(b.base_url, {str(x.id) for x in everything}, seen, ready))
        await asyncio.wait_for(ready.wait(), 30)
        headers = {"Authorization": f"Bearer {unit_token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=a.base_url, headers=headers) as unit:
            for alert in over_http:  # over HTTP, to A only
                response = await unit.post("/api/v1/alerts", content=encode(alert))
                assert response.status_code == 201, response.text
        units = NatsBus(scratch_bus)
        await publish_alerts(units, over_bus)  # over NATS: A's two workers and B share them
        await units.close()
        await asyncio.wait_for(watching, 60)
        await wait_rows(db, len(everything), timeout_s=30)
    finally:
        a.stop()
        b.stop()
    assert sorted(seen) == sorted(str(x.id) for x in everything)  # every one, once, on B's dashboard
    result = tally("3 workers", everything, db)
    db.dispose()
    assert (result.lost, result.duplicated) == (0, 0), result


def _children(pid: int) -> list[int]:
    """Child processes of ``pid`` that are Python interpreters (uvicorn workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        command = (entry / "cmdline").read_bytes().decode(errors="replace")
        if int(fields[1]) == pid and "spawn_main" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize(("bus_url", "workers", "code"), [("memory://", 2, 2), ("memory://", 0, 2)])
def test_several_workers_need_a_shared_bus(
    bus_url: str, workers: int, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMANE_BUS_URL", bus_url)
    monkeypatch.setenv("AMANE_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    app = typer.Typer()
    app.command()(center_command)
    result = CliRunner().invoke(app, ["--workers", str(workers)], env=dict(os.environ))
    assert result.exit_code == code, result.output
    assert "workers" in result.output
