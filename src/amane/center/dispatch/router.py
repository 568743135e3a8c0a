"""``/api/v1/dispatch``: call intake, incidents and their timeline, recommendation, dispatch, rosters, KPIs.

Dispatchers (admin, supervisor, operator) take calls and send units; supervisors and admins edit
rosters; KPIs are read by those and analysts; the CSV export is audited. Units report their steps
at ``POST /api/v1/dispatch/units/me/status`` (besides heartbeat statuses and message acks, which
:mod:`~amane.center.dispatch.feedback` follows). Exchange formats: ``/incidents/{id}/eido`` (NENA
EIDO JSON) and ``/incidents/{id}/cap`` (CAP 1.2 XML, Arabic, French, English).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import select

from amane.bus import subjects
from amane.center.audit import service as audit
from amane.center.auth.roles import ALERT_READERS, UNIT_MANAGERS, UNIT_VIEWERS
from amane.center.auth.service import AuthUser
from amane.center.deps import CenterDep, CurrentUnit, ReadSessionDep, SessionDep, require_role
from amane.center.dispatch import feedback, intake, kpi, natures, reports, roster, service, views
from amane.center.dispatch import recommend as recommending
from amane.center.dispatch.models import Rotation, Team
from amane.center.dispatch.schemas import (
    CallCreate,
    CallOutcome,
    DispatchCreate,
    DutyPublic,
    EventCreate,
    GapPublic,
    IncidentDetail,
    IncidentPublic,
    KpiReport,
    LinkCreate,
    NaturePublic,
    Recommendation,
    RotationCreate,
    RotationPublic,
    TeamCreate,
    TeamPublic,
    UnitStatusReport,
)
from amane.center.dispatch.state import DispatchState
from amane.center.errors import Invalid
from amane.center.live.hub import Scope
from amane.center.runtime import Center
from amane.core.messages import encode
from amane.exchange import cap, eido


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the road graph (once per worker) and follow unit steps while the app runs."""
    center: Center = app.state.center
    if getattr(app.state, "dispatch", None) is None:
        app.state.dispatch = await run_in_threadpool(DispatchState)
    task = asyncio.create_task(feedback.consume(center, app.state.dispatch), name="dispatch-feedback")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"], lifespan=lifespan)

Dispatcher = Annotated[AuthUser, require_role(*UNIT_VIEWERS)]
Manager = Annotated[AuthUser, require_role(*UNIT_MANAGERS)]
KpiReader = Annotated[AuthUser, require_role(*(ALERT_READERS | UNIT_VIEWERS))]


def dispatch_state(request: Request) -> DispatchState:
    state = getattr(request.app.state, "dispatch", None)
    if state is None:  # the app runs without its lifespan (a bare test client): load now
        state = request.app.state.dispatch = DispatchState()
    return state


async def _announce(center: Center, incident: IncidentPublic) -> None:
    await center.live.publish("incident.updated", Scope.UNITS, incident.model_dump(mode="json"))


@router.get("/natures")
def list_natures(user: Dispatcher) -> list[NaturePublic]:
    """The call types and their default priorities."""
    return [
        NaturePublic(code=n.code, priority=n.priority, en=n.en, fr=n.fr, ar=n.ar) for n in natures.NATURES
    ]


@router.get("/travel")
def travel_model(user: Dispatcher, request: Request) -> dict[str, object]:
    """Which travel-time model ranks units (road graph or straight-line fallback)."""
    travel = dispatch_state(request).travel
    return {
        "method": travel.source,
        "nodes": getattr(travel, "node_count", 0),
        "edges": getattr(travel, "edge_count", 0),
    }


@router.post("/calls", status_code=201)
async def take_call(body: CallCreate, user: Dispatcher, center: CenterDep, request: Request) -> CallOutcome:
    """Take a call: a new incident (with possible duplicates flagged) or a call joined to one."""
    state = dispatch_state(request)

    def work() -> CallOutcome:
        with center.db.writing() as session:
            return intake.take_call(
                session=session, body=body, actor=user.actor, state=state, regions=center.settings.regions
            )

    outcome = await run_in_threadpool(work)
    await _announce(center, outcome.incident)
    return outcome


@router.get("/incidents")
def list_incidents(
    user: Dispatcher,
    session: ReadSessionDep,
    status: str | None = None,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[IncidentPublic]:
    """Newest first."""
    return views.list_incidents(session=session, status=status, limit=limit, open_only=open_only)


@router.get("/incidents/{incident_id}")
def get_incident(incident_id: uuid.UUID, user: Dispatcher, session: ReadSessionDep) -> IncidentDetail:
    """An incident with its whole timeline."""
    return views.detail(session, views.get_incident(session=session, incident_id=incident_id))


@router.post("/incidents/{incident_id}/recommend")
def recommend(
    incident_id: uuid.UUID, user: Dispatcher, session: SessionDep, center: CenterDep, request: Request
) -> Recommendation:
    """Rank the units that may go now (and record the recommendation on the timeline)."""
    result = recommending.recommend(
        session=session,
        incident_id=incident_id,
        state=dispatch_state(request),
        online_within=center.online_within,
        actor=user.actor,
    )
    session.commit()
    return result


@router.post("/incidents/{incident_id}/dispatch", status_code=201)
async def dispatch_unit(
    incident_id: uuid.UUID, body: DispatchCreate, user: Dispatcher, center: CenterDep, request: Request
) -> IncidentPublic:
    """Send a unit (a goto order through unit messaging); another than the top pick needs a reason."""
    state = dispatch_state(request)

    def work() -> tuple[IncidentPublic, bytes, str]:
        with center.db.writing() as session:
            _, message = service.dispatch(
                session=session,
                incident_id=incident_id,
                callsign=body.callsign,
                override_reason=body.override_reason,
                state=state,
                online_within=center.online_within,
                actor=user.actor,
                sender=user.username,
            )
            public = views.to_public(session, views.get_incident(session=session, incident_id=incident_id))
            return public, encode(service.wire_of(message)), body.callsign

    public, wire, callsign = await run_in_threadpool(work)
    await center.bus.publish(subjects.unit_inbox(callsign), wire)
    await _announce(center, public)
    return public


@router.post("/incidents/{incident_id}/link")
async def link_duplicate(
    incident_id: uuid.UUID, body: LinkCreate, user: Dispatcher, center: CenterDep
) -> IncidentPublic:
    """Merge this (duplicate) incident into ``into``; returns the incident it joined."""

    def work() -> tuple[IncidentPublic, IncidentPublic]:
        with center.db.writing() as session:
            target = intake.link_duplicate(
                session=session, incident_id=incident_id, into=body.into, actor=user.actor
            )
            dup = views.get_incident(session=session, incident_id=incident_id)
            return views.to_public(session, target), views.to_public(session, dup)

    target, dup = await run_in_threadpool(work)
    await _announce(center, dup)
    await _announce(center, target)
    return target


@router.post("/incidents/{incident_id}/events", status_code=201)
async def add_event(
    incident_id: uuid.UUID, body: EventCreate, user: Dispatcher, center: CenterDep
) -> IncidentDetail:
    """A note, a unit cleared, the incident closed, or a correction (a new event, never an edit)."""

    def work() -> IncidentDetail:
        with center.db.writing() as session:
            incident = service.add_event(
                session=session, incident_id=incident_id, body=body, actor=user.actor
            )
            return views.detail(session, incident)

    result = await run_in_threadpool(work)
    await _announce(center, IncidentPublic(**result.model_dump(exclude={"timeline", "calls"})))
    return result


@router.post("/units/me/status")
async def unit_status(report: UnitStatusReport, unit: CurrentUnit, center: CenterDep) -> IncidentPublic:
    """A unit reports a step with its own clock (kept beside the centre's receive time)."""

    def work() -> IncidentPublic:
        with center.db.writing() as session:
            incident = service.unit_step(
                session=session,
                callsign=unit.callsign,
                status=report.status,
                received_at=datetime.now(UTC),
                reported_at=report.at,
                incident_id=report.incident_id,
            )
            if incident is None:
                raise Invalid(f"unit {unit.callsign} has no active assignment that this step moves forward")
            return views.to_public(session, incident)

    public = await run_in_threadpool(work)
    await _announce(center, public)
    return public


# ---- exchange ----------------------------------------------------------------------------------


@router.get("/incidents/{incident_id}/eido")
def export_eido(incident_id: uuid.UUID, user: Dispatcher, session: SessionDep) -> Response:
    """The incident as a NENA EIDO JSON document (validated before it leaves; audited)."""
    detail = views.detail(session, views.get_incident(session=session, incident_id=incident_id))
    document = eido.to_eido(detail)
    eido.validate(document)
    audit.append(session=session, actor=user.actor, action="export.eido", target=f"incident:{detail.number}")
    session.commit()
    return Response(eido.dumps(document), media_type="application/json")


@router.get("/incidents/{incident_id}/cap")
def export_cap(incident_id: uuid.UUID, user: Dispatcher, session: SessionDep) -> Response:
    """A CAP 1.2 alert for the incident with Arabic, French and English info blocks (validated; audited)."""
    incident = views.get_incident(session=session, incident_id=incident_id)
    xml = cap.incident_alert(views.to_public(session, incident), sender=f"amane:{user.username}")
    cap.validate(xml)
    audit.append(session=session, actor=user.actor, action="export.cap", target=f"incident:{incident.number}")
    session.commit()
    return Response(xml, media_type="application/cap+xml")


# ---- rosters -----------------------------------------------------------------------------------


@router.get("/teams")
def list_teams(user: Dispatcher, session: ReadSessionDep) -> list[TeamPublic]:
    teams = session.execute(select(Team).order_by(Team.region, Team.name)).scalars()
    return [
        TeamPublic(id=t.id, region=t.region, name=t.name, officers=t.officers, units=t.units) for t in teams
    ]


@router.put("/teams")
def put_team(body: TeamCreate, user: Manager, session: SessionDep) -> TeamPublic:
    """Create or replace a team (by region and name)."""
    team = session.execute(
        select(Team).where(Team.region == body.region, Team.name == body.name)
    ).scalar_one_or_none()
    if team is None:
        team = Team(region=body.region, name=body.name)
        session.add(team)
    team.officers, team.units = list(body.officers), list(body.units)
    session.flush()
    audit.append(
        session=session,
        actor=user.actor,
        action="roster.team",
        target=f"region:{body.region}",
        details={"team": body.name, "officers": len(body.officers), "units": body.units},
    )
    session.commit()
    return TeamPublic(id=team.id, **body.model_dump())


@router.get("/rotations")
def list_rotations(user: Dispatcher, session: ReadSessionDep) -> list[RotationPublic]:
    rows = session.execute(select(Rotation).order_by(Rotation.region)).scalars()
    return [
        RotationPublic(
            region=r.region,
            anchor=r.anchor,
            shift_hours=r.shift_hours,
            pattern=r.pattern,
            min_units=r.min_units,
        )
        for r in rows
    ]


@router.put("/rotations")
def put_rotation(body: RotationCreate, user: Manager, session: SessionDep) -> RotationPublic:
    """Set a region's rotation (default pattern: four teams A-D on 12-hour shifts)."""
    pattern = body.pattern if body.pattern is not None else roster.four_teams_twelve_hours()
    rot = session.execute(select(Rotation).where(Rotation.region == body.region)).scalar_one_or_none()
    if rot is None:
        rot = Rotation(region=body.region, created_by=user.username)
        session.add(rot)
    rot.anchor, rot.shift_hours, rot.pattern, rot.min_units = (
        body.anchor,
        body.shift_hours,
        pattern,
        body.min_units,
    )
    session.flush()
    audit.append(
        session=session,
        actor=user.actor,
        action="roster.rotation",
        target=f"region:{body.region}",
        details={"shift_hours": body.shift_hours, "slots": len(pattern), "min_units": body.min_units},
    )
    session.commit()
    return RotationPublic(
        region=rot.region,
        anchor=rot.anchor,
        shift_hours=rot.shift_hours,
        pattern=pattern,
        min_units=rot.min_units,
    )


@router.get("/roster/now")
def on_duty(user: Dispatcher, session: ReadSessionDep, at: datetime | None = None) -> list[DutyPublic]:
    """Per region: the team on shift, its officers and units."""
    when = _aware(at) or datetime.now(UTC)
    return [
        DutyPublic(
            region=d.region,
            team=d.team,
            shift_start=d.shift_start,
            shift_end=d.shift_end,
            officers=d.officers,
            units=d.units,
        )
        for d in roster.duty_now(session=session, at=when)
    ]


@router.get("/roster/gaps")
def coverage_gaps(
    user: Dispatcher,
    session: ReadSessionDep,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 72,
    start: datetime | None = None,
) -> list[GapPublic]:
    """Shifts in the next ``hours`` whose region would have fewer usable units than it needs."""
    when = _aware(start) or datetime.now(UTC)
    return [
        GapPublic(
            region=g.region,
            start=g.start,
            end=g.end,
            team=g.team,
            units=g.units,
            needed=g.needed,
            reason=g.reason,
        )
        for g in roster.gaps(session=session, start=when, hours=hours)
    ]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid("times must carry a timezone")
    return value


# ---- KPIs --------------------------------------------------------------------------------------


def _targets(text: str | None) -> dict[int, float] | None:
    if not text:
        return None
    try:
        return {i + 1: float(v) for i, v in enumerate(text.split(",")) if v.strip()}
    except ValueError as err:
        raise Invalid("targets: comma-separated seconds for P1,P2,... e.g. 600,1200,2400,3600") from err


def _report(
    session: ReadSessionDep,
    group_by: kpi.GroupBy,
    region: str | None,
    since: datetime | None,
    until: datetime | None,
    targets: str | None,
) -> KpiReport:
    return reports.report(
        session=session,
        group_by=group_by,
        region=region,
        since=_aware(since),
        until=_aware(until),
        targets=_targets(targets),
    )


@router.get("/kpis")
def kpis(
    user: KpiReader,
    session: ReadSessionDep,
    group_by: kpi.GroupBy = "priority",
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    targets: str | None = None,
) -> KpiReport:
    """Call-to-dispatch, dispatch-to-arrival, total response: median, p90, share within target."""
    return _report(session, group_by, region, since, until, targets)


@router.get("/kpis.csv")
def kpis_csv(
    user: KpiReader,
    session: SessionDep,
    group_by: kpi.GroupBy = "priority",
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    targets: str | None = None,
) -> PlainTextResponse:
    """The same report as CSV (audited as an export)."""
    report = _report(session, group_by, region, since, until, targets)
    audit.append(
        session=session,
        actor=user.actor,
        action="export.kpi_csv",
        target=f"region:{region or '*'}",
        details={
            "group_by": group_by,
            "rows": len(report.rows),
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
    )
    session.commit()
    name = f"kpis_{group_by}_{region or 'all'}.csv"
    return PlainTextResponse(
        reports.to_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/regions")
def regions(user: KpiReader, session: ReadSessionDep) -> list[str]:
    """Regions that have incidents, units or a rotation (for the regional views)."""
    from amane.center.dispatch.models import Incident
    from amane.store.models import Unit

    names: set[str] = set()
    for column in (Incident.region, Unit.region, Rotation.region):
        names.update(r for r in session.execute(select(column).distinct()).scalars() if r)
    return sorted(names)
