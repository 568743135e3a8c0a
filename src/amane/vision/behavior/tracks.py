"""Per-camera track memory for the rules: history, ground positions, velocity and id stitching.

Trackers lose people behind a pillar and give them a new id when they reappear. The rules
reason about *identities*: a new tracker id that appears close to where an identity of the
same kind vanished a moment ago is taken to be that identity again (re-association), so a
loiterer's clock does not restart after an id switch.

>>> book = TrackBook(StitchConfig(), calibration=None)
>>> d = Detections(xyxy=np.array([[0.0, 0, 10, 40]]), class_id=np.array([0]), tracker_id=np.array([7]))
>>> [t.identity for t in book.update(d, 0.0)]
[7]
>>> moved = Detections(xyxy=np.array([[2.0, 0, 12, 40]]), class_id=np.array([0]), tracker_id=np.array([9]))
>>> _ = book.update(Detections.empty(), 0.1)
>>> [(t.identity, t.raw_ids) for t in book.update(moved, 0.5)]
[(7, [7, 9])]
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.core.detections import Detections, FloatArray
from amane.vision.behavior.calibration import GroundCalibration

logger = logging.getLogger(__name__)

PERSON = 0
VEHICLES = frozenset({1, 2, 3, 5, 7})
"""COCO bicycle, car, motorcycle, bus, truck."""
BAGS = frozenset({24, 26, 28})
"""COCO backpack, handbag, suitcase."""


def kind_of(class_id: int) -> str:
    """The coarse kind used for re-association: person, vehicle, bag or other.

    >>> [kind_of(c) for c in (0, 2, 28, 13)]
    ['person', 'vehicle', 'bag', 'other']
    """
    if class_id == PERSON:
        return "person"
    if class_id in VEHICLES:
        return "vehicle"
    if class_id in BAGS:
        return "bag"
    return "other"


class StitchConfig(BaseModel):
    """How lost identities are re-associated with new tracker ids, and how long they are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_gap_s: float = Field(
        default=2.0,
        ge=0.0,
        le=30.0,
        description="A new id can continue an identity lost at most this long ago",
    )
    max_distance_m: float = Field(
        default=1.5,
        gt=0.0,
        le=20.0,
        description="Largest ground distance between where an identity vanished "
        "and where the new id appeared (with a calibration)",
    )
    max_distance_heights: float = Field(
        default=0.8, gt=0.0, le=10.0, description="Same without calibration, in box heights"
    )
    forget_s: float = Field(
        default=5.0, ge=0.5, le=600.0, description="An identity unseen this long is forgotten"
    )
    history_s: float = Field(
        default=6.0, ge=1.0, le=120.0, description="Seconds of samples kept per identity"
    )
    max_height_rate: float = Field(
        default=1.5,
        gt=0.0,
        le=20.0,
        description="A box whose height changes faster than this (|d ln h / dt|, per "
        "second, over 0.1 s) is being cut or merged, not moving: no "
        "velocity is measured across it",
    )
    border_px: float = Field(
        default=2.0,
        ge=0.0,
        le=50.0,
        description="Boxes this close to the image edge have no reliable foot point",
    )


@dataclass
class TrackState:
    """One identity: its samples over the last ``history_s`` seconds."""

    identity: int
    class_id: int
    first_seen: float
    raw_ids: list[int] = field(default_factory=list)
    times: deque[float] = field(default_factory=deque)
    boxes: deque[FloatArray] = field(default_factory=deque)
    grounds: deque[FloatArray] = field(default_factory=deque)
    raws: deque[int] = field(default_factory=deque)
    """The tracker id of each sample."""
    confidence: float = 0.0
    last_seen: float = 0.0
    max_height_rate: float = 1.5
    """See :attr:`StitchConfig.max_height_rate`."""
    _vel_cache: dict[float, FloatArray | None] = field(default_factory=dict)

    @property
    def box(self) -> FloatArray:
        """The latest box (x1, y1, x2, y2)."""
        return self.boxes[-1]

    @property
    def foot(self) -> FloatArray:
        """Bottom centre of the latest box, pixels."""
        b = self.boxes[-1]
        return np.array([(b[0] + b[2]) / 2, b[3]])

    @property
    def ground(self) -> FloatArray:
        """Latest ground position in metres (NaN without calibration)."""
        return self.grounds[-1]

    def add(
        self, t: float, box: FloatArray, ground: FloatArray, raw_id: int, confidence: float, history_s: float
    ) -> None:
        """Append a sample and drop those older than ``history_s``."""
        if raw_id not in self.raw_ids:
            self.raw_ids.append(raw_id)
        self.times.append(t)
        self.boxes.append(box)
        self.grounds.append(ground)
        self.raws.append(raw_id)
        self.last_seen = t
        self.confidence = confidence
        while self.times and self.times[0] < t - history_s:
            self.times.popleft()
            self.boxes.popleft()
            self.grounds.popleft()
            self.raws.popleft()
        self._vel_cache.clear()

    def samples_since(self, t0: float) -> int:
        """Index of the first sample at or after ``t0``."""
        i = len(self.times)
        while i > 0 and self.times[i - 1] >= t0:
            i -= 1
        return i

    def velocity(self, window_s: float, max_gap_s: float = 0.6) -> FloatArray | None:
        """Ground velocity (vx, vy) m/s: least-squares slope of the positions over the last ``window_s``.

        ``None`` when the window holds fewer than 3 samples, covers less than half of ``window_s``,
        or has a gap longer than ``max_gap_s`` (speed across a long occlusion is a guess), or the box
        height jumps (``max_height_rate``: legs hidden by an obstacle move the foot point, not the person).
        Only samples of the current tracker id count: a wrong re-association must not look like a sprint.
        """
        if window_s in self._vel_cache:
            return self._vel_cache[window_s]
        result = _slope(self, window_s, max_gap_s, self.max_height_rate)
        self._vel_cache[window_s] = result
        return result

    def speed(self, window_s: float) -> float | None:
        """Ground speed in m/s (see :meth:`velocity`)."""
        v = self.velocity(window_s)
        return None if v is None else float(np.hypot(v[0], v[1]))


def _at_border(box: FloatArray, size: tuple[int, int], margin: float) -> bool:
    w, h = size
    return bool(box[0] <= margin or box[2] >= w - 1 - margin or box[3] >= h - 1 - margin)


def _slope(track: TrackState, window_s: float, max_gap_s: float, max_height_rate: float) -> FloatArray | None:
    # Plain Python on purpose: a window holds a dozen samples, where numpy's call overhead dominates.
    now = track.times[-1]
    i = track.samples_since(now - window_s)
    while i < len(track.raws) - 1 and track.raws[i] != track.raws[-1]:
        i += 1  # only the current tracker id: a wrong re-association must not look like a sprint
    n = len(track.times) - i
    if n < 3:
        return None
    ts = [track.times[k] for k in range(i, len(track.times))]
    if ts[-1] - ts[0] < window_s / 2 or max(b - a for a, b in itertools.pairwise(ts)) > max_gap_s:
        return None
    gs = [track.grounds[k] for k in range(i, len(track.grounds))]
    xs, ys = [float(g[0]) for g in gs], [float(g[1]) for g in gs]
    if any(math.isnan(v) for v in xs + ys):
        return None
    log_h = [
        math.log(max(float(b[3] - b[1]), 1.0)) for b in (track.boxes[k] for k in range(i, len(track.boxes)))
    ]
    back = 0
    for k in range(1, n):
        while back + 1 < k and ts[k] - ts[back + 1] >= 0.1:
            back += 1
        dt = ts[k] - ts[back]
        if dt >= 0.1 and abs(log_h[k] - log_h[back]) / dt > max_height_rate:
            return None
    tm, xm, ym = sum(ts) / n, sum(xs) / n, sum(ys) / n
    var = sum((t - tm) ** 2 for t in ts)
    vx = sum((t - tm) * (x - xm) for t, x in zip(ts, xs, strict=True)) / var
    vy = sum((t - tm) * (y - ym) for t, y in zip(ts, ys, strict=True)) / var
    return np.array([vx, vy])


class TrackBook:
    """All identities of one camera, updated frame by frame."""

    def __init__(self, config: StitchConfig, calibration: GroundCalibration | None) -> None:
        self.config = config
        self.calibration = calibration
        self.tracks: dict[int, TrackState] = {}
        self._raw_to_identity: dict[int, int] = {}
        self.now = 0.0

    def update(
        self, dets: Detections, t: float, image_size: tuple[int, int] | None = None
    ) -> list[TrackState]:
        """Add one frame of tracked detections (``tracker_id`` >= 0); return the identities seen now.

        ``image_size`` (width, height) lets boxes cut by the image edge be recognised (no ground position).
        """
        self.now = t
        dets = dets[dets.tracker_id >= 0]
        feet = np.c_[(dets.xyxy[:, 0] + dets.xyxy[:, 2]) / 2, dets.xyxy[:, 3]]
        grounds = self._to_ground(feet)
        seen: list[TrackState] = []
        claimed: set[int] = set()
        order = sorted(range(len(dets)), key=lambda k: int(dets.tracker_id[k]) not in self._raw_to_identity)
        for k in order:
            raw = int(dets.tracker_id[k])
            box = dets.xyxy[k].copy()
            track = self._identity_for(raw, int(dets.class_id[k]), box, grounds[k], t, claimed)
            claimed.add(track.identity)
            ground = grounds[k]
            if image_size is not None and _at_border(box, image_size, self.config.border_px):
                ground = np.full(2, np.nan)
            track.add(t, box, ground, raw, float(dets.confidence[k]), self.config.history_s)
            seen.append(track)
        self._forget(t)
        return sorted(seen, key=lambda s: s.identity)

    def _to_ground(self, feet: FloatArray) -> FloatArray:
        if self.calibration is None:
            return np.full((len(feet), 2), np.nan)
        return self.calibration.to_ground(feet)

    def _identity_for(
        self, raw: int, class_id: int, box: FloatArray, ground: FloatArray, t: float, claimed: set[int]
    ) -> TrackState:
        ident = self._raw_to_identity.get(raw)
        if ident is not None and ident in self.tracks and ident not in claimed:
            return self.tracks[ident]
        lost = self._nearest_lost(class_id, box, ground, t, claimed)
        if lost is not None:
            logger.debug("re-associated tracker id %s with identity %s", raw, lost.identity)
            self._raw_to_identity[raw] = lost.identity
            return lost
        ident = raw if raw not in self.tracks else max(self.tracks) + 1_000_000
        self._raw_to_identity[raw] = ident
        track = TrackState(
            identity=ident,
            class_id=class_id,
            first_seen=t,
            max_height_rate=self.config.max_height_rate if class_id == PERSON else math.inf,
        )
        self.tracks[ident] = track
        return track

    def _nearest_lost(
        self, class_id: int, box: FloatArray, ground: FloatArray, t: float, claimed: set[int]
    ) -> TrackState | None:
        best: TrackState | None = None
        best_d = np.inf
        kind = kind_of(class_id)
        height = max(box[3] - box[1], 1.0)
        foot = np.array([(box[0] + box[2]) / 2, box[3]])
        for track in self.tracks.values():
            gap = t - track.last_seen
            if track.identity in claimed or gap <= 0 or gap > self.config.max_gap_s:
                continue
            if kind_of(track.class_id) != kind:
                continue
            if not np.isnan(ground).any() and not np.isnan(track.ground).any():
                v = track.velocity(1.0)  # where it would be now, had it kept walking
                predicted = track.ground if v is None else track.ground + v * gap
                d = float(np.linalg.norm(ground - predicted)) / self.config.max_distance_m
            else:
                d = float(np.linalg.norm(foot - track.foot)) / (self.config.max_distance_heights * height)
            if d <= 1.0 and d < best_d:
                best, best_d = track, d
        return best

    def _forget(self, t: float) -> None:
        gone = [i for i, s in self.tracks.items() if t - s.last_seen > self.config.forget_s]
        for ident in gone:
            for raw in self.tracks[ident].raw_ids:
                self._raw_to_identity.pop(raw, None)
            del self.tracks[ident]
