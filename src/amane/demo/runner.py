"""Run the demo: a centre on the embedded default plus the simulated fleet, in one process.

Each simulated unit runs the real unit runtime (cameras rendered by :mod:`amane.sim`, motion gate,
detector, tracker, plate/face/behaviour plug-ins as far as they are installed, outbox, uplink) and
talks to the real centre over HTTP and the in-process bus.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import typer
from sqlalchemy import select

from amane.center import security
from amane.center import server as center_server
from amane.center.app import create_app
from amane.center.audit import service as audit
from amane.center.runtime import Center
from amane.center.users import service as user_service
from amane.config import CenterSettings, MapCenter
from amane.sim.fleet import FleetConfig, register_fleet, run_fleet, street_behaviour
from amane.store.models import User
from amane.watchlists.hotlist import Hotlist, HotlistEntry, HotlistReason

logger = logging.getLogger(__name__)

DEMO_OPERATOR = "demo"
RABAT = MapCenter(lat=34.0181, lon=-6.8355)
# Plates the simulated scenes show, and the hotlist the units check them against.
DEMO_HOTLIST = (
    ("57626-ب-8", HotlistReason.STOLEN, 1, "Stolen 2026-11-20, Agdal"),
    ("12345-د-6", HotlistReason.WANTED, 2, "Vehicle used in a robbery"),
    ("8421-ه-1", HotlistReason.BOLO, 3, "Be on the look-out: hit and run"),
)


def _box(name: str, south: float, west: float, north: float, east: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return {"type": "Feature", "properties": {"name": name}, "geometry": geometry}


DEMO_REGIONS = {
    "type": "FeatureCollection",
    "features": [
        _box("Hassan", 34.0100, -6.8500, 34.0320, -6.8150),
        _box("Agdal", 33.9930, -6.8650, 34.0100, -6.8300),
        _box("Souissi", 33.9800, -6.8300, 34.0100, -6.8050),
    ],
}


def demo_settings(data_dir: Path, host: str, port: int) -> CenterSettings:
    """Settings of the demo centre: the embedded default under ``data_dir``, a map of Rabat."""
    return CenterSettings(
        database_url=f"sqlite:///{data_dir / 'demo.db'}",
        data_dir=data_dir,
        host=host,
        port=port,
        map_center=RABAT,
        map_zoom=14,
        regions=DEMO_REGIONS,
    )


def demo_fleet(data_dir: Path, *, cars: int = 2, motorcycles: int = 1) -> FleetConfig:
    """The demo's fleet: hotlisted plates in the scenes, loitering rules on the pavement."""
    width, height = 640, 360
    return FleetConfig(
        cars=cars,
        motorcycles=motorcycles,
        regions=["hassan", "agdal", "souissi"],
        width=width,
        height=height,
        plates=[plate for plate, *_ in DEMO_HOTLIST],
        workdir=data_dir / "fleet",
        plugin_options={
            "plates": {"hotlist": str(data_dir / "hotlist.db")},
            "behaviour": street_behaviour(width, height),
        },
    )


def write_hotlist(path: Path) -> None:
    """The demo hotlist (replaced on every run), with the governance every entry must carry."""
    path.unlink(missing_ok=True)
    hotlist = Hotlist(path)
    try:
        hotlist.add(
            HotlistEntry(
                plate=plate,
                reason=reason,
                priority=priority,
                agency="DGSN demo",
                legal_basis="Demo data, no real person or vehicle",
                notes=notes,
                expires_at=datetime.now(UTC) + timedelta(days=30),
            )
            for plate, reason, priority, notes in DEMO_HOTLIST
        )
    finally:
        hotlist.close()


def prepare(center: Center, fleet: FleetConfig) -> tuple[str, dict[str, str]]:
    """Create (or reset) the demo operator and register the fleet; returns the password and unit tokens."""
    password = secrets.token_urlsafe(9)
    with center.db.writing() as session:
        user = session.execute(select(User).where(User.username == DEMO_OPERATOR)).scalar_one_or_none()
        if user is None:
            user_service.create_user(
                session=session,
                username=DEMO_OPERATOR,
                role="operator",
                password=password,
                mfa=False,
                actor="demo",
            )
        else:  # a new password each run, and a fresh start after a lockout
            user.password_hash = security.hash_password(password)
            user.disabled, user.locked, user.failed_logins = False, False, 0
            audit.append(
                session=session,
                actor="demo",
                action="user.reset_password",
                target=f"user:{DEMO_OPERATOR}",
                details={},
            )
        tokens = register_fleet(session, fleet)
    return password, tokens


async def run_demo(
    *,
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    duration_s: float | None = None,
    fleet: FleetConfig | None = None,
) -> None:
    """Serve the centre and drive the fleet until interrupted (or for ``duration_s``)."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = demo_settings(data_dir, host, port)
    fleet = fleet or demo_fleet(data_dir)
    center = Center(settings)
    app = create_app(settings, center=center)
    await asyncio.to_thread(write_hotlist, data_dir / "hotlist.db")
    password, tokens = prepare(center, fleet)
    server = center_server.server(app, host=host, port=port, log_level="warning")
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
        f"  {len(tokens)} simulated units run the real unit pipeline around central Rabat. Ctrl-C stops.\n"
    )
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
        driving = asyncio.create_task(
            run_fleet(fleet, tokens=tokens, stop=stop, bus=center.bus, http=client, center_url=url)
        )
        try:
            await asyncio.wait({serving, driving}, timeout=duration_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.set()
            report = await driving
            logger.info("demo fleet: alerts %s, delivered %s", report.alerts, report.delivered)
            server.should_exit = True
            await serving
