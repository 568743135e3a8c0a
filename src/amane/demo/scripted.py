"""Scripted demo units: they drive loops around central Rabat and post alerts with evidence.

They speak to the centre exactly as a real unit does (unit bearer token, ``POST /api/v1/alerts``,
``PUT .../evidence/{key}``, ``POST /api/v1/units/heartbeat``), so the demo exercises the real API.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from amane.core.messages import Alert, AlertKind, EvidenceRef, GeoPoint, Heartbeat, Severity, UnitKind
from amane.demo.evidence import person_snapshot, plate_snapshot

logger = logging.getLogger(__name__)

RABAT = GeoPoint(lat=34.0181, lon=-6.8355)
ARABIC_LETTERS = ("أ", "ب", "د", "ه", "و", "ش")
LETTER_LATIN = {"أ": "A", "ب": "B", "د": "D", "ه": "H", "و": "W", "ش": "CH"}
BEHAVIOURS = (
    ("loitering", Severity.MEDIUM, "Person lingering {s} s near the bank entrance"),
    ("running", Severity.LOW, "Person running at {v} m/s across the square"),
    ("intrusion", Severity.HIGH, "Person entered the restricted zone at the ministry gate"),
    ("crowd", Severity.MEDIUM, "Crowd of {n} forming at the tram stop"),
)


@dataclass(frozen=True)
class ScriptedUnit:
    """A demo unit and the loop it drives (radius in metres around ``centre``)."""

    callsign: str
    kind: UnitKind
    region: str
    token: str
    centre: GeoPoint
    radius_m: float
    speed_mps: float


def position_on_loop(unit: ScriptedUnit, t: float) -> tuple[GeoPoint, float]:
    """Where the unit is after ``t`` seconds, and its heading in degrees (clockwise loop)."""
    angle = unit.speed_mps * t / unit.radius_m
    north, east = unit.radius_m * math.cos(angle), unit.radius_m * math.sin(angle)
    lat = unit.centre.lat + north / 111_320.0
    lon = unit.centre.lon + east / (111_320.0 * math.cos(math.radians(unit.centre.lat)))
    heading = (math.degrees(angle) + 90.0) % 360.0
    return GeoPoint(lat=lat, lon=lon), heading


def _plate_alert(unit: ScriptedUnit, rng: random.Random, pos: GeoPoint, now: datetime) -> tuple[Alert, bytes]:
    serial, letter, region = (
        str(rng.randint(1000, 99999)),
        rng.choice(ARABIC_LETTERS),
        str(rng.randint(1, 89)),
    )
    reason = rng.choice(("stolen", "wanted", "BOLO"))
    alert = Alert(
        kind=AlertKind.PLATE,
        severity=Severity.HIGH if reason != "BOLO" else Severity.MEDIUM,
        unit_id=unit.callsign,
        camera_id=rng.choice(("front", "rear", "left", "right")),
        observed_at=now,
        position=pos,
        bearing_deg=round(rng.uniform(0, 359.9), 1),
        summary=f"Hotlist hit {serial}-{LETTER_LATIN[letter]}-{region} ({reason})",
        payload={
            "plate": f"{serial}{letter}{region}",
            "plate_latin": f"{serial}-{LETTER_LATIN[letter]}-{region}",
            "country": "MA",
            "reason": reason,
            "confidence": round(rng.uniform(0.9, 0.99), 2),
        },
        evidence=[EvidenceRef(key="snapshot.jpg", content_type="image/jpeg")],
    )
    return alert, plate_snapshot((serial, letter, region), rng.randint(0, 10**6))


def _behaviour_alert(
    unit: ScriptedUnit, rng: random.Random, pos: GeoPoint, now: datetime
) -> tuple[Alert, bytes]:
    rule, severity, text = rng.choice(BEHAVIOURS)
    summary = text.format(s=rng.randint(60, 300), v=round(rng.uniform(4, 7), 1), n=rng.randint(15, 40))
    alert = Alert(
        kind=AlertKind.BEHAVIOUR,
        severity=severity,
        unit_id=unit.callsign,
        camera_id="front",
        observed_at=now,
        position=pos,
        bearing_deg=round(rng.uniform(0, 359.9), 1),
        summary=summary,
        payload={"rule": rule},
        evidence=[EvidenceRef(key="snapshot.jpg", content_type="image/jpeg")],
    )
    return alert, person_snapshot(rule, rng.randint(0, 10**6))


async def post_alert(client: httpx.AsyncClient, unit: ScriptedUnit, alert: Alert, image: bytes) -> None:
    """Post an alert, then its evidence image, as the unit."""
    headers = {"Authorization": f"Bearer {unit.token}"}
    response = await client.post(
        "/api/v1/alerts",
        content=alert.model_dump_json(),
        headers={**headers, "Content-Type": "application/json"},
    )
    response.raise_for_status()
    response = await client.put(
        f"/api/v1/alerts/{alert.id}/evidence/snapshot.jpg",
        content=image,
        headers={**headers, "Content-Type": "image/jpeg"},
    )
    response.raise_for_status()


async def drive(
    client: httpx.AsyncClient,
    unit: ScriptedUnit,
    *,
    seed: int,
    stop: asyncio.Event,
    heartbeat_s: float = 1.0,
    alert_every_s: tuple[float, float] = (8.0, 25.0),
) -> int:
    """Drive ``unit`` until ``stop`` is set; returns how many alerts it posted."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    started = loop.time()
    next_alert = started + rng.uniform(2.0, alert_every_s[0])
    posted = 0
    while not stop.is_set():
        now_s = loop.time()
        pos, heading = position_on_loop(unit, now_s - started + seed * 37.0)
        beat = Heartbeat(unit_id=unit.callsign, position=pos, heading_deg=heading, speed_mps=unit.speed_mps)
        try:
            await client.post(
                "/api/v1/units/heartbeat",
                content=beat.model_dump_json(),
                headers={"Authorization": f"Bearer {unit.token}", "Content-Type": "application/json"},
            )
            if now_s >= next_alert and unit.kind is not UnitKind.DRONE:
                make = _plate_alert if rng.random() < 0.6 else _behaviour_alert
                alert, image = make(unit, rng, pos, datetime.now(UTC))
                await post_alert(client, unit, alert, image)
                posted += 1
                next_alert = now_s + rng.uniform(*alert_every_s)
        except httpx.HTTPError as err:
            logger.warning("%s: centre unreachable (%s); retrying", unit.callsign, err)
        try:
            await asyncio.wait_for(stop.wait(), heartbeat_s)
        except TimeoutError:
            pass
    return posted
