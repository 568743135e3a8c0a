"""Run the demo: a centre on the embedded default plus a scripted fleet, in one process."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import typer
import uvicorn
from sqlalchemy import select

from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units import service as unit_service
from amane.center.users import service as user_service
from amane.config import CenterSettings, MapCenter
from amane.core.messages import GeoPoint, UnitKind
from amane.demo.scripted import RABAT, ScriptedUnit, drive
from amane.store.models import Unit, User

logger = logging.getLogger(__name__)

DEMO_OPERATOR = "demo"
FLEET = (
    ("RBT-01", UnitKind.CAR, "hassan", GeoPoint(lat=34.0230, lon=-6.8330), 450.0, 9.0),
    ("RBT-02", UnitKind.CAR, "agdal", GeoPoint(lat=34.0050, lon=-6.8480), 600.0, 11.0),
    ("RBT-M1", UnitKind.MOTORCYCLE, "hassan", GeoPoint(lat=34.0160, lon=-6.8250), 350.0, 12.0),
    ("RBT-03", UnitKind.CAR, "souissi", GeoPoint(lat=33.9950, lon=-6.8250), 700.0, 10.0),
    ("RBT-D1", UnitKind.DRONE, "hassan", GeoPoint(lat=34.0200, lon=-6.8400), 250.0, 6.0),
)


def _box(name: str, south: float, west: float, north: float, east: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


DEMO_REGIONS = {
    "type": "FeatureCollection",
    "features": [
        _box("Hassan", 34.0100, -6.8500, 34.0320, -6.8150),
        _box("Agdal", 33.9930, -6.8650, 34.0100, -6.8300),
        _box("Souissi", 33.9800, -6.8300, 34.0100, -6.8050),
    ],
}


@dataclass(frozen=True)
class DemoSetup:
    settings: CenterSettings
    password: str
    units: list[ScriptedUnit]


def demo_settings(data_dir: Path, host: str, port: int) -> CenterSettings:
    """Settings of the demo centre: the embedded default under ``data_dir``, a map of Rabat."""
    return CenterSettings(
        database_url=f"sqlite:///{data_dir / 'demo.db'}",
        data_dir=data_dir,
        host=host,
        port=port,
        map_center=MapCenter(lat=RABAT.lat, lon=RABAT.lon),
        map_zoom=14,
        regions=DEMO_REGIONS,
    )


def prepare(center: Center) -> tuple[str, list[ScriptedUnit]]:
    """Create (or reset) the demo operator and the fleet's units; returns the password and the units."""
    password = secrets.token_urlsafe(9)
    with center.db.writing() as session:
        old = session.execute(select(User).where(User.username == DEMO_OPERATOR)).scalar_one_or_none()
        if old is not None:
            session.delete(old)
            session.flush()
        user_service.create_user(
            session=session,
            username=DEMO_OPERATOR,
            role="operator",
            password=password,
            mfa=False,
            actor="demo",
        )
        units = []
        for callsign, kind, region, centre, radius, speed in FLEET:
            unit = session.execute(select(Unit).where(Unit.callsign == callsign)).scalar_one_or_none()
            if unit is None:
                _, token = unit_service.register_unit(
                    session=session, callsign=callsign, kind=kind, region=region, actor="demo"
                )
            else:
                token = unit_service.issue_token(session=session, unit=unit, actor="demo")
            units.append(ScriptedUnit(callsign, kind, region, token, centre, radius, speed))
    return password, units


async def run_demo(
    *, data_dir: Path, host: str = "127.0.0.1", port: int = 8000, duration_s: float | None = None
) -> None:
    """Serve the centre and drive the fleet until interrupted (or for ``duration_s``)."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = demo_settings(data_dir, host, port)
    center = Center(settings)
    app = create_app(settings, center=center)
    password, units = prepare(center)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
            return
        await asyncio.sleep(0.05)
    url = f"http://{host}:{port}/"
    typer.echo(
        f"\namane demo: the command centre is running.\n  Dashboard: {url}\n"
        f"  Sign in as '{DEMO_OPERATOR}' with password '{password}'.\n"
        "  (This demo operator has NO second factor, for the demo only: admin and supervisor accounts\n"
        "   always need TOTP.)\n"
        f"  {len(units)} scripted units are driving around central Rabat. Ctrl-C stops.\n"
    )
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
        drivers = [asyncio.create_task(drive(client, u, seed=i, stop=stop)) for i, u in enumerate(units)]
        try:
            if duration_s is None:
                await serving
            else:
                await asyncio.wait({serving}, timeout=duration_s)
        finally:
            stop.set()
            await asyncio.gather(*drivers, return_exceptions=True)
            server.should_exit = True
            await serving
