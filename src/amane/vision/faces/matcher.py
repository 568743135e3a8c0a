"""Open-set matching of a track's faces against a gallery, aggregated over the track.

Most faces a patrol car sees belong to nobody on the list, so the decision is open-set: the best
gallery hit must lie within the threshold, else there is no match (no "nearest person" is ever
reported). A track's evidence is aggregated over its best few faces: the ``top_k`` faces of highest
quality are kept (nothing else), and their embeddings averaged; averaging cancels per-frame noise
(blur, expression, compression) much as test-time views do for one photo.

>>> agg = TrackFaces(top_k=2)
>>> for q, v in [(0.2, [1.0, 0.0]), (0.9, [0.0, 1.0]), (0.8, [0.0, 0.8])]:
...     agg.add(np.array(v, np.float32), q, chip=np.zeros((2, 2, 3), np.uint8))
>>> [round(float(x), 3) for x in agg.aggregate()], len(agg)
([0.0, 0.9], 2)
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from amane.vision.faces.types import FloatArray, Image


@dataclass(frozen=True)
class GalleryHit:
    """One gallery template near a probe."""

    person_id: int
    photo_id: int
    distance: float


class Gallery(Protocol):
    """What the matcher needs of a watchlist: nearest templates, one hit per person."""

    def search(self, vector: FloatArray, k: int = 5) -> list[GalleryHit]:
        """Nearest templates of persons that may match now, nearest first."""
        ...

    def describe(self, person_id: int) -> dict[str, object]:
        """Reference person fields for the alert (name, notice, reason, legal basis, agency)."""
        ...

    def reference_jpeg_b64(self, photo_id: int) -> str | None:
        """The reference photo for the reviewer."""
        ...


@dataclass(order=True)
class _Kept:
    quality: float
    seq: int
    embedding: FloatArray = field(compare=False)
    chip: Image = field(compare=False)
    crop: Image | None = field(compare=False, default=None)


class TrackFaces:
    """The ``top_k`` best-quality faces of one track (a bounded min-heap on quality)."""

    def __init__(self, top_k: int = 3) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        self.top_k = top_k
        self._heap: list[_Kept] = []
        self._seq = itertools.count()
        self.seen = 0
        self.alerted = False

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, embedding: FloatArray, quality: float, *, chip: Image, crop: Image | None = None) -> None:
        """Offer a face; it is kept only if it is among the ``top_k`` best so far."""
        self.seen += 1
        item = _Kept(quality, next(self._seq), embedding, chip, crop)
        if len(self._heap) < self.top_k:
            heapq.heappush(self._heap, item)
        elif quality > self._heap[0].quality:
            heapq.heapreplace(self._heap, item)

    def aggregate(self) -> FloatArray:
        """Mean embedding of the kept faces."""
        if not self._heap:
            raise ValueError("no faces kept")
        return np.asarray(np.mean([k.embedding for k in self._heap], axis=0), np.float32)

    def best(self) -> _Kept:
        """The kept face of highest quality (its chip and crop go into the alert)."""
        return max(self._heap)


@dataclass(frozen=True)
class MatchDecision:
    """The outcome for one probe: ``hit`` is None when nothing lies within the threshold."""

    hit: GalleryHit | None
    threshold: float
    runner_up: GalleryHit | None = None


def decide(hits: list[GalleryHit], threshold: float) -> MatchDecision:
    """Open-set decision on a nearest-first hit list.

    >>> decide([GalleryHit(1, 10, 0.4), GalleryHit(2, 20, 0.5)], 0.56).hit.person_id
    1
    >>> decide([GalleryHit(1, 10, 0.7)], 0.56).hit is None
    True
    """
    if not hits or hits[0].distance >= threshold:
        return MatchDecision(None, threshold, hits[0] if hits else None)
    return MatchDecision(hits[0], threshold, hits[1] if len(hits) > 1 else None)
