"""``/api/v1/faces``: live-identification authorisations, kill switch, watchlist enrolment, photo search."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool

from amane.center.auth.roles import Role
from amane.center.auth.service import AuthUser
from amane.center.deps import CenterDep, CurrentUnit, ReadSessionDep, SessionDep, require_role
from amane.center.errors import TooLarge
from amane.center.faces import service
from amane.center.faces.schemas import (
    AuthorisationCreate,
    AuthorisationPublic,
    KillSwitch,
    LiveStatus,
    PersonCreate,
    PersonPublic,
    PhotoEnrolled,
    SearchResponse,
)
from amane.watchlists.faces_service import MAX_PHOTO_BYTES

router = APIRouter(prefix="/api/v1/faces", tags=["faces"])

Authoriser = Annotated[AuthUser, require_role(Role.ADMIN, Role.SUPERVISOR)]
Stopper = Annotated[AuthUser, require_role(Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR)]
Viewer = Annotated[AuthUser, require_role(Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR, Role.AUDITOR)]
Enroller = Annotated[AuthUser, require_role(Role.ADMIN, Role.SUPERVISOR)]
Searcher = Annotated[AuthUser, require_role(Role.ADMIN, Role.SUPERVISOR, Role.ANALYST)]
ListReader = Annotated[AuthUser, require_role(Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.OPERATOR)]


@router.post("/authorisations", status_code=201)
def create_authorisation(body: AuthorisationCreate, user: Authoriser,
                         session: SessionDep) -> AuthorisationPublic:
    """Switch live face identification on for an area and a time window (supervisor or admin)."""
    out = service.create_authorisation(session=session, body=body, actor=user.actor)
    session.commit()
    return out


@router.get("/authorisations")
def list_authorisations(user: Viewer, session: ReadSessionDep,
                        active: Annotated[bool, Query(description="Only active ones")] = False
                        ) -> list[AuthorisationPublic]:
    return service.list_authorisations(session=session, active_only=active)


@router.post("/authorisations/{authorisation_id}/revoke")
def revoke(authorisation_id: int, body: KillSwitch, user: Authoriser, session: SessionDep) -> dict[str, int]:
    n = service.revoke(session=session, authorisation_id=authorisation_id, actor=user.actor,
                       reason=body.reason)
    session.commit()
    return {"revoked": n}


@router.post("/kill-switch")
def kill_switch(body: KillSwitch, user: Stopper, session: SessionDep) -> dict[str, int]:
    """Stop all live face identification at once (any supervisor, admin or operator on duty)."""
    n = service.revoke(session=session, authorisation_id=None, actor=user.actor, reason=body.reason)
    session.commit()
    return {"revoked": n}


@router.get("/live-status")
def live_status(unit: CurrentUnit, session: ReadSessionDep,
                lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
                lon: Annotated[float | None, Query(ge=-180, le=180)] = None) -> LiveStatus:
    """For units: is live identification authorised here and now? (No position: no.)"""
    return service.live_status(session=session, at=datetime.now(UTC), lat=lat, lon=lon)


@router.get("/watchlist/persons")
def list_persons(user: ListReader, center: CenterDep,
                 include_expired: Annotated[bool, Query()] = False) -> list[PersonPublic]:
    svc = service.watchlist_service(center.settings.data_dir)
    return service.list_persons(svc=svc, include_expired=include_expired)


@router.post("/watchlist/persons", status_code=201)
def add_person(body: PersonCreate, user: Enroller, center: CenterDep, session: SessionDep) -> PersonPublic:
    svc = service.watchlist_service(center.settings.data_dir)
    out = service.add_person(session=session, svc=svc, body=body, actor=user.actor)
    session.commit()
    return out


@router.delete("/watchlist/persons/{person_id}", status_code=204)
def remove_person(person_id: int, user: Enroller, center: CenterDep, session: SessionDep) -> None:
    svc = service.watchlist_service(center.settings.data_dir)
    service.remove_person(session=session, svc=svc, person_id=person_id, actor=user.actor)
    session.commit()


async def _read(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge(f"photo exceeds {MAX_PHOTO_BYTES} bytes")
    return data


@router.post("/watchlist/persons/{person_id}/photos", status_code=201)
async def add_photo(person_id: int, photo: Annotated[UploadFile, File()], user: Enroller,
                    center: CenterDep) -> PhotoEnrolled:
    """Enrol a reference photo; 422 says why a photo is refused."""
    data = await _read(photo)

    def work() -> PhotoEnrolled:
        svc = service.watchlist_service(center.settings.data_dir)
        with center.db.write_session() as session:
            try:
                return service.enrol_photo(session=session, svc=svc, person_id=person_id, photo=data,
                                           actor=user.actor)
            finally:
                session.commit()  # the refusal is audited too

    return await run_in_threadpool(work)


@router.post("/search")
async def search(photo: Annotated[UploadFile, File()], reason: Annotated[str, Form()], user: Searcher,
                 center: CenterDep) -> SearchResponse:
    """Search the watchlist by photo: a written reason is required; the search is audited."""
    data = await _read(photo)

    def work() -> SearchResponse:
        svc = service.watchlist_service(center.settings.data_dir)
        with center.db.write_session() as session:
            try:
                return service.search_by_photo(session=session, svc=svc, photo=data, reason=reason,
                                               actor=user.actor)
            finally:
                session.commit()

    return await run_in_threadpool(work)
