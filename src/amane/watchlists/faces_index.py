"""Vector search over watchlist templates (faiss), and the gallery the face matcher queries.

:class:`FaceIndex` holds decrypted templates in memory only (never on disk) behind faiss:

* ``flat``: exact L2 search (IndexFlatL2); right up to ~100,000 templates;
* ``ivf``: inverted lists (IndexIVFFlat, sqrt(N) lists trained on a sample, ``nprobe`` probed):
  about a millisecond at a million templates, quick to build (see ``benchmarks/face_index.py``);
* ``hnsw``: HNSW graph (IndexHNSWFlat, M=32): fast to search but slow to build on a small CPU.

``auto`` picks ``flat`` up to 100,000 templates and ``ivf`` above. Searches run on one thread (a
probe at a time; OpenMP threads only add contention there). Distances are Euclidean (not
squared), the scale of the embedder's threshold.

>>> idx = FaceIndex.build(np.eye(3, dtype=np.float32), np.array([10, 11, 12]))
>>> d, ids = idx.search(np.array([[1.0, 0.1, 0.0]], np.float32), k=2)
>>> ids.tolist(), [round(float(x), 3) for x in d[0]]
([[10, 11]], [0.1, 1.345])
"""

from __future__ import annotations

import base64
import logging
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.faces.matcher import GalleryHit
from amane.watchlists.faces import FaceWatchlist, Person

logger = logging.getLogger(__name__)

IndexKind = Literal["auto", "flat", "hnsw", "ivf"]
AUTO_FLAT_UP_TO = 100_000


class FaceIndex:
    """Nearest templates of a query vector."""

    def __init__(self, index: Any, ids: npt.NDArray[np.int64], kind: str) -> None:
        self._index = index
        self.ids = ids
        self.kind = kind

    @classmethod
    def build(cls, vectors: npt.NDArray[np.float32], ids: npt.NDArray[np.int64], *, kind: IndexKind = "auto",
              hnsw_m: int = 32, ef_construction: int = 80, ef_search: int = 64, nprobe: int = 24,
              threads: int | None = None) -> FaceIndex:
        """An index over ``vectors`` (N, D) labelled by ``ids`` (N,)."""
        import faiss

        if threads is not None:
            faiss.omp_set_num_threads(threads)
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        if vecs.ndim != 2 or len(vecs) != len(ids):
            raise ValueError(f"vectors must be (N, D) with N = len(ids), got {vecs.shape} and {len(ids)}")
        n, dim = vecs.shape
        chosen = ("ivf" if n > AUTO_FLAT_UP_TO else "flat") if kind == "auto" else kind
        index: Any
        if chosen == "flat" or n == 0:
            index = faiss.IndexFlatL2(max(dim, 1))
        elif chosen == "hnsw":
            index = faiss.IndexHNSWFlat(dim, hnsw_m)
            index.hnsw.efConstruction = ef_construction
            index.hnsw.efSearch = ef_search
        else:
            nlist = max(1, min(n // 39, int(math.sqrt(n))))
            index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, nlist)
            sample = nlist * 64
            train = vecs if n <= sample else vecs[np.random.default_rng(0).choice(n, sample, replace=False)]
            index.train(train)
            index.nprobe = min(nprobe, nlist)
        if n:
            index.add(vecs)
        faiss.omp_set_num_threads(1)  # searches: one probe at a time
        return cls(index, np.asarray(ids, np.int64), chosen)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, queries: npt.NDArray[np.float32], k: int = 5
               ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """(distances, ids), each (Q, k), nearest first; missing neighbours have id -1, distance inf."""
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if len(self.ids) == 0:
            return (np.full((len(q), k), np.inf, np.float32), np.full((len(q), k), -1, np.int64))
        d2, pos = self._index.search(q, min(k, len(self.ids)))
        dist = np.sqrt(np.maximum(d2, 0.0)).astype(np.float32)
        ids = np.where(pos >= 0, self.ids[np.clip(pos, 0, None)], -1)
        dist[pos < 0] = np.inf
        if dist.shape[1] < k:
            pad = k - dist.shape[1]
            dist = np.hstack([dist, np.full((len(q), pad), np.inf, np.float32)])
            ids = np.hstack([ids, np.full((len(q), pad), -1, np.int64)])
        return dist, ids


class WatchlistGallery:
    """The active watchlist for one embedding model, as the face matcher sees it.

    Built from the decrypted templates of persons not yet expired; a person whose expiry passes
    after the build stops matching at once (checked at every search). Call :meth:`refresh`
    after enrolment changes.
    """

    def __init__(self, watchlist: FaceWatchlist, model_id: str, *, kind: IndexKind = "auto",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.watchlist = watchlist
        self.model_id = model_id
        self.kind: IndexKind = kind
        self.clock = clock
        self._lock = threading.Lock()
        self._index = FaceIndex.build(np.zeros((0, 1), np.float32), np.zeros(0, np.int64))
        self._owner: dict[int, int] = {}
        self._persons: dict[int, Person] = {}
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the index from the database."""
        now = self.clock()
        ids, vecs = self.watchlist.active_templates(self.model_id, now=now)
        index = FaceIndex.build(vecs if len(ids) else np.zeros((0, 1), np.float32), ids, kind=self.kind)
        persons = {p.id: p for p in self.watchlist.list_persons(now=now)}
        owner = {k: v for k, v in self.watchlist.photo_owner().items() if v in persons}
        with self._lock:
            self._index, self._owner, self._persons = index, owner, persons
        logger.info("face gallery: %d templates of %d persons (%s index)", len(ids), len(persons), index.kind)
        others = {m: n for m, n in self.watchlist.templates_per_model().items() if m != self.model_id}
        if others:  # templates of another embedding are never compared with this one's: re-enrol
            logger.warning("face gallery: %d templates were made by other embedding models (%s) and are not "
                           "searched with %s; enrol those photos again", sum(others.values()),
                           ", ".join(sorted(others)), self.model_id)

    def __len__(self) -> int:
        return len(self._index)

    def search(self, vector: npt.NDArray[np.float32], k: int = 5) -> list[GalleryHit]:
        """The nearest templates of active persons, nearest first, one hit per person."""
        now = self.clock()
        with self._lock:
            dist, ids = self._index.search(vector[None], k)
            hits: list[GalleryHit] = []
            seen: set[int] = set()
            for d, pid in zip(dist[0], ids[0], strict=True):
                person_id = self._owner.get(int(pid))
                if person_id is None or person_id in seen:
                    continue
                person = self._persons.get(person_id)
                if person is None or not person.active(now):
                    continue
                seen.add(person_id)
                hits.append(GalleryHit(person_id=person_id, photo_id=int(pid), distance=float(d)))
        return hits

    def describe(self, person_id: int) -> dict[str, object]:
        """What a lead alert says about the reference person (no biometric data)."""
        p = self._persons[person_id]
        return {"person_id": p.id, "person_name": p.name, "notice": p.notice.value, "reason": p.reason,
                "legal_basis": p.legal_basis, "agency": p.agency, "expires_at": p.expires_at.isoformat()}

    def reference_jpeg_b64(self, photo_id: int, max_side: int = 320) -> str | None:
        """The reference photo, reduced to ``max_side`` pixels, as base64 JPEG (shown next to the probe)."""
        data = self.watchlist.reference_photo(photo_id)
        if data is None:
            return None
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            return None
        scale = min(1.0, max_side / max(img.shape[:2]))
        if scale < 1.0:
            img = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                             interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        return base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else None
