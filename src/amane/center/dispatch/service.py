"""Dispatch: send units, follow their steps (heartbeats, acks, reports), notes, closing, corrections.

Services take keyword-only arguments and never commit (routes do). Every step is a timeline event
(see :mod:`~amane.center.dispatch.timeline`); decisions a person is accountable for (dispatch,
override, merge, close, correction) are also audited.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.audit import service as audit
from amane.center.dispatch import natures, timeline
from amane.center.dispatch.models import Assignment, Incident
from amane.center.dispatch.recommend import active_units, recommend
from amane.center.dispatch.schemas import (
    EventCreate,
)
from amane.center.dispatch.state import DispatchState
from amane.center.dispatch.views import CLOSED, assignments, get_incident, now
from amane.center.errors import Conflict, Invalid, NotFound
from amane.center.messages import service as messages
from amane.center.messages.models import Message
from amane.center.messages.schemas import MessageCreate
from amane.core.messages import GeoPoint, MessageKind, UnitMessage
from amane.store.models import Unit

logger = logging.getLogger(__name__)


def dispatch(
    *,
    session: Session,
    incident_id: uuid.UUID,
    callsign: str,
    override_reason: str | None,
    state: DispatchState,
    online_within: timedelta,
    actor: str,
    sender: str,
) -> tuple[Assignment, Message]:
    """Send ``callsign`` (a goto order through unit messaging). Not the top pick: a reason is required."""
    incident = get_incident(session=session, incident_id=incident_id)
    if incident.status in CLOSED:
        raise Conflict(f"incident {incident.number} is {incident.status}")
    unit = session.execute(select(Unit).where(Unit.callsign == callsign)).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"unit {callsign!r} is not registered")
    if callsign in active_units(session):
        raise Conflict(f"unit {callsign} is already assigned to an incident")
    current = assignments(session, incident.id)
    if (
        unit.kind == "drone"
        and state.settings.rules.drone_support_only
        and not any(a.active and a.unit_kind != "drone" for a in current)
    ):
        raise Invalid("a drone is never sent alone: dispatch a ground unit first")
    rec = recommend(
        session=session,
        incident_id=incident.id,
        state=state,
        online_within=online_within,
        actor=actor,
        record=False,
    )
    primaries = [u for u in rec.units if u.role == "primary"]
    top = primaries[0].callsign if primaries else None
    chosen = next((u for u in rec.units if u.callsign == callsign), None)
    is_top = callsign == top or (unit.kind == "drone" and chosen is not None)
    reason = (override_reason or "").strip() or None
    if not is_top and reason is None:
        why = f"{top} is" if top else "no unit is"
        raise Invalid(f"{callsign} is not the recommended unit ({why} recommended): give an override reason")
    nature = natures.get(incident.nature_code)
    label = nature.en if nature else incident.nature_code
    assert incident.lat is not None and incident.lon is not None
    message = messages.send_to_unit(
        session=session,
        callsign=callsign,
        sender=sender,
        body=MessageCreate(
            kind=MessageKind.GOTO,
            body=f"{incident.number} P{incident.priority} {label}"
            + (f" - {incident.address}" if incident.address else ""),
            location=GeoPoint(lat=incident.lat, lon=incident.lon),
        ),
    )
    at = now()
    assignment = Assignment(
        incident_id=incident.id,
        unit_callsign=callsign,
        unit_kind=unit.kind,
        message_id=message.id,
        active=True,
        state="dispatched",
        eta_s=chosen.eta_s if chosen else None,
        override_reason=None if is_top else reason,
        dispatched_at=at,
    )
    session.add(assignment)
    session.flush()
    timeline.append(
        session=session,
        incident_id=incident.id,
        kind="unit_dispatched",
        at=at,
        received_at=at,
        actor=actor,
        unit=callsign,
        details={
            "assignment": assignment.id,
            "unit_kind": unit.kind,
            "message_id": str(message.id),
            "eta_s": assignment.eta_s,
            "recommended": top,
            "override_reason": assignment.override_reason,
        },
        dedupe=f"a{assignment.id}:unit_dispatched",
    )
    audit.append(
        session=session,
        actor=actor,
        action="dispatch.override" if not is_top else "dispatch.assign",
        target=f"incident:{incident.number}",
        details={
            "unit": callsign,
            "recommended": top,
            "reason": assignment.override_reason,
            "eta_s": assignment.eta_s,
        },
    )
    timeline.project(session, incident)
    return assignment, message


STATUS_STEP = {
    "acknowledged": "unit_acknowledged",
    "en_route": "unit_en_route",
    "on_scene": "unit_on_scene",
    "cleared": "unit_cleared",
    "available": "unit_cleared",
}


def _active_assignment(session: Session, callsign: str, incident_id: uuid.UUID | None) -> Assignment | None:
    query = select(Assignment).where(Assignment.unit_callsign == callsign, Assignment.active.is_(True))
    if incident_id is not None:
        query = query.where(Assignment.incident_id == incident_id)
    return session.execute(query.order_by(Assignment.id.desc()).limit(1)).scalar_one_or_none()


def unit_step(
    *,
    session: Session,
    callsign: str,
    status: str,
    received_at: datetime,
    reported_at: datetime | None = None,
    incident_id: uuid.UUID | None = None,
    actor: str | None = None,
) -> Incident | None:
    """Record a unit's step on its active assignment (from a heartbeat status, a report or an ack).

    Returns the incident when the timeline changed. ``available`` clears a unit only once it has
    moved (en route or on scene): a unit that has not reacted yet stays dispatched.
    """
    step = STATUS_STEP.get(status)
    if step is None:
        return None
    assignment = _active_assignment(session, callsign, incident_id)
    if assignment is None:
        return None
    if status == "available" and assignment.state not in ("en_route", "on_scene"):
        return None
    rank_now = timeline.STATE_RANK[assignment.state]
    if timeline.STATE_RANK[timeline.STATE_OF[step]] <= rank_now:
        return None
    event = timeline.append(
        session=session,
        incident_id=assignment.incident_id,
        kind=step,
        at=reported_at or received_at,
        received_at=received_at,
        reported_at=reported_at,
        actor=actor or f"unit:{callsign}",
        unit=callsign,
        details={"assignment": assignment.id, "unit_kind": assignment.unit_kind, "status": status},
        dedupe=f"a{assignment.id}:{step}",
    )
    if event is None:
        return None
    incident = get_incident(session=session, incident_id=assignment.incident_id)
    timeline.project(session, incident)
    return incident


def message_acknowledged(
    *, session: Session, message_id: uuid.UUID, callsign: str, at: datetime | None, received_at: datetime
) -> Incident | None:
    """The unit got the dispatch order (message ack): ``unit_acknowledged`` with the unit's time."""
    assignment = session.execute(
        select(Assignment).where(Assignment.message_id == message_id, Assignment.unit_callsign == callsign)
    ).scalar_one_or_none()
    if assignment is None or not assignment.active:
        return None
    return unit_step(
        session=session,
        callsign=callsign,
        status="acknowledged",
        received_at=received_at,
        reported_at=at,
        incident_id=assignment.incident_id,
    )


def add_event(*, session: Session, incident_id: uuid.UUID, body: EventCreate, actor: str) -> Incident:
    """A dispatcher's note, unit clearance, closure or correction."""
    incident = get_incident(session=session, incident_id=incident_id)
    at = now()
    if body.kind == "note":
        timeline.append(
            session=session,
            incident_id=incident.id,
            kind="note",
            at=body.at or at,
            received_at=at,
            actor=actor,
            details={"text": body.text},
        )
    elif body.kind == "unit_cleared":
        assert body.unit is not None
        if (
            unit_step(
                session=session,
                callsign=body.unit,
                status="cleared",
                received_at=at,
                incident_id=incident.id,
                actor=actor,
                reported_at=body.at,
            )
            is None
        ):
            raise Conflict(f"unit {body.unit} has no active assignment on incident {incident.number}")
    elif body.kind == "incident_closed":
        if incident.status in CLOSED:
            raise Conflict(f"incident {incident.number} is already {incident.status}")
        timeline.append(
            session=session,
            incident_id=incident.id,
            kind="incident_closed",
            at=body.at or at,
            received_at=at,
            actor=actor,
            details={"disposition": body.text},
        )
        audit.append(
            session=session,
            actor=actor,
            action="dispatch.close",
            target=f"incident:{incident.number}",
            details={"disposition": body.text},
        )
    else:
        _correct(session, incident, body, actor, at)
    timeline.project(session, incident)
    return incident


def _correct(session: Session, incident: Incident, body: EventCreate, actor: str, at: datetime) -> None:
    target = next((e for e in timeline.events(session, incident.id) if e.seq == body.corrects), None)
    if target is None or target.kind == "correction":
        raise NotFound(f"incident {incident.number} has no correctable event {body.corrects}")
    details: dict[str, Any] = {"reason": body.text, "void": body.void, "was": target.at.isoformat()}
    if body.at is not None:
        details["at"] = body.at.astimezone(UTC).isoformat()
    timeline.append(
        session=session,
        incident_id=incident.id,
        kind="correction",
        at=at,
        received_at=at,
        actor=actor,
        corrects=target.seq,
        details=details,
    )
    audit.append(
        session=session,
        actor=actor,
        action="dispatch.correct",
        target=f"incident:{incident.number}",
        details={"event": target.seq, "kind": target.kind, **details},
    )


def wire_of(message: Message) -> UnitMessage:
    return messages.to_wire(message)
