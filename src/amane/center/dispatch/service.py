"""Dispatch: take calls, flag duplicates, recommend and send units, follow their steps, close.

Services take keyword-only arguments and never commit (routes do). Every step is a timeline event
(see :mod:`~amane.center.dispatch.timeline`); decisions a person is accountable for (dispatch,
override, merge, close, correction) are also audited.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.audit import service as audit
from amane.center.dispatch import natures, roster, timeline
from amane.center.dispatch.models import Assignment, Call, Incident
from amane.center.dispatch.rules import Candidate, rank
from amane.center.dispatch.schemas import (
    AssignmentPublic,
    CallCreate,
    CallOutcome,
    DuplicateCandidate,
    EventCreate,
    EventPublic,
    ExcludedUnit,
    IncidentDetail,
    IncidentPublic,
    Recommendation,
    RecommendedUnit,
)
from amane.center.dispatch.state import DispatchState
from amane.center.errors import Conflict, Invalid, NotFound
from amane.center.messages import service as messages
from amane.center.messages.models import Message
from amane.center.messages.schemas import MessageCreate
from amane.core.messages import GeoPoint, MessageKind, UnitMessage
from amane.routing import haversine_m
from amane.store.models import Unit

logger = logging.getLogger(__name__)

CLOSED = frozenset({"closed", "merged"})


def now() -> datetime:
    return datetime.now(UTC)


# ---- views -------------------------------------------------------------------------------------


def _assignments(session: Session, incident_id: uuid.UUID) -> list[Assignment]:
    return list(
        session.execute(
            select(Assignment).where(Assignment.incident_id == incident_id).order_by(Assignment.id)
        ).scalars()
    )


def to_public(session: Session, incident: Incident) -> IncidentPublic:
    nature = natures.get(incident.nature_code)
    location = (
        GeoPoint(lat=incident.lat, lon=incident.lon)
        if incident.lat is not None and incident.lon is not None
        else None
    )
    return IncidentPublic(
        id=incident.id,
        number=incident.number,
        nature_code=incident.nature_code,
        nature=nature.en if nature else incident.nature_code,
        priority=incident.priority,
        status=incident.status,
        location=location,
        address=incident.address,
        region=incident.region,
        notes=incident.notes,
        source=incident.source,
        duplicate_of=incident.duplicate_of,
        created_at=incident.created_at,
        call_received_at=incident.call_received_at,
        first_dispatched_at=incident.first_dispatched_at,
        first_on_scene_at=incident.first_on_scene_at,
        closed_at=incident.closed_at,
        assignments=[
            AssignmentPublic(
                unit=a.unit_callsign,
                kind=a.unit_kind,
                state=a.state,
                active=a.active,
                eta_s=a.eta_s,
                dispatched_at=a.dispatched_at,
                override_reason=a.override_reason,
                message_id=a.message_id,
            )
            for a in _assignments(session, incident.id)
        ],
    )


def detail(session: Session, incident: Incident) -> IncidentDetail:
    own = len(list(session.execute(select(Call.id).where(Call.incident_id == incident.id))))
    events = timeline.events(session, incident.id)
    merged = sum(len(e.details.get("calls", [])) for e in events if e.kind == "call_linked")
    rows = [
        EventPublic(
            seq=e.seq,
            kind=e.kind,
            at=e.at,
            received_at=e.received_at,
            reported_at=e.reported_at,
            unit=e.unit_callsign,
            actor=e.actor,
            details=e.details,
            corrects=e.corrects,
        )
        for e in events
    ]
    return IncidentDetail(**to_public(session, incident).model_dump(), timeline=rows, calls=own + merged)


def get_incident(*, session: Session, incident_id: uuid.UUID) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    return incident


def list_incidents(
    *, session: Session, status: str | None = None, limit: int = 100, open_only: bool = False
) -> list[IncidentPublic]:
    query = select(Incident).order_by(Incident.created_at.desc()).limit(limit)
    if status:
        query = query.where(Incident.status == status)
    if open_only:
        query = query.where(Incident.status.not_in(CLOSED))
    return [to_public(session, i) for i in session.execute(query).scalars()]


# ---- intake ------------------------------------------------------------------------------------


def _region_of(session: Session, point: tuple[float, float], regions: dict[str, Any] | None) -> str:
    """The configured region outline containing the point, else the region of the nearest unit."""
    if regions:
        from shapely.geometry import Point, shape  # type: ignore[import-untyped]

        p = Point(point[1], point[0])
        for feature in regions.get("features", []):
            name = (feature.get("properties") or {}).get("name")
            try:
                if name and shape(feature["geometry"]).contains(p):
                    return str(name)
            except (KeyError, ValueError, TypeError):
                continue
    units = list(
        session.execute(
            select(Unit.region, Unit.last_lat, Unit.last_lon).where(Unit.last_lat.is_not(None))
        ).all()
    )
    if not units:
        return ""
    lat = np.array([u[1] for u in units])
    lon = np.array([u[2] for u in units])
    return str(units[int(np.argmin(haversine_m(lat, lon, point[0], point[1])))][0])


def find_duplicates(
    *,
    session: Session,
    nature_code: str,
    point: tuple[float, float],
    at: datetime,
    radius_m: float,
    window: timedelta,
    exclude: uuid.UUID | None = None,
) -> list[DuplicateCandidate]:
    """Open incidents of the same call type, within ``radius_m`` and ``window`` of this call."""
    rows = session.execute(
        select(Incident).where(
            Incident.nature_code == nature_code,
            Incident.status.not_in(CLOSED),
            Incident.created_at >= at - window,
            Incident.created_at <= at + window,
            Incident.lat.is_not(None),
        )
    ).scalars()
    found = []
    for inc in rows:
        if inc.id == exclude or inc.lat is None or inc.lon is None:
            continue
        metres = float(haversine_m(inc.lat, inc.lon, point[0], point[1]))
        if metres <= radius_m:
            apart = abs((at - (inc.call_received_at or inc.created_at)).total_seconds()) / 60
            found.append(
                DuplicateCandidate(
                    id=inc.id,
                    number=inc.number,
                    nature_code=inc.nature_code,
                    distance_m=round(metres, 1),
                    minutes_apart=round(apart, 2),
                )
            )
    return sorted(found, key=lambda d: (d.distance_m, d.minutes_apart))


def _locate(body: CallCreate, state: DispatchState) -> tuple[float, float] | None:
    if body.location is not None:
        return body.location.lat, body.location.lon
    if body.address.strip():
        found = state.travel.geocode(body.address)
        if found is None:
            raise Invalid(
                f"address {body.address!r} was not found on the map: give coordinates or click the map"
            )
        return found
    return None


def take_call(
    *, session: Session, body: CallCreate, actor: str, state: DispatchState, regions: dict[str, Any] | None
) -> CallOutcome:
    """Record a call: a new incident (flagged if it may be a duplicate) or, with ``link_to``, a joined one."""
    nature = natures.get(body.nature_code)
    if nature is None:
        raise Invalid(f"unknown nature code {body.nature_code!r} (see GET /api/v1/dispatch/natures)")
    server = now()
    received = body.received_at or server
    answered = body.answered_at or server
    if answered < received:
        raise Invalid("answered_at is before received_at")
    point = _locate(body, state)
    if body.link_to is not None:
        incident = get_incident(session=session, incident_id=body.link_to)
        if incident.status in CLOSED:
            raise Conflict(f"incident {incident.number} is {incident.status}")
        linked = True
    else:
        assert point is not None
        incident_id = uuid.uuid4()
        incident = Incident(
            id=incident_id,
            number=f"{received:%y%m%d}-{incident_id.hex[:6].upper()}",
            nature_code=nature.code,
            priority=body.priority or nature.priority,
            status="open",
            lat=point[0],
            lon=point[1],
            address=body.address,
            region=_region_of(session, point, regions),
            notes=body.notes,
            source="intake",
            created_at=server,
        )
        session.add(incident)
        session.flush()
        linked = False
    call = Call(
        id=uuid.uuid4(),
        incident_id=incident.id,
        caller_name=body.caller_name,
        caller_phone=body.caller_phone,
        nature_code=nature.code,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        address=body.address,
        notes=body.notes,
        taken_by=actor,
        received_at=received,
        answered_at=answered,
    )
    session.add(call)
    add = partial(timeline.append, session=session, incident_id=incident.id, received_at=server, actor=actor)
    call_details = {"call_id": str(call.id), "caller": body.caller_name, "nature_code": nature.code}
    add(kind="call_received", at=received, details=call_details)
    add(kind="call_answered", at=answered, details={"call_id": str(call.id)})
    duplicates: list[DuplicateCandidate] = []
    if linked:
        add(kind="call_linked", at=server, details=call_details)
    else:
        add(
            kind="incident_created",
            at=server,
            details={"priority": incident.priority, "nature_code": nature.code, "region": incident.region},
        )
        assert point is not None
        duplicates = find_duplicates(
            session=session,
            nature_code=nature.code,
            point=point,
            at=received,
            radius_m=state.settings.duplicate_radius_m,
            window=timedelta(minutes=state.settings.duplicate_window_min),
            exclude=incident.id,
        )
        if duplicates:
            incident.duplicate_of = duplicates[0].id
            add(
                kind="duplicate_suspected",
                at=server,
                details={
                    "candidates": [str(d.id) for d in duplicates],
                    "numbers": [d.number for d in duplicates],
                },
            )
    timeline.project(session, incident)
    return CallOutcome(
        call_id=call.id, incident=to_public(session, incident), linked=linked, duplicates=duplicates
    )


def link_duplicate(*, session: Session, incident_id: uuid.UUID, into: uuid.UUID, actor: str) -> Incident:
    """Merge a duplicate incident into another: both timelines say so; the duplicate is closed as merged."""
    if incident_id == into:
        raise Invalid("an incident cannot be merged into itself")
    dup = get_incident(session=session, incident_id=incident_id)
    target = get_incident(session=session, incident_id=into)
    if dup.status in CLOSED or target.status in CLOSED:
        raise Conflict("both incidents must be open to merge them")
    if any(a.active for a in _assignments(session, dup.id)):
        raise Conflict(f"incident {dup.number} has units assigned: clear them before merging")
    server = now()
    calls = [str(c) for c in session.execute(select(Call.id).where(Call.incident_id == dup.id)).scalars()]
    timeline.append(
        session=session,
        incident_id=target.id,
        kind="call_linked",
        at=server,
        received_at=server,
        actor=actor,
        details={"from_incident": str(dup.id), "from_number": dup.number, "calls": calls},
    )
    timeline.append(
        session=session,
        incident_id=dup.id,
        kind="incident_merged",
        at=server,
        received_at=server,
        actor=actor,
        details={"into": str(target.id), "into_number": target.number},
    )
    audit.append(
        session=session,
        actor=actor,
        action="dispatch.merge",
        target=f"incident:{dup.number}",
        details={"into": target.number},
    )
    timeline.project(session, dup)
    timeline.project(session, target)
    return target


# ---- recommendation ----------------------------------------------------------------------------


def _active_units(session: Session) -> set[str]:
    return set(session.execute(select(Assignment.unit_callsign).where(Assignment.active.is_(True))).scalars())


def recommend(
    *,
    session: Session,
    incident_id: uuid.UUID,
    state: DispatchState,
    online_within: timedelta,
    actor: str,
    record: bool = True,
) -> Recommendation:
    """Rank the units that may go now by road travel time (one graph search) and the kind rules."""
    incident = get_incident(session=session, incident_id=incident_id)
    if incident.lat is None or incident.lon is None:
        raise Invalid(f"incident {incident.number} has no location")
    started = time.perf_counter()
    at = now()
    rostered, on_duty = roster.unit_duty(session=session, at=at)
    busy = _active_units(session)
    excluded: list[ExcludedUnit] = []
    columns = (
        Unit.callsign,
        Unit.kind,
        Unit.region,
        Unit.status,
        Unit.last_seen_at,
        Unit.last_lat,
        Unit.last_lon,
    )
    usable = []
    for unit in session.execute(select(*columns).order_by(Unit.callsign)).all():
        reason = _exclusion(unit, at, online_within, busy, rostered, on_duty)
        if reason:
            excluded.append(ExcludedUnit(callsign=unit.callsign, reason=reason))
        else:
            usable.append(unit)
    lat = np.array([u.last_lat for u in usable], dtype=np.float64)
    lon = np.array([u.last_lon for u in usable], dtype=np.float64)
    metres = haversine_m(lat, lon, incident.lat, incident.lon).tolist()
    candidates = [
        Candidate(u.callsign, u.kind, u.region, u.last_lat, u.last_lon, u.callsign in rostered, m)
        for u, m in zip(usable, metres, strict=True)
    ]
    target = (incident.lat, incident.lon)
    origins = np.c_[lat, lon]
    settings = state.settings
    etas = state.travel.times_to(target, origins, need=settings.rank_at_least, horizon_s=settings.horizon_s)
    dense = state.travel.density(target) >= settings.rules.dense_nodes_300m
    ranked = rank(candidates, list(etas), priority=incident.priority, dense=dense, config=settings.rules)
    by_sign = {c.callsign: c for c in candidates}
    units = [
        RecommendedUnit(
            callsign=r.callsign,
            kind=r.kind,
            region=r.region,
            eta_s=r.eta_s,
            score_s=r.score_s,
            role=r.role,
            rank=r.rank,
            rostered=by_sign[r.callsign].rostered,
            reasons=r.reasons,
            position=GeoPoint(lat=by_sign[r.callsign].lat, lon=by_sign[r.callsign].lon),
        )
        for r in ranked
    ]
    result = Recommendation(
        incident_id=incident.id,
        method=state.method,
        dense=dense,
        computed_ms=round((time.perf_counter() - started) * 1000, 3),
        units=units,
        excluded=excluded,
    )
    if record:
        timeline.append(
            session=session,
            incident_id=incident.id,
            kind="unit_recommended",
            at=at,
            received_at=at,
            actor=actor,
            details={
                "method": state.method,
                "top": [{"unit": u.callsign, "eta_s": u.eta_s, "role": u.role} for u in units[:5]],
            },
        )
    return result


def _exclusion(
    unit: Any, at: datetime, online_within: timedelta, busy: set[str], rostered: set[str], on_duty: set[str]
) -> str:
    if unit.last_seen_at is None or at - unit.last_seen_at > online_within:
        return "offline"
    if unit.status != "available":
        return f"status {unit.status}"
    if unit.callsign in busy:
        return "assigned to another incident"
    if unit.callsign in rostered and unit.callsign not in on_duty:
        return "off duty (roster)"
    if unit.last_lat is None or unit.last_lon is None:
        return "no position"
    return ""


# ---- dispatch and unit steps -------------------------------------------------------------------


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
    if callsign in _active_units(session):
        raise Conflict(f"unit {callsign} is already assigned to an incident")
    current = _assignments(session, incident.id)
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
