"""Incident views for the API: public models, the incident with its timeline, listing."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.dispatch import natures, timeline
from amane.center.dispatch.models import Assignment, Call, Incident
from amane.center.dispatch.schemas import (
    AssignmentPublic,
    EventPublic,
    IncidentDetail,
    IncidentPublic,
)
from amane.center.errors import NotFound
from amane.core.messages import GeoPoint

logger = logging.getLogger(__name__)

CLOSED = frozenset({"closed", "merged"})


def now() -> datetime:
    return datetime.now(UTC)


def assignments(session: Session, incident_id: uuid.UUID) -> list[Assignment]:
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
            for a in assignments(session, incident.id)
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
