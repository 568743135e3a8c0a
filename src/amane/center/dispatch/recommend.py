"""Recommendation: rank the units that may go now by road travel time (one search) and the rules."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.dispatch import roster, timeline
from amane.center.dispatch.models import Assignment
from amane.center.dispatch.rules import Candidate, rank
from amane.center.dispatch.schemas import (
    ExcludedUnit,
    Recommendation,
    RecommendedUnit,
)
from amane.center.dispatch.state import DispatchState
from amane.center.dispatch.views import get_incident, now
from amane.center.errors import Invalid
from amane.core.messages import GeoPoint
from amane.routing import RoadGraph, haversine_m
from amane.store.models import Unit

logger = logging.getLogger(__name__)

ROUTES = 3
"""The first units of a recommendation get their road route drawn."""


def active_units(session: Session) -> set[str]:
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
    busy = active_units(session)
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
    search = None
    if isinstance(state.travel, RoadGraph):
        search = state.travel.search(
            target, origins, need=settings.rank_at_least, horizon_s=settings.horizon_s
        )
        etas = search.times
    else:
        etas = state.travel.times_to(target, origins)
    dense = state.travel.density(target) >= settings.rules.dense_nodes_300m
    ranked = rank(candidates, list(etas), priority=incident.priority, dense=dense, config=settings.rules)
    by_sign = {c.callsign: c for c in candidates}
    index = {c.callsign: i for i, c in enumerate(candidates)}
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
            route=(search.route(index[r.callsign]) or None) if search and r.rank <= ROUTES else None,
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
