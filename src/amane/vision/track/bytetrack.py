"""ByteTrack (Zhang et al., ECCV 2022): Kalman prediction, two-stage IoU association, a lost-track buffer.

High-score detections are matched first; the low-score ones then rescue tracks that an occlusion or
motion blur made faint, instead of being thrown away. A new track gets its public id only once it is
confirmed (matched on a second frame), so ids are dense and never reused. Ended tracks (lost for
longer than ``lost_track_s``) are reported once by :meth:`ByteTracker.pop_ended`, so a recogniser
can conclude a pass.

>>> from datetime import datetime, timedelta, timezone
>>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> tracker = ByteTracker(ByteTrackConfig())
>>> ids = []
>>> for i in range(5):
...     d = Detections(np.array([[10.0 + 5 * i, 10, 50 + 5 * i, 90]]), np.array([0.9]))
...     ids.append(tracker.update(d, t0 + timedelta(seconds=i / 10)).tracker_id.tolist())
>>> ids   # confirmed (and given an id) on its second frame
[[], [1], [1], [1], [1]]
>>> _ = tracker.update(Detections.empty(), t0 + timedelta(seconds=5))
>>> tracker.pop_ended(), tracker.pop_ended()
([1], [])
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import lap
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.core.detections import Detections, box_iou
from amane.vision.track.kalman import KalmanBoxFilter, xyah_to_xyxy, xyxy_to_xyah

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


class ByteTrackConfig(BaseModel):
    """ByteTrack settings (defaults from the paper, the lost buffer in seconds rather than frames)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["bytetrack"] = "bytetrack"
    high_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Detections at or above this score are matched first and may start tracks.",
    )
    low_threshold: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Detections between this and "
        "high_threshold only continue existing tracks (second association).",
    )
    new_track_threshold: float = Field(0.6, ge=0.0, le=1.0, description="Score needed to start a new track.")
    match_iou: float = Field(
        0.2, gt=0.0, le=1.0, description="Minimum IoU (score-fused) for the first association."
    )
    low_match_iou: float = Field(
        0.5, gt=0.0, le=1.0, description="Minimum IoU for the second association (low-score detections)."
    )
    unconfirmed_match_iou: float = Field(
        0.3, gt=0.0, le=1.0, description="Minimum IoU to confirm a track seen on one frame."
    )
    lost_track_s: float = Field(
        1.5, gt=0.0, le=60.0, description="How long a lost track may be re-found before it ends (seconds)."
    )
    class_aware: bool = Field(
        False,
        description="Only match detections of the track's class (off: a "
        "car/truck label flicker does not break the track).",
    )
    frame_rate: float = Field(
        15.0,
        gt=0.0,
        le=240.0,
        description="The analysed frame rate the motion model is tuned for; when frames come at other "
        "intervals (dropped under load, another camera rate) the prediction scales by the real time "
        "elapsed, so velocities stay right.",
    )
    fuse_score: bool = Field(True, description="Weight IoU by detection score in the first association.")


class TrackState(enum.Enum):
    """Life cycle of a track."""

    NEW = "new"
    TRACKED = "tracked"
    LOST = "lost"
    REMOVED = "removed"


@dataclass
class Track:
    """One tracked object (internal state; the public view is the ``tracker_id`` on detections)."""

    mean: FloatArray
    covariance: FloatArray
    score: float
    class_votes: dict[int, float]
    last_seen: datetime
    started: datetime
    state: TrackState = TrackState.NEW
    track_id: int = -1
    hits: int = 1
    detection_index: int = -1
    """Index, in the current update's detections, of the detection this track matched (-1: none)."""
    history: list[int] = field(default_factory=list)

    @property
    def xyxy(self) -> FloatArray:
        """The filter's current box."""
        return xyah_to_xyxy(self.mean)

    @property
    def class_id(self) -> int:
        """The class this track was most often (score-weighted) detected as."""
        return max(self.class_votes, key=lambda c: self.class_votes[c])


def _iou_cost(
    tracks: list[Track], boxes: FloatArray, scores: FloatArray | None, classes: npt.NDArray[np.int64] | None
) -> FloatArray:
    if not tracks or len(boxes) == 0:
        return np.ones((len(tracks), len(boxes)))
    iou = box_iou(np.stack([t.xyxy for t in tracks]), boxes)
    if scores is not None:
        iou = iou * scores[None, :]
    if classes is not None:
        track_classes = np.array([t.class_id for t in tracks])
        iou = np.where(track_classes[:, None] == classes[None, :], iou, 0.0)
    cost: FloatArray = 1.0 - iou
    return cost


def linear_assignment(
    cost: FloatArray, max_cost: float
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Minimum-cost matching with a cost cap: (matches, unmatched rows, unmatched columns).

    >>> linear_assignment(np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]]), 0.6)
    ([(0, 0), (1, 1)], [2], [])
    """
    rows, cols = cost.shape
    if rows == 0 or cols == 0:
        return [], list(range(rows)), list(range(cols))
    _, row_to_col, col_to_row = lap.lapjv(cost, extend_cost=True, cost_limit=max_cost)
    matches = [(r, int(c)) for r, c in enumerate(row_to_col) if c >= 0]
    return (
        matches,
        [r for r, c in enumerate(row_to_col) if c < 0],
        [c for c, r in enumerate(col_to_row) if r < 0],
    )


class ByteTracker:
    """ByteTrack for one camera. ``update`` per analysed frame; ``pop_ended`` after it.

    ``next_id`` hands out public track ids; share one between the trackers of a unit's cameras so
    that ids are unique across the unit (recognisers key their state by track id alone).
    """

    def __init__(
        self, config: ByteTrackConfig | None = None, next_id: Callable[[], int] | None = None
    ) -> None:
        self.config = config or ByteTrackConfig()
        if self.config.low_threshold > self.config.high_threshold:
            raise ValueError(
                f"low_threshold ({self.config.low_threshold}) must not exceed high_threshold "
                f"({self.config.high_threshold})"
            )
        counter = itertools.count(1)
        self._next_id = next_id or (lambda: next(counter))
        self._kf = KalmanBoxFilter()
        self._tracks: list[Track] = []
        self._ended: list[int] = []
        self._last_at: datetime | None = None

    @property
    def active_ids(self) -> list[int]:
        """Public ids of confirmed tracks that have not ended (tracked or lost)."""
        return [t.track_id for t in self._tracks if t.track_id >= 0]

    def update(self, detections: Detections, at: datetime) -> Detections:
        """Associate this frame's detections with the tracks; return the tracked ones with ``tracker_id`` set.

        Detections that start an unconfirmed track, or match nothing, are not returned.
        """
        cfg = self.config
        steps = 1.0
        if self._last_at is not None:
            elapsed = (at - self._last_at).total_seconds()
            steps = min(max(elapsed * cfg.frame_rate, 0.05), 30.0)
        self._last_at = at
        for track in self._tracks:
            track.mean, track.covariance = self._kf.predict(track.mean, track.covariance, steps)
            track.detection_index = -1
        boxes, scores, classes = detections.xyxy, detections.confidence, detections.class_id
        high = np.flatnonzero(scores >= cfg.high_threshold)
        low = np.flatnonzero((scores >= cfg.low_threshold) & (scores < cfg.high_threshold))
        class_filter = classes if cfg.class_aware else None

        confirmed = [t for t in self._tracks if t.state in (TrackState.TRACKED, TrackState.LOST)]
        unconfirmed = [t for t in self._tracks if t.state is TrackState.NEW]

        # 1. confirmed tracks (tracked and lost) against high-score detections
        cost = _iou_cost(
            confirmed,
            boxes[high],
            scores[high] if cfg.fuse_score else None,
            None if class_filter is None else class_filter[high],
        )
        matches, rest_tracks, rest_high = linear_assignment(cost, 1.0 - cfg.match_iou)
        for ti, di in matches:
            self._match(confirmed[ti], int(high[di]), detections, at)

        # 2. tracks still in view but unmatched, against low-score detections
        remaining = [confirmed[i] for i in rest_tracks if confirmed[i].state is TrackState.TRACKED]
        cost = _iou_cost(remaining, boxes[low], None, None if class_filter is None else class_filter[low])
        matches, rest_low_tracks, _ = linear_assignment(cost, 1.0 - cfg.low_match_iou)
        for ti, di in matches:
            self._match(remaining[ti], int(low[di]), detections, at)
        for ti in rest_low_tracks:
            remaining[ti].state = TrackState.LOST

        # 3. unconfirmed tracks against the high-score detections left
        left_high = high[rest_high]
        cost = _iou_cost(
            unconfirmed,
            boxes[left_high],
            scores[left_high] if cfg.fuse_score else None,
            None if class_filter is None else class_filter[left_high],
        )
        matches, rest_unconfirmed, rest_new = linear_assignment(cost, 1.0 - cfg.unconfirmed_match_iou)
        for ti, di in matches:
            self._match(unconfirmed[ti], int(left_high[di]), detections, at)
        for ti in rest_unconfirmed:
            unconfirmed[ti].state = TrackState.REMOVED

        # 4. new tracks from confident detections nobody claimed
        for di in left_high[rest_new]:
            if scores[di] >= cfg.new_track_threshold:
                self._start(int(di), detections, at)

        self._expire(at)
        self._remove_duplicates()
        return self._output(detections)

    def pop_ended(self) -> list[int]:
        """Ids of confirmed tracks that ended since the last call (each reported once)."""
        ended, self._ended = self._ended, []
        return ended

    def end_all(self) -> list[int]:
        """End every track now (the source finished) and return all ended ids not yet popped."""
        for track in self._tracks:
            if track.track_id >= 0:
                self._ended.append(track.track_id)
        self._tracks = []
        return self.pop_ended()

    def tracks(self) -> Iterator[Track]:
        """The confirmed tracks (tracked and lost), for inspection."""
        return (t for t in self._tracks if t.track_id >= 0)

    def _match(self, track: Track, index: int, detections: Detections, at: datetime) -> None:
        measurement = xyxy_to_xyah(detections.xyxy[index])
        track.mean, track.covariance = self._kf.update(track.mean, track.covariance, measurement)
        score = float(detections.confidence[index])
        track.score = score
        cls = int(detections.class_id[index])
        track.class_votes[cls] = track.class_votes.get(cls, 0.0) + score
        track.last_seen = at
        track.hits += 1
        track.detection_index = index
        if track.state is TrackState.NEW:
            track.track_id = self._next_id()
        track.state = TrackState.TRACKED

    def _start(self, index: int, detections: Detections, at: datetime) -> None:
        mean, cov = self._kf.initiate(xyxy_to_xyah(detections.xyxy[index]))
        score = float(detections.confidence[index])
        track = Track(mean, cov, score, {int(detections.class_id[index]): score}, at, at)
        self._tracks.append(track)

    def _expire(self, at: datetime) -> None:
        for track in self._tracks:
            if (
                track.state is TrackState.LOST
                and (at - track.last_seen).total_seconds() > self.config.lost_track_s
            ):
                track.state = TrackState.REMOVED
        self._sweep()

    def _sweep(self) -> None:
        kept: list[Track] = []
        for track in self._tracks:
            if track.state is TrackState.REMOVED:
                if track.track_id >= 0:
                    self._ended.append(track.track_id)
                continue
            kept.append(track)
        self._tracks = kept

    def _remove_duplicates(self) -> None:
        """A lost track that overlaps a tracked one almost entirely is the same object: keep the older."""
        tracked = [t for t in self._tracks if t.state is TrackState.TRACKED]
        lost = [t for t in self._tracks if t.state is TrackState.LOST]
        if not tracked or not lost:
            return
        iou = box_iou(np.stack([t.xyxy for t in tracked]), np.stack([t.xyxy for t in lost]))
        drop: set[int] = set()
        for i, j in zip(*np.nonzero(iou > 0.85), strict=True):
            a, b = tracked[int(i)], lost[int(j)]
            younger = a if a.started > b.started else b
            if younger is a:
                continue  # never drop the track that matched this frame
            drop.add(id(younger))
        for track in self._tracks:
            if id(track) in drop:
                track.state = TrackState.REMOVED
        self._sweep()

    def _output(self, detections: Detections) -> Detections:
        matched = [t for t in self._tracks if t.state is TrackState.TRACKED and t.detection_index >= 0]
        if not matched:
            return detections[np.zeros(0, dtype=np.int64)]
        index = np.array([t.detection_index for t in matched], dtype=np.int64)
        out = detections[index]
        return Detections(
            out.xyxy,
            out.confidence,
            np.array([t.class_id for t in matched]),
            np.array([t.track_id for t in matched]),
            dict(out.data),
        )
