"""Call intake: locate the call, open an incident or join one, flag and merge duplicates."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.audit import service as audit
from amane.center.dispatch import natures, timeline
from amane.center.dispatch.models import Call, Incident
from amane.center.dispatch.schemas import (
    CallCreate,
    CallOutcome,
    DuplicateCandidate,
)
from amane.center.dispatch.state import DispatchState
from amane.center.dispatch.views import CLOSED, assignments, get_incident, now, to_public
from amane.center.errors import Conflict, Invalid
from amane.routing import haversine_m
from amane.store.models import Unit

logger = logging.getLogger(__name__)


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
    """Open incidents of the same call-type family, within ``radius_m`` and ``window`` of this call."""
    rows = session.execute(
        select(Incident).where(
            Incident.nature_code.in_(natures.same_family(nature_code)),
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
    if any(a.active for a in assignments(session, dup.id)):
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
