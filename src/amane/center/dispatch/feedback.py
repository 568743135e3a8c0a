"""Unit steps come back through the units' own channels: heartbeat ``status`` and message acks.

Every centre worker sees every state change on the live-events subject (``unit.position`` after a
heartbeat, ``message.updated`` after an ack), whichever worker or transport ingested it. This
consumer turns them into timeline steps; the timeline's dedupe keys make a step land once even
when several workers see the same change.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool

from amane.bus import subjects
from amane.center.dispatch import service, views
from amane.center.dispatch.state import DispatchState
from amane.center.live.hub import Scope
from amane.center.runtime import Center

logger = logging.getLogger(__name__)

TRACKED = frozenset({"en_route", "on_scene", "available"})


def _parse(data: bytes) -> tuple[str, dict[str, Any]] | None:
    """(type, data) of a ``units`` live event (``<scope>\n<frame>`` or one JSON object with ``scope``)."""
    text = data.decode(errors="replace")
    try:
        if text.startswith("{"):
            event = json.loads(text)
            scope = event.get("scope")
        else:
            scope, _, frame = text.partition("\n")
            event = json.loads(frame)
        if scope != Scope.UNITS.value:
            return None
        return str(event["type"]), dict(event["data"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def handle(center: Center, state: DispatchState, kind: str, data: dict[str, Any]) -> list[Any]:
    """Apply one live event; returns the public views of incidents whose timeline changed."""
    changed = []
    with center.db.writing() as session:
        if kind == "unit.position":
            callsign, status = str(data.get("callsign")), str(data.get("status"))
            if state.seen_status.get(callsign) == status:
                return []
            if status in TRACKED:
                received = _time(data.get("last_seen_at")) or datetime.now(UTC)
                incident = service.unit_step(
                    session=session, callsign=callsign, status=status, received_at=received
                )
                if incident is not None:
                    changed.append(views.to_public(session, incident))
        elif kind == "message.updated":
            for delivery in data.get("deliveries", []):
                if delivery.get("state") not in ("delivered", "read"):
                    continue
                incident = service.message_acknowledged(
                    session=session,
                    message_id=uuid.UUID(str(data["id"])),
                    callsign=str(delivery["unit"]),
                    at=_time(delivery.get("delivered_at")),
                    received_at=datetime.now(UTC),
                )
                if incident is not None:
                    changed.append(views.to_public(session, incident))
    if kind == "unit.position":  # remembered once applied: a step that failed is retried on the next beat
        state.seen_status[str(data.get("callsign"))] = str(data.get("status"))
    return changed


async def consume(center: Center, state: DispatchState) -> None:
    """Follow the live-events subject until cancelled."""
    sub = await center.bus.subscribe(subjects.LIVE_EVENTS)
    async for delivery in sub:
        parsed = _parse(delivery.data)
        if parsed is None or parsed[0] not in ("unit.position", "message.updated"):
            continue
        try:
            changed = await run_in_threadpool(handle, center, state, parsed[0], parsed[1])
        except Exception as err:  # one bad event must not stop the feed
            logger.warning("dispatch could not apply %s: %s", parsed[0], err)
            continue
        for incident in changed:
            await center.live.publish("incident.updated", Scope.UNITS, incident.model_dump(mode="json"))
