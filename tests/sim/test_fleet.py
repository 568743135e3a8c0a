"""The simulated fleet against the REAL centre on its in-process bus: units drive, report positions, get
messages and acknowledge them, all through the real unit runtime."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.users.service import create_user
from amane.config import CenterSettings
from amane.core.geometry import haversine_m
from amane.sim.city import RABAT
from amane.sim.fleet import FleetConfig, register_fleet, run_fleet
from amane.store import models


async def test_fleet_drives_reports_and_acknowledges(tmp_path: Path) -> None:
    settings = CenterSettings(database_url=f"sqlite:///{tmp_path / 'center.db'}", data_dir=tmp_path / "c")
    app = create_app(settings, serve_dashboard=False)
    center: Center = app.state.center
    config = FleetConfig(
        cars=1,
        motorcycles=1,
        width=320,
        height=180,
        fps=4.0,
        heartbeat_s=1.0,
        speed_mps=30.0,
        workdir=tmp_path / "fleet",
        plugins="none",
    )
    with center.db.writing() as session:
        register_fleet(session, config)  # twice: a restarted demo gets fresh tokens for the same units
    with center.db.writing() as session:
        tokens = register_fleet(session, config)
        create_user(session=session, username="op1", role="operator", password="pw pw pw pw pw", mfa=False)
    await center.start()
    stop = asyncio.Event()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://centre") as http:
        fleet = asyncio.create_task(
            run_fleet(config, tokens=tokens, stop=stop, bus=center.bus, http=http, center_url="http://centre")
        )
        await asyncio.sleep(2.5)
        login = await http.post("/api/v1/auth/login", json={"username": "op1", "password": "pw pw pw pw pw"})
        staff = {"Authorization": f"Bearer {login.json()['token']}"}
        http.cookies.clear()
        sent = await http.post(
            "/api/v1/regions/rabat/broadcast", json={"body": "all units: stay alert"}, headers=staff
        )
        assert sent.status_code == 201, sent.text
        states: dict[str, str] = {}
        for _ in range(80):  # delivered at once, read by the simulated crew a few seconds later
            await asyncio.sleep(0.25)
            got = await http.get(f"/api/v1/messages/{sent.json()['id']}", headers=staff)
            states = {d["unit"]: d["state"] for d in got.json()["deliveries"]}
            if set(states.values()) == {"read"}:
                break
        units = {u["callsign"]: u for u in (await http.get("/api/v1/units", headers=staff)).json()}
        here = units["RBT-M1"]["last_position"]
        target = {"lat": here["lat"] + 0.001, "lon": here["lon"]}  # ~110 m north
        order = await http.post(
            "/api/v1/units/RBT-M1/messages",
            json={"kind": "goto", "body": "incident", "location": target},
            headers=staff,
        )
        assert order.status_code == 201, order.text
        statuses = []
        for _ in range(80):
            await asyncio.sleep(0.25)
            moto = {u["callsign"]: u for u in (await http.get("/api/v1/units", headers=staff)).json()}[
                "RBT-M1"
            ]
            statuses.append(moto["status"])
            if moto["status"] == "on_scene":
                break
        stop.set()
        report = await fleet
    await center.stop()
    assert states == {"RBT-C1": "read", "RBT-M1": "read"}
    assert "en_route" in statuses and statuses[-1] == "on_scene"
    position = moto["last_position"]
    assert haversine_m(target["lat"], target["lon"], position["lat"], position["lon"]) < 15.0
    with center.db.session() as session:
        units = {u.callsign: u for u in session.query(models.Unit).all()}
    center.db.dispose()
    for callsign in tokens:
        row = units[callsign]
        assert row.last_lat is not None and row.last_lon is not None, callsign
        assert haversine_m(RABAT[0], RABAT[1], row.last_lat, row.last_lon) < 2000  # on the city grid
        assert row.heading_deg is not None
    assert report.backlog["RBT-C1"].get("alert", 0) == 0
    assert sum(report.delivered.values()) >= 4  # heartbeats and acks went through the uplink
