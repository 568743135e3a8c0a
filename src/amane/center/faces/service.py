"""Face safeguards at the centre: authorisations, kill switch, enrolment, audited search, review rule.

Every function takes keyword-only arguments and writes its audit entry in the same transaction
as its change; the caller commits.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from amane.center.audit import service as audit
from amane.center.errors import CenterError, Invalid, NotFound
from amane.center.faces.models import authorisations
from amane.center.faces.schemas import (
    AuthorisationCreate,
    AuthorisationPublic,
    LiveStatus,
    PersonCreate,
    PersonPublic,
    PhotoEnrolled,
    SearchHit,
    SearchResponse,
)
from amane.core.messages import AlertKind
from amane.vision.faces.pipeline import PhotoRefused
from amane.vision.faces.recognizer import LEAD_STATEMENT
from amane.watchlists.crypto import TemplateCipher, WatchlistKeyError
from amane.watchlists.faces import FaceWatchlist, Person, PersonNotFound
from amane.watchlists.faces_service import DB_ENV, FaceWatchlistService

logger = logging.getLogger(__name__)

FACE_MIN_CONFIRMATIONS = 2
MIN_SEARCH_REASON = 15


class WatchlistUnavailable(CenterError):
    """The watchlist cannot be opened (no key configured, or the wrong key)."""

    status = 503


def minimum_confirmations(kind: AlertKind) -> int:
    """The least number of distinct reviewers an alert kind needs, whatever the settings say.

    >>> minimum_confirmations(AlertKind.FACE), minimum_confirmations(AlertKind.PLATE)
    (2, 1)
    """
    return FACE_MIN_CONFIRMATIONS if kind is AlertKind.FACE else 1


def confirmations_required(configured: Callable[[AlertKind], int]) -> Callable[[AlertKind], int]:
    """The configured reviewer count per kind, raised to :func:`minimum_confirmations` (face: 2).

    >>> confirmations_required(lambda kind: 1)(AlertKind.FACE)
    2
    """
    return lambda kind: max(configured(kind), minimum_confirmations(kind))


# authorisations ----------------------------------------------------------------------------------


def _public(row: Any, now: datetime) -> AuthorisationPublic:
    active = row.revoked_at is None and row.starts_at <= now < row.ends_at
    return AuthorisationPublic(**dict(row._mapping), active=active)


def create_authorisation(*, session: Session, body: AuthorisationCreate, actor: str,
                         now: datetime | None = None) -> AuthorisationPublic:
    """Record who authorised live identification, why, where and until when."""
    now = now or datetime.now(UTC)
    if body.ends_at <= now:
        raise Invalid("ends_at: the authorisation would already be over")
    values = body.model_dump()
    new_id = session.execute(insert(authorisations).values(
        **values, authorised_by=actor, created_at=now)).inserted_primary_key[0]  # type: ignore[attr-defined]
    audit.append(session=session, actor=actor, action="face.authorisation.create",
                 target=f"face-authorisation:{new_id}", details=body.model_dump(mode="json"), at=now)
    row = session.execute(select(authorisations).where(authorisations.c.id == new_id)).one()
    return _public(row, now)


def list_authorisations(*, session: Session, now: datetime | None = None,
                        active_only: bool = False) -> list[AuthorisationPublic]:
    """Authorisations, newest first."""
    now = now or datetime.now(UTC)
    q = select(authorisations).order_by(authorisations.c.id.desc())
    if active_only:
        q = q.where(_active(now))
    return [_public(r, now) for r in session.execute(q).all()]


def _active(now: datetime) -> Any:
    return and_(authorisations.c.revoked_at.is_(None), authorisations.c.starts_at <= now,
                authorisations.c.ends_at > now)


def revoke(*, session: Session, authorisation_id: int | None, actor: str, reason: str,
           now: datetime | None = None) -> int:
    """Revoke one authorisation, or (``None``: the kill switch) every active one; returns how many."""
    now = now or datetime.now(UTC)
    q = update(authorisations).where(authorisations.c.revoked_at.is_(None))
    if authorisation_id is not None:
        q = q.where(authorisations.c.id == authorisation_id)
    else:
        q = q.where(authorisations.c.ends_at > now)
    n = session.execute(q.values(revoked_at=now, revoked_by=actor, revoke_reason=reason)).rowcount  # type: ignore[attr-defined]
    if authorisation_id is not None and not n:
        raise NotFound(f"no active face authorisation {authorisation_id}")
    audit.append(session=session, actor=actor,
                 action="face.kill_switch" if authorisation_id is None else "face.authorisation.revoke",
                 target="face-authorisation:" + ("*" if authorisation_id is None else str(authorisation_id)),
                 details={"reason": reason, "revoked": n}, at=now)
    logger.warning("face identification %s by %s: %s (%d revoked)",
                   "KILL SWITCH" if authorisation_id is None else "revoked", actor, reason, n)
    return int(n)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres.

    >>> round(_distance_m(33.0, -7.0, 33.001, -7.0))
    111
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))


def live_status(*, session: Session, at: datetime, lat: float | None, lon: float | None) -> LiveStatus:
    """Whether live identification is authorised at ``at`` and (lat, lon); unknown position: no."""
    if lat is None or lon is None:
        return LiveStatus(authorised=False)
    for row in session.execute(select(authorisations).where(_active(at))).all():
        if _distance_m(lat, lon, row.lat, row.lon) <= row.radius_m:
            return LiveStatus(authorised=True, authorisation_id=row.id, ends_at=row.ends_at)
    return LiveStatus(authorised=False)


# watchlist ---------------------------------------------------------------------------------------

_services: dict[str, FaceWatchlistService] = {}
_services_lock = threading.Lock()


def watchlist_service(data_dir: Path) -> FaceWatchlistService:
    """The watchlist of this centre (``AMANE_WATCHLIST_DB`` or ``data_dir/watchlist-faces.db``)."""
    url = os.environ.get(DB_ENV) or f"sqlite:///{data_dir / 'watchlist-faces.db'}"
    with _services_lock:
        if url not in _services:
            try:
                _services[url] = FaceWatchlistService(FaceWatchlist(url, TemplateCipher.from_env()))
            except WatchlistKeyError as err:
                raise WatchlistUnavailable(str(err)) from err
        return _services[url]


def _person_public(p: Person) -> PersonPublic:
    return PersonPublic(id=p.id, name=p.name, notice=p.notice, reason=p.reason, legal_basis=p.legal_basis,
                        agency=p.agency, expires_at=p.expires_at, created_at=p.created_at,
                        created_by=p.created_by, photos=p.photos)


def add_person(*, session: Session, svc: FaceWatchlistService, body: PersonCreate,
               actor: str) -> PersonPublic:
    """Enrol a wanted person (no photo yet); audited."""
    try:
        person = svc.watchlist.add_person(**body.model_dump(), created_by=actor)
    except ValueError as err:
        raise Invalid(str(err)) from err
    audit.append(session=session, actor=actor, action="face.watchlist.add_person",
                 target=f"face-person:{person.id}",
                 details={"notice": person.notice.value, "legal_basis": person.legal_basis,
                          "agency": person.agency, "expires_at": person.expires_at.isoformat()})
    return _person_public(person)


def list_persons(*, svc: FaceWatchlistService, include_expired: bool = False) -> list[PersonPublic]:
    """Persons on the watchlist (no biometric data)."""
    return [_person_public(p) for p in svc.watchlist.list_persons(include_expired=include_expired)]


def remove_person(*, session: Session, svc: FaceWatchlistService, person_id: int, actor: str) -> None:
    """Delete a person with photos and templates; audited."""
    try:
        svc.watchlist.remove_person(person_id)
    except PersonNotFound as err:
        raise NotFound(str(err)) from err
    audit.append(session=session, actor=actor, action="face.watchlist.remove_person",
                 target=f"face-person:{person_id}")


def enrol_photo(*, session: Session, svc: FaceWatchlistService, person_id: int, photo: bytes,
                actor: str) -> PhotoEnrolled:
    """Enrol a reference photo; 422 with the reason (no_face, several_faces, too_small, blurry, pose)."""
    try:
        record = svc.enrol_photo(person_id, photo)
    except PersonNotFound as err:
        raise NotFound(str(err)) from err
    except PhotoRefused as err:
        audit.append(session=session, actor=actor, action="face.watchlist.photo_refused",
                     target=f"face-person:{person_id}", details={"reason": err.reason})
        raise Invalid(f"photo refused: {err.reason}") from err
    audit.append(session=session, actor=actor, action="face.watchlist.add_photo",
                 target=f"face-person:{person_id}",
                 details={"photo_id": record.id, "sha256": record.sha256,
                          "quality": round(record.quality, 3)})
    return PhotoEnrolled(photo_id=record.id, person_id=person_id, quality=record.quality)


@dataclass(frozen=True)
class _Probe:
    sha256: str
    size: int


def search_by_photo(*, session: Session, svc: FaceWatchlistService, photo: bytes, reason: str,
                    actor: str, k: int = 5) -> SearchResponse:
    """Search the watchlist with a photo. Needs a written reason; the search and its results are audited."""
    if len(reason.strip()) < MIN_SEARCH_REASON:
        raise Invalid(f"reason: a search by photo needs a written reason of at least {MIN_SEARCH_REASON} "
                      "characters")
    probe = _Probe(hashlib.sha256(photo).hexdigest(), len(photo))
    try:
        results = svc.search_photo(photo, k=k)
    except PhotoRefused as err:
        audit.append(session=session, actor=actor, action="face.search",
                     target=f"probe:{probe.sha256[:16]}",
                     details={"reason": reason, "refused": err.reason, "probe_sha256": probe.sha256})
        raise Invalid(f"photo refused: {err.reason}") from err
    hits = [SearchHit(person=_person_public(r.person), distance=round(r.distance, 4),
                      threshold=round(r.threshold, 4), possible_match=r.match) for r in results]
    audit.append(session=session, actor=actor, action="face.search", target=f"probe:{probe.sha256[:16]}",
                 details={"reason": reason, "probe_sha256": probe.sha256, "probe_bytes": probe.size,
                          "results": [{"person_id": h.person.id, "distance": h.distance,
                                       "possible_match": h.possible_match} for h in hits]})
    return SearchResponse(statement=LEAD_STATEMENT, results=hits)
