"""The face watchlist's Python API: enrol photos (refused with a reason), search by photo, build the gallery.

This is what the CLI (``amane watchlist ...``) and the centre's API call; storage is
:class:`~amane.watchlists.faces.FaceWatchlist`, the face pipeline
:class:`~amane.vision.faces.FacePipeline`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import cv2
import numpy as np

from amane.vision.faces.pipeline import FacePipeline, PhotoRefused
from amane.watchlists.crypto import TemplateCipher
from amane.watchlists.faces import FaceWatchlist, Person, PhotoRecord
from amane.watchlists.faces_index import IndexKind, WatchlistGallery

logger = logging.getLogger(__name__)

DB_ENV = "AMANE_WATCHLIST_DB"
DEFAULT_DB = "sqlite:///var/watchlist-faces.db"
MAX_PHOTO_BYTES = 20_000_000


@dataclass(frozen=True)
class SearchResult:
    """One person near a searched photo."""

    person: Person
    photo_id: int
    distance: float
    threshold: float

    @property
    def match(self) -> bool:
        """Within the threshold (a lead, never an identification)."""
        return self.distance < self.threshold


def decode_photo(data: bytes) -> np.ndarray:
    """A BGR image from JPEG/PNG bytes; :class:`PhotoRefused` (``unreadable``) when it is not one."""
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused("unreadable", f"{len(data)} bytes")
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise PhotoRefused("unreadable", "not a JPEG/PNG image")
    return img


class FaceWatchlistService:
    """Enrolment and search over one watchlist database with one face pipeline."""

    def __init__(self, watchlist: FaceWatchlist, pipeline: FacePipeline | None = None,
                 index_kind: IndexKind = "auto") -> None:
        self.watchlist = watchlist
        self.pipeline = pipeline or FacePipeline()
        self.index_kind: IndexKind = index_kind
        self._gallery: WatchlistGallery | None = None

    @classmethod
    def open(cls, url: str | None = None, key: str | None = None, pipeline: FacePipeline | None = None
             ) -> FaceWatchlistService:
        """The service for ``url`` (default ``AMANE_WATCHLIST_DB``) and ``key`` (default: environment)."""
        cipher = TemplateCipher.from_text(key) if key else TemplateCipher.from_env()
        return cls(FaceWatchlist(url or os.environ.get(DB_ENV, DEFAULT_DB), cipher), pipeline)

    @property
    def model_id(self) -> str:
        """The embedding model the templates are made with."""
        return str(getattr(self.pipeline.embedder, "model_id", self.pipeline.embedder.name))

    def enrol_photo(self, person_id: int, photo: bytes, *, now: datetime | None = None) -> PhotoRecord:
        """Enrol one reference photo of a person; :class:`PhotoRefused` says why a photo is refused."""
        self.watchlist.get_person(person_id)
        result = self.pipeline.enrol(decode_photo(photo))
        assert result.embedding is not None
        record = self.watchlist.add_template(person_id, result.embedding, model_id=self.model_id,
                                             photo_jpeg=photo, quality=result.quality.score, now=now)
        self._gallery = None
        logger.info("watchlist: photo %s enrolled for person %s (quality %.2f)", record.id, person_id,
                    result.quality.score)
        return record

    def gallery(self, *, refresh: bool = False) -> WatchlistGallery:
        """The matcher's gallery (built on first use and after enrolment changes)."""
        if self._gallery is None:
            self._gallery = WatchlistGallery(self.watchlist, self.model_id, kind=self.index_kind)
        elif refresh:
            self._gallery.refresh()
        return self._gallery

    def search_photo(self, photo: bytes, *, k: int = 5, now: datetime | None = None) -> list[SearchResult]:
        """The persons nearest the face in a photo (largest face), nearest first, at most ``k``.

        The face must pass the quality gate (a poor probe gives confident nonsense): else
        :class:`PhotoRefused`. Only persons not expired at ``now`` are searched.
        """
        img = decode_photo(photo)
        face = self.pipeline.primary(img)
        if face is None:
            raise PhotoRefused("no_face")
        if face.embedding is None:
            raise PhotoRefused(face.quality.reasons[0])
        gallery = self.gallery(refresh=True)
        hits = gallery.search(face.embedding, k=max(k * 3, k))
        now = now or datetime.now(UTC)
        out: list[SearchResult] = []
        for hit in hits[:k]:
            person = self.watchlist.get_person(hit.person_id)
            if person.active(now):
                out.append(SearchResult(person, hit.photo_id, hit.distance, self.pipeline.threshold))
        return out
