"""Helpers for dispatch tests: units that send heartbeats as a real unit would, and waiting for steps."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from amane.center.units.service import register_unit

from ..conftest import World

T = TypeVar("T")

RABAT = (34.0135, -6.8360)


def beat(world: World, callsign: str, lat: float, lon: float, status: str = "available") -> None:
    """One heartbeat over HTTP with the unit's own token."""
    body = {
        "unit_id": callsign,
        "sent_at": datetime.now(UTC).isoformat(),
        "position": {"lat": lat, "lon": lon},
        "status": status,
    }
    response = world.client.post("/api/v1/units/heartbeat", json=body, headers=world.unit_headers(callsign))
    assert response.status_code == 200, response.text


def add_unit(world: World, callsign: str, kind: str = "car", region: str = "casa") -> None:
    with world.center.db.writing() as session:
        _, world.unit_tokens[callsign] = register_unit(
            session=session, callsign=callsign, kind=kind, region=region
        )


def wait_for(check: Callable[[], T | None], timeout: float = 5.0) -> T:
    """Poll ``check`` until it returns something truthy (unit steps arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def timeline_kinds(world: World, incident_id: str) -> list[str]:
    response = world.client.get(f"/api/v1/dispatch/incidents/{incident_id}")
    assert response.status_code == 200, response.text
    return [e["kind"] for e in response.json()["timeline"]]


def take_call(world: World, **body: Any) -> dict[str, Any]:
    payload = {
        "nature_code": "BURGLARY",
        "caller_name": "Amina",
        "location": {"lat": RABAT[0], "lon": RABAT[1]},
    }
    payload.update(body)
    response = world.client.post("/api/v1/dispatch/calls", json=payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data
