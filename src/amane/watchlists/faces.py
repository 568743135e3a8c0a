"""The face watchlist: wanted persons, their reference photos and encrypted templates.

A person carries a notice type (like INTERPOL's coloured notices), the reason, the legal basis,
the owning agency and an expiry; once expired a person stops matching and :meth:`purge_expired`
deletes the row with its photos and templates. Templates (the embedding vectors) and reference
photos are encrypted with AES-256-GCM (:mod:`amane.watchlists.crypto`); the key is never stored.
Tables live in their own SQLAlchemy ``MetaData`` (SQLite file or PostgreSQL by URL).

>>> from amane.watchlists.crypto import TemplateCipher
>>> wl = FaceWatchlist("sqlite://", TemplateCipher(TemplateCipher.generate_key()))
>>> p = wl.add_person(name="J. Doe", notice="red", reason="armed robbery", legal_basis="warrant 12/2026",
...                   agency="DGSN", expires_at=datetime(2100, 1, 1, tzinfo=UTC), created_by="test")
>>> wl.add_template(p.id, np.ones(128, np.float32), model_id="m", photo_jpeg=b"jpeg", quality=0.9).person_id
1
>>> ids, vecs = wl.active_templates("m", now=datetime(2026, 1, 1, tzinfo=UTC))
>>> ids.tolist(), vecs.shape
([1], (1, 128))
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.pool import StaticPool

from amane.store.types import UTCDateTime
from amane.watchlists.crypto import TemplateCipher

logger = logging.getLogger(__name__)

metadata = MetaData()


class Notice(StrEnum):
    """Notice types, after INTERPOL's colour-coded notices."""

    RED = "red"
    """Wanted for arrest / prosecution."""
    BLUE = "blue"
    """Locate a person of interest to an investigation."""
    YELLOW = "yellow"
    """Missing person."""
    GREEN = "green"
    """Warning about a person's criminal activities."""
    BLACK = "black"
    """Unidentified body (reference only; not for live matching in public)."""
    ORANGE = "orange"
    """Imminent threat to public safety."""
    PURPLE = "purple"
    """Modus operandi (reference only)."""


persons = Table(
    "face_watchlist_persons", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("external_ref", String(120), unique=True, nullable=True),
    Column("name", String(200), nullable=False),
    Column("notice", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("agency", String(200), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(120), nullable=False),
)
photos = Table(
    "face_watchlist_photos", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("face_watchlist_persons.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("sha256", String(64), nullable=False),
    Column("model_id", String(120), nullable=False),
    Column("quality", Float, nullable=False),
    Column("template", LargeBinary, nullable=False),
    Column("photo", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)
meta = Table(
    "face_watchlist_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)


@dataclass(frozen=True)
class Person:
    """A watchlist entry (no biometric data)."""

    id: int
    name: str
    notice: Notice
    reason: str
    legal_basis: str
    agency: str
    expires_at: datetime
    created_at: datetime
    created_by: str
    external_ref: str | None = None
    photos: int = 0

    def active(self, now: datetime) -> bool:
        """Whether the entry may still match."""
        return now < self.expires_at


@dataclass(frozen=True)
class PhotoRecord:
    """One enrolled reference photo (the template stays encrypted in the database)."""

    id: int
    person_id: int
    sha256: str
    model_id: str
    quality: float


class PersonNotFound(LookupError):
    """No watchlist person with that id."""


def _aad(kind: str, person_id: int, sha256: str, model_id: str) -> bytes:
    return f"amane-face-{kind}:{person_id}:{sha256}:{model_id}".encode()


def _engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        from amane.store.database import normalise_url

        engine = create_engine(normalise_url(url))
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _fk(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
    return engine


class FaceWatchlist:
    """Storage of watchlist persons and encrypted templates."""

    def __init__(self, url_or_engine: str | Engine, cipher: TemplateCipher) -> None:
        self.engine = _engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self.cipher = cipher
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            check = conn.execute(select(meta.c.value).where(meta.c.key == "key_check")).scalar_one_or_none()
            if check is None:
                conn.execute(insert(meta).values(key="key_check", value=cipher.key_check()))
        if check is not None:
            cipher.verify(check)

    # persons -----------------------------------------------------------------------------------
    def add_person(self, *, name: str, notice: Notice | str, reason: str, legal_basis: str, agency: str,
                   expires_at: datetime, created_by: str, external_ref: str | None = None,
                   now: datetime | None = None) -> Person:
        """Create a person (no photo yet). Every governance field is required."""
        created = now or datetime.now(UTC)
        for field, value in (("name", name), ("reason", reason), ("legal_basis", legal_basis),
                             ("agency", agency), ("created_by", created_by)):
            if not value or not value.strip():
                raise ValueError(f"{field} is required")
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must carry a time zone")
        if expires_at <= created:
            raise ValueError("expires_at must be in the future")
        notice = Notice(notice)
        with self.engine.begin() as conn:
            pid = conn.execute(insert(persons).values(
                name=name.strip(), notice=notice.value, reason=reason.strip(),
                legal_basis=legal_basis.strip(),
                agency=agency.strip(), expires_at=expires_at, created_at=created, created_by=created_by,
                external_ref=external_ref)).inserted_primary_key[0]  # type: ignore[index]
        logger.info("watchlist: person %s added (%s notice) by %s", pid, notice.value, created_by)
        return self.get_person(int(pid))

    def get_person(self, person_id: int) -> Person:
        """One person; :class:`PersonNotFound` when absent."""
        found = self.list_persons(include_expired=True, person_id=person_id)
        if not found:
            raise PersonNotFound(f"no watchlist person {person_id}")
        return found[0]

    def list_persons(self, *, include_expired: bool = False, now: datetime | None = None,
                     person_id: int | None = None) -> list[Person]:
        """Persons with their photo counts, newest first."""
        now = now or datetime.now(UTC)
        counts = (select(photos.c.person_id, func.count().label("n")).group_by(photos.c.person_id)
                  .subquery())
        q = (select(persons, func.coalesce(counts.c.n, 0).label("n"))
             .outerjoin(counts, counts.c.person_id == persons.c.id).order_by(persons.c.id.desc()))
        if not include_expired:
            q = q.where(persons.c.expires_at > now)
        if person_id is not None:
            q = q.where(persons.c.id == person_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [Person(id=r["id"], name=r["name"], notice=Notice(r["notice"]), reason=r["reason"],
                       legal_basis=r["legal_basis"], agency=r["agency"], expires_at=r["expires_at"],
                       created_at=r["created_at"], created_by=r["created_by"], external_ref=r["external_ref"],
                       photos=int(r["n"])) for r in rows]

    def remove_person(self, person_id: int) -> None:
        """Delete a person with all photos and templates."""
        with self.engine.begin() as conn:
            conn.execute(delete(photos).where(photos.c.person_id == person_id))
            n = conn.execute(delete(persons).where(persons.c.id == person_id)).rowcount
        if not n:
            raise PersonNotFound(f"no watchlist person {person_id}")
        logger.info("watchlist: person %s removed", person_id)

    def set_expiry(self, person_id: int, expires_at: datetime) -> None:
        """Change a person's expiry (e.g. end an entry early)."""
        with self.engine.begin() as conn:
            if not conn.execute(update(persons).where(persons.c.id == person_id)
                                .values(expires_at=expires_at)).rowcount:
                raise PersonNotFound(f"no watchlist person {person_id}")

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete expired persons with their photos and templates; returns how many."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            ids = list(conn.execute(select(persons.c.id).where(persons.c.expires_at <= now)).scalars())
            if ids:
                conn.execute(delete(photos).where(photos.c.person_id.in_(ids)))
                conn.execute(delete(persons).where(persons.c.id.in_(ids)))
        if ids:
            logger.info("watchlist: purged %d expired persons", len(ids))
        return len(ids)

    # templates ---------------------------------------------------------------------------------
    def add_template(self, person_id: int, embedding: npt.NDArray[np.float32], *, model_id: str,
                     photo_jpeg: bytes | None, quality: float, now: datetime | None = None) -> PhotoRecord:
        """Store one reference photo's template (and the photo), both encrypted."""
        self.get_person(person_id)
        vec = np.ascontiguousarray(embedding, dtype="<f4")
        sha = hashlib.sha256(photo_jpeg if photo_jpeg is not None else vec.tobytes()).hexdigest()
        with self.engine.begin() as conn:
            pid = conn.execute(insert(photos).values(
                person_id=person_id, sha256=sha, model_id=model_id, quality=float(quality),
                template=self.cipher.encrypt(vec.tobytes(), aad=_aad("template", person_id, sha, model_id)),
                photo=None if photo_jpeg is None else self.cipher.encrypt(
                    photo_jpeg, aad=_aad("photo", person_id, sha, model_id)),
                created_at=now or datetime.now(UTC))).inserted_primary_key[0]  # type: ignore[index]
        return PhotoRecord(int(pid), person_id, sha, model_id, float(quality))

    def photos_of(self, person_id: int) -> list[PhotoRecord]:
        """A person's reference photos (metadata only)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(photos.c.id, photos.c.person_id, photos.c.sha256, photos.c.model_id,
                                       photos.c.quality).where(photos.c.person_id == person_id)).all()
        return [PhotoRecord(int(r[0]), int(r[1]), r[2], r[3], float(r[4])) for r in rows]

    def reference_photo(self, photo_id: int) -> bytes | None:
        """The decrypted JPEG of a reference photo (None when it was enrolled without one)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(photos.c.person_id, photos.c.sha256, photos.c.model_id, photos.c.photo)
                               .where(photos.c.id == photo_id)).one_or_none()
        if row is None:
            raise LookupError(f"no reference photo {photo_id}")
        if row[3] is None:
            return None
        return self.cipher.decrypt(row[3], aad=_aad("photo", int(row[0]), row[1], row[2]))

    def active_templates(self, model_id: str, *, now: datetime | None = None
                         ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(photo ids, decrypted templates) of persons not expired at ``now``, for one model."""
        now = now or datetime.now(UTC)
        q = (select(photos.c.id, photos.c.person_id, photos.c.sha256, photos.c.template)
             .join(persons, persons.c.id == photos.c.person_id)
             .where(photos.c.model_id == model_id, persons.c.expires_at > now).order_by(photos.c.id))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        ids = np.array([int(r[0]) for r in rows], np.int64)
        vecs = [np.frombuffer(self.cipher.decrypt(r[3], aad=_aad("template", int(r[1]), r[2], model_id)),
                              "<f4") for r in rows]
        mat = np.stack(vecs).astype(np.float32) if vecs else np.zeros((0, 0), np.float32)
        return ids, mat

    def templates_per_model(self) -> dict[str, int]:
        """How many templates each embedding model has made (model id -> count)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(photos.c.model_id, func.count()).group_by(photos.c.model_id)).all()
        return {str(m): int(n) for m, n in rows}

    def photo_owner(self) -> dict[int, int]:
        """photo id -> person id, for every photo."""
        with self.engine.connect() as conn:
            return {int(a): int(b) for a, b in conn.execute(select(photos.c.id, photos.c.person_id)).all()}
