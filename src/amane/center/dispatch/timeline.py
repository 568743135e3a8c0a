"""The append-only incident timeline and the projection of it onto incident and assignment rows.

Event kinds follow the call-processing steps of NENA's i3 / EIDO vocabulary: ``call_received``,
``call_answered``, ``incident_created``, ``unit_recommended``, ``unit_dispatched``,
``unit_acknowledged``, ``unit_en_route``, ``unit_on_scene``, ``unit_cleared``, ``incident_closed``;
plus ``duplicate_suspected``, ``call_linked``, ``incident_merged``, ``note`` and ``correction``.
A correction never edits: it is a new event whose ``corrects`` names the earlier one and whose
``details`` give the right time (``at``) or ``void: true``. The projection reads corrected times.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.dispatch.models import Assignment, Incident, TimelineEvent

logger = logging.getLogger(__name__)

UNIT_STEPS = ("unit_dispatched", "unit_acknowledged", "unit_en_route", "unit_on_scene", "unit_cleared")
STATE_OF = {
    "unit_dispatched": "dispatched",
    "unit_acknowledged": "acknowledged",
    "unit_en_route": "en_route",
    "unit_on_scene": "on_scene",
    "unit_cleared": "cleared",
}
STATE_RANK = {"dispatched": 0, "acknowledged": 1, "en_route": 2, "on_scene": 3, "cleared": 4}


def append(
    *,
    session: Session,
    incident_id: uuid.UUID,
    kind: str,
    at: datetime,
    received_at: datetime,
    actor: str,
    unit: str | None = None,
    reported_at: datetime | None = None,
    details: dict[str, Any] | None = None,
    corrects: int | None = None,
    dedupe: str | None = None,
) -> TimelineEvent | None:
    """Add one event (the caller commits). A second event with the same ``dedupe`` key is not added (None)."""
    if (
        dedupe is not None
        and session.execute(select(TimelineEvent.seq).where(TimelineEvent.dedupe == dedupe)).first()
    ):
        return None
    event = TimelineEvent(
        incident_id=incident_id,
        kind=kind,
        at=at,
        received_at=received_at,
        reported_at=reported_at,
        unit_callsign=unit,
        actor=actor,
        details=details or {},
        corrects=corrects,
        dedupe=dedupe,
    )
    session.add(event)
    session.flush()  # a concurrent duplicate (another worker) fails here on the unique dedupe key
    return event


def events(session: Session, incident_id: uuid.UUID) -> list[TimelineEvent]:
    return list(
        session.execute(
            select(TimelineEvent).where(TimelineEvent.incident_id == incident_id).order_by(TimelineEvent.seq)
        ).scalars()
    )


def effective(rows: Sequence[TimelineEvent]) -> list[tuple[TimelineEvent, datetime]]:
    """Each non-voided, non-correction event with its time after the latest correction of it."""
    fixes: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row.kind == "correction" and row.corrects is not None:
            fixes[row.corrects] = row.details
    out = []
    for row in rows:
        if row.kind == "correction":
            continue
        fix = fixes.get(row.seq)
        if fix and fix.get("void"):
            continue
        at = datetime.fromisoformat(fix["at"]) if fix and fix.get("at") else row.at
        out.append((row, at))
    return out


def project(session: Session, incident: Incident) -> None:
    """Rewrite the incident's and its assignments' time and state columns from the timeline."""
    live = effective(events(session, incident.id))
    first: dict[str, tuple[datetime, TimelineEvent]] = {}
    for row, at in live:
        if row.kind not in first or at < first[row.kind][0]:
            first[row.kind] = (at, row)
    incident.call_received_at = first["call_received"][0] if "call_received" in first else None
    incident.first_dispatched_at = first["unit_dispatched"][0] if "unit_dispatched" in first else None
    arrived = first.get("unit_on_scene")
    incident.first_on_scene_at = arrived[0] if arrived else None
    incident.first_unit_kind = str(arrived[1].details.get("unit_kind")) if arrived else None
    closing = [at for row, at in live if row.kind in ("incident_closed", "incident_merged")]
    incident.closed_at = max(closing) if closing else None
    assignments = list(
        session.execute(select(Assignment).where(Assignment.incident_id == incident.id)).scalars()
    )
    for a in assignments:
        steps = [
            STATE_OF[row.kind]
            for row, _ in live
            if row.unit_callsign == a.unit_callsign
            and row.kind in STATE_OF
            and row.details.get("assignment") == a.id
        ]
        a.state = max(steps, key=STATE_RANK.__getitem__) if steps else "dispatched"
        a.active = a.state != "cleared" and incident.closed_at is None
    if any(row.kind == "incident_merged" for row, _ in live):
        incident.status = "merged"
    elif incident.closed_at is not None:
        incident.status = "closed"
    elif any(a.active and a.state == "on_scene" for a in assignments):
        incident.status = "on_scene"
    elif any(a.active for a in assignments):
        incident.status = "dispatched"
    elif assignments:
        incident.status = "cleared"
    else:
        incident.status = "open"
    session.flush()
