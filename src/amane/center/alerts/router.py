"""``/api/v1/alerts``: ingest from units, evidence upload and download, queries, the review workflow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from amane.center.alerts import evidence, service
from amane.center.alerts.schemas import AlertPublic, EvidenceStored, ReviewRequest
from amane.center.alerts.workflow import AlertStatus
from amane.center.audit import service as audit
from amane.center.auth.roles import ALERT_READERS, REVIEWERS
from amane.center.auth.service import AuthUser
from amane.center.deps import (
    CenterDep,
    CurrentUnit,
    ReadSessionDep,
    SessionDep,
    authenticate_unit,
    authenticates,
    require_role,
)
from amane.center.errors import TooLarge
from amane.center.faces.service import confirmations_required
from amane.center.runtime import Center
from amane.core.messages import Alert, AlertKind

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

Reader = Annotated[AuthUser, require_role(*ALERT_READERS)]
Reviewer = Annotated[AuthUser, require_role(*REVIEWERS)]
EVIDENCE_KEY = r"^[A-Za-z0-9_.\-/]{1,200}$"


async def ingest(request: Request) -> Response:
    """``POST /api/v1/alerts``: store an alert of the unit that owns the bearer token.

    201 ``{"id", "status": "stored"}`` the first time, 200 ``"duplicate"`` on a re-send; 422 names
    the bad field. This is the centre's hottest path, so it is a plain Starlette endpoint: FastAPI's
    dependency solving and router matching cost more CPU per request than storing the alert does.
    It authenticates itself (``authenticate_unit``) and is marked so the route policy knows.
    """
    center: Center = request.app.state.center
    unit = await authenticate_unit(center, request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, "Content-Type must be application/json")
    try:
        alert = Alert.model_validate_json(await request.body())
    except ValidationError as err:
        detail = [{"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]} for e in err.errors()]
        return JSONResponse({"detail": detail}, status_code=422)
    if alert.unit_id != unit.callsign:
        raise HTTPException(403, f"this token belongs to unit {unit.callsign}, not {alert.unit_id}")
    outcome = await center.ingest_alert(alert)
    body = f'{{"id":"{alert.id}","status":"{outcome}"}}'
    return Response(body, status_code=201 if outcome == "stored" else 200, media_type="application/json")


authenticates(ingest, frozenset())
INGEST_PATH = "/api/v1/alerts"
RAW_ROUTES = [Route(INGEST_PATH, ingest, methods=["POST"], name="ingest_alert")]
"""Plain Starlette routes of this domain; the app factory puts them first in the route list."""


class IngestFastPath:
    """ASGI middleware that answers ``POST /api/v1/alerts`` with :func:`ingest` directly.

    It sits inside Starlette's server-error middleware but before the exception middleware, the
    exit-stack middleware and the router (about a third of the per-request CPU on this path).
    The route in ``RAW_ROUTES`` stays registered, for the route policy and as the fallback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != INGEST_PATH:
            await self.app(scope, receive, send)
            return
        try:
            response = await ingest(Request(scope, receive))
        except HTTPException as err:
            response = JSONResponse({"detail": err.detail}, status_code=err.status_code, headers=err.headers)
        await response(scope, receive, send)


@router.get("")
def list_alerts(
    user: Reader,
    session: ReadSessionDep,
    center: CenterDep,
    status: AlertStatus | None = None,
    kind: AlertKind | None = None,
    unit: str | None = None,
    before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertPublic]:
    """Newest first. A filtered query is a search, and searches are audited."""
    alerts = service.list_alerts(
        session=session, status=status, kind=kind, unit=unit, before=before, limit=limit
    )
    if any(v is not None for v in (status, kind, unit, before)):
        with center.db.writing() as write:
            audit.append(
                session=write,
                actor=user.actor,
                action="alert.search",
                target="alerts",
                details={
                    "status": status,
                    "kind": kind,
                    "unit": unit,
                    "before": before.isoformat() if before else None,
                    "results": len(alerts),
                },
            )
    return alerts


@router.get("/{alert_id}")
def get_alert(alert_id: uuid.UUID, user: Reader, session: ReadSessionDep) -> AlertPublic:
    return service.get_alert(session=session, alert_id=alert_id)


@router.post("/{alert_id}/transitions")
async def review(alert_id: uuid.UUID, body: ReviewRequest, user: Reviewer, center: CenterDep) -> AlertPublic:
    """Acknowledge, confirm, dismiss (with a reason) or escalate; 409 when the step is not allowed now."""
    alert = await run_in_threadpool(_review, center, alert_id, body, user)
    await center.alert_changed(alert)
    return alert


def _review(center: Center, alert_id: uuid.UUID, body: ReviewRequest, user: AuthUser) -> AlertPublic:
    with center.db.write_session() as session:
        return service.review(
            session=session,
            alert_id=alert_id,
            action=body.action,
            reason=body.reason,
            reviewer=user.username,
            required_for=confirmations_required(center.settings.confirmations_for),
        )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"evidence is {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"evidence exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.put(
    "/{alert_id}/evidence/{key:path}",
    status_code=201,
    responses={200: {"description": "The same image was already stored under this key"}},
)
async def upload_evidence(
    alert_id: uuid.UUID,
    key: Annotated[str, PathParam(pattern=EVIDENCE_KEY)],
    request: Request,
    unit: CurrentUnit,
    center: CenterDep,
) -> Response:
    """Raw body, Content-Type image/jpeg or image/png; 413 when too large, 415 when not that image."""
    data = await _read_body(request, center.settings.evidence_max_bytes)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    stored = await run_in_threadpool(_store, center, alert_id, key, content_type, data, unit.callsign)
    if stored.status == "stored":
        alert = await run_in_threadpool(_get, center, alert_id)
        await center.alert_changed(alert)
    return Response(
        stored.model_dump_json(),
        status_code=201 if stored.status == "stored" else 200,
        media_type="application/json",
    )


def _store(
    center: Center, alert_id: uuid.UUID, key: str, content_type: str, data: bytes, callsign: str
) -> EvidenceStored:
    with center.db.write_session() as session:
        return evidence.store_evidence(
            session=session,
            evidence_dir=center.settings.evidence_path,
            alert_id=alert_id,
            key=key,
            content_type=content_type,
            data=data,
            unit_callsign=callsign,
        )


def _get(center: Center, alert_id: uuid.UUID) -> AlertPublic:
    with center.db.session() as session:
        return service.get_alert(session=session, alert_id=alert_id)


@router.get("/{alert_id}/evidence/{key:path}", response_class=FileResponse)
def get_evidence(alert_id: uuid.UUID, key: str, user: Reader, session: SessionDep) -> FileResponse:
    path, content_type = evidence.evidence_file(session=session, alert_id=alert_id, key=key, actor=user.actor)
    return FileResponse(path, media_type=content_type, headers={"Cache-Control": "private, max-age=3600"})
