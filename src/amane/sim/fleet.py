"""The simulated fleet: cars and motorcycles driving routes around Rabat, each running the REAL unit runtime.

Every simulated unit is a :class:`~amane.unit.runtime.UnitRuntime` like ``amane unit`` runs: synthetic
cameras (:class:`~amane.sim.source.SimulatedCamerasConfig`) at a modest size and rate, a GPS driving
its route of the simulated :class:`~amane.sim.city.City`, the real pipeline (motion gate, detector,
tracker, recogniser plug-ins), the SQLite outbox and the uplink to the real centre: over the bus when one
is given (evidence and the inbox over HTTP), else over HTTP. A simulated crew (:mod:`amane.sim.crew`)
reads the messages, drives to go-to orders and reports en route / on scene / available. Recogniser
plug-ins are loaded when they start (``plugins="auto"``), so plate, face and behaviour alerts appear as
those packages land.

The demo first registers the units :func:`plan_fleet` lists (:func:`register_fleet` does it in a centre
session), then calls :func:`run_fleet` with their tokens; ``run_fleet`` returns when ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.bus import Bus
from amane.config.unit import (
    CenterLinkConfig,
    CrewPageConfig,
    EvidenceConfig,
    OutboxConfig,
    RecognizerEntry,
    SchedulingConfig,
    SimulatedGps,
    UnitConfig,
)
from amane.core.errors import ConfigError
from amane.core.messages import Alert, UnitKind
from amane.sim.city import City
from amane.sim.crew import PatrolDriver, run_crew
from amane.sim.source import SimCameraConfig, SimulatedCamerasConfig
from amane.unit.plugins import BUILTIN_FACTORIES, load_plugins
from amane.unit.runtime import UnitRuntime
from amane.unit.transport import BusTransport, HttpTransport, Transport

logger = logging.getLogger(__name__)


class FleetConfig(BaseModel):
    """The simulated fleet."""

    model_config = ConfigDict(extra="forbid")
    cars: int = Field(2, ge=0, le=50, description="Patrol cars (front and rear cameras)")
    motorcycles: int = Field(1, ge=0, le=50, description="Motorcycles (one front camera)")
    region: str = Field("rabat", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    regions: list[str] = Field(
        default_factory=list, description="Regions given to the units in turn (default: all in `region`)"
    )
    callsign_prefix: str = Field("RBT", min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$")
    width: int = Field(640, ge=64, le=1920, description="Camera frame width (modest: 2 cores for everyone)")
    height: int = Field(360, ge=48, le=1080)
    fps: float = Field(5.0, gt=0.0, le=30.0, description="Frames per second per camera")
    seed: int = Field(7, ge=0, description="City and scene seed")
    speed_mps: float = Field(9.0, gt=0.0, le=40.0, description="Driving speed")
    plates: list[str] = Field(default_factory=list, description="Plates the scenes show first (hotlisted)")
    heartbeat_s: float = Field(5.0, ge=1.0, le=120.0)
    workdir: Path = Field(Path("var/fleet"), description="Outboxes and evidence of the simulated units")
    plugins: Literal["auto", "none"] = Field("auto", description="'auto': every built-in plug-in that loads")
    plugin_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Options by plug-in name, e.g. {'plates': {'hotlist': 'hotlist.db'}, 'behaviour': {}}",
    )
    crew_pages: bool = Field(False, description="Serve each unit's crew page (on a free port)")
    on_scene_s: float = Field(60.0, ge=1.0, le=3600.0, description="How long a crew stays where it was sent")


@dataclass(frozen=True)
class PlannedUnit:
    """A unit of the fleet, as the centre must register it."""

    callsign: str
    kind: UnitKind
    region: str
    route: int


def plan_fleet(config: FleetConfig) -> list[PlannedUnit]:
    """The fleet's units: ``<prefix>-C1..``, motorcycles ``<prefix>-M1..`` (register them, then run)."""
    kinds = [(f"{config.callsign_prefix}-C{i + 1}", UnitKind.CAR) for i in range(config.cars)]
    kinds += [(f"{config.callsign_prefix}-M{i + 1}", UnitKind.MOTORCYCLE) for i in range(config.motorcycles)]
    regions = config.regions or [config.region]
    return [PlannedUnit(sign, kind, regions[n % len(regions)], n) for n, (sign, kind) in enumerate(kinds)]


def register_fleet(session: Session, config: FleetConfig, actor: str = "demo") -> dict[str, str]:
    """Register the fleet's units at the centre (a fresh token for units that exist already); the caller
    commits. Returns callsign -> token, ready for :func:`run_fleet`."""
    from amane.center.units.service import issue_token, register_unit
    from amane.store.models import Unit

    tokens = {}
    for unit in plan_fleet(config):
        row = session.execute(select(Unit).where(Unit.callsign == unit.callsign)).scalar_one_or_none()
        if row is None:
            _, tokens[unit.callsign] = register_unit(
                session=session, callsign=unit.callsign, kind=unit.kind, region=unit.region, actor=actor
            )
        else:
            tokens[unit.callsign] = issue_token(session=session, unit=row, actor=actor)
    return tokens


def street_behaviour(width: int, height: int, cameras: tuple[str, ...] = ("front", "rear")) -> dict[str, Any]:
    """Behaviour rules for the simulated street: loitering on the pavement (the scenes' lingerer trips it)."""
    pavement = [
        [0, int(height * 0.42)],
        [width, int(height * 0.42)],
        [width, int(height * 0.72)],
        [0, int(height * 0.72)],
    ]
    camera = {
        "zones": [{"id": "pavement", "polygon": pavement}],
        "rules": [{"type": "loitering", "zone": "pavement", "dwell_s": 20}],
    }
    return {"cameras": dict.fromkeys(cameras, camera)}


def available_plugins(options: Mapping[str, dict[str, Any]] | None = None) -> list[RecognizerEntry]:
    """The built-in plug-ins that are installed and build with ``options`` (name -> options) now."""
    entries = []
    for name in BUILTIN_FACTORIES:
        entry = RecognizerEntry(name=name, options=dict((options or {}).get(name, {})))
        try:
            load_plugins([entry])
        except ConfigError as err:
            logger.info("fleet: plug-in %s left out: %s", name, err)
            continue
        entries.append(entry)
    return entries


def unit_config(
    config: FleetConfig, unit: PlannedUnit, plugins: list[RecognizerEntry], center_url: str
) -> UnitConfig:
    """The config of one simulated unit (the same model ``amane unit`` reads)."""
    if unit.kind is UnitKind.CAR:
        cameras = [SimCameraConfig(id="front", yaw_deg=0.0), SimCameraConfig(id="rear", yaw_deg=180.0)]
    else:
        cameras = [SimCameraConfig(id="front", yaw_deg=0.0, hfov_deg=100.0)]
    home = config.workdir / unit.callsign
    return UnitConfig(
        unit_id=unit.callsign,
        kind=unit.kind,
        region=unit.region,
        center=CenterLinkConfig(transport="http", url=center_url, heartbeat_s=config.heartbeat_s),
        simulated=SimulatedCamerasConfig(
            cameras=cameras,
            width=config.width,
            height=config.height,
            fps=config.fps,
            seed=config.seed * 1000 + unit.route,
            plates=list(config.plates),
        ),
        gps=SimulatedGps(type="simulated", route=unit.route, seed=config.seed, speed_mps=config.speed_mps),
        recognizers=plugins,
        evidence=EvidenceConfig(dir=home / "evidence", max_total_mb=200.0, max_side=960),
        outbox=OutboxConfig(path=home / "outbox.db"),
        scheduling=SchedulingConfig(workers=1, max_frame_age_s=1.0),
        crew_page=CrewPageConfig(enabled=config.crew_pages, port=0),
    )


@dataclass
class FleetReport:
    """What the fleet did."""

    alerts: dict[str, int] = field(default_factory=dict)
    delivered: dict[str, int] = field(default_factory=dict)
    backlog: dict[str, dict[str, int]] = field(default_factory=dict)
    crew_pages: dict[str, str] = field(default_factory=dict)


async def run_fleet(
    config: FleetConfig,
    *,
    tokens: Mapping[str, str],
    stop: asyncio.Event,
    bus: Bus | None = None,
    http: httpx.AsyncClient | None = None,
    center_url: str = "http://127.0.0.1:8000",
    on_alert: Callable[[Alert], None] | None = None,
    started: Callable[[dict[str, UnitRuntime]], None] | None = None,
) -> FleetReport:
    """Drive the fleet until ``stop`` is set.

    ``tokens`` maps each callsign of :func:`plan_fleet` to its unit token (register the units first).
    With ``bus`` (the centre's bus) units publish alerts, heartbeats and acks on it and subscribe to their
    inbox; evidence goes over HTTP. ``http`` is the client for the centre's HTTP API (pass one with
    ``httpx.ASGITransport(app=...)`` for an in-process centre; its URL is ``center_url``).
    """
    planned = plan_fleet(config)
    missing = [u.callsign for u in planned if u.callsign not in tokens]
    if missing:
        raise ValueError(f"no token for units {missing}: register plan_fleet(config) at the centre first")
    options = {"behaviour": street_behaviour(config.width, config.height), **config.plugin_options}
    plugin_entries = available_plugins(options) if config.plugins == "auto" else []
    runtimes: dict[str, UnitRuntime] = {}
    drivers: dict[str, PatrolDriver] = {}
    for unit in planned:
        cfg = unit_config(config, unit, plugin_entries, center_url)
        http_transport = HttpTransport(center_url, tokens[unit.callsign], client=http)
        transport: Transport = (
            BusTransport(bus, unit.callsign, evidence_http=http_transport)
            if bus is not None
            else http_transport
        )
        drivers[unit.callsign] = PatrolDriver(City(config.seed).route(unit.route), speed_mps=config.speed_mps)
        runtimes[unit.callsign] = UnitRuntime(
            cfg,
            transport=transport,
            bus=bus,
            position=drivers[unit.callsign],
            plugins=load_plugins(plugin_entries),
            on_alert=None if on_alert is None else (lambda alert, _latency: on_alert(alert)),
        )
    if started is not None:
        started(runtimes)
    logger.info(
        "fleet: %d units on the road (%s), plug-ins: %s",
        len(runtimes),
        ", ".join(runtimes),
        ", ".join(e.name for e in plugin_entries) or "none",
    )
    try:
        crews = [run_crew(runtimes[c], drivers[c], stop, on_scene_s=config.on_scene_s) for c in runtimes]
        await asyncio.gather(*(r.run(stop) for r in runtimes.values()), *crews)
    finally:
        report = FleetReport()
        for callsign, runtime in runtimes.items():
            report.alerts[callsign] = len(runtime.recent_alerts())
            report.delivered[callsign] = runtime.uplink.stats.sent if runtime.uplink else 0
            report.backlog[callsign] = runtime.outbox.pending()
            if runtime.crew is not None:
                report.crew_pages[callsign] = runtime.crew.url
            runtime.close()
    return report
