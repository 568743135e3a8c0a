"""Track-quality figures without ground-truth identities: how many tracks, how long, how fragmented.

A *fragmentation* is a track that starts in the middle of the scene, away from the image border,
close (in space and time) to where another track has just ended: almost always the same object
re-acquired under a new id, i.e. an id switch a viewer would see. An id *reuse* (an id seen again after
its track ended) must never happen.

>>> log = TrackLog()
>>> for f in range(10):
...     log.add(f, Detections(np.array([[100.0 + f, 100, 140 + f, 200]]), tracker_id=np.array([1])))
>>> for f in range(12, 20):
...     log.add(f, Detections(np.array([[112.0 + f, 100, 152 + f, 200]]), tracker_id=np.array([2])))
>>> s = summarize(log, image_size=(854, 480), fps=24.0)
>>> s.tracks, s.fragmentations, s.reused_ids
(2, 1, 0)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from amane.core.detections import Detections

FloatArray = npt.NDArray[np.float64]


@dataclass
class TrackSpan:
    """Where and when one track id was seen."""

    first_frame: int
    last_frame: int
    first_box: tuple[float, float, float, float]
    last_box: tuple[float, float, float, float]
    frames: int = 1
    gaps_after_end: int = 0
    """Frames in which the id reappeared after it had been reported ended (must stay 0)."""


@dataclass
class TrackLog:
    """The tracker's output over a sequence, frame by frame."""

    spans: dict[int, TrackSpan] = field(default_factory=dict)
    ended: set[int] = field(default_factory=set)
    frames: int = 0

    def add(self, frame: int, tracked: Detections, ended: list[int] | None = None) -> None:
        """Record frame ``frame``'s tracked detections and the ids the tracker reported ended."""
        self.frames = max(self.frames, frame + 1)
        for box, tid in zip(tracked.xyxy, tracked.tracker_id, strict=True):
            t = int(tid)
            if t < 0:
                continue
            b = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
            span = self.spans.get(t)
            if span is None:
                self.spans[t] = TrackSpan(frame, frame, b, b)
                continue
            if t in self.ended:
                span.gaps_after_end += 1
            span.last_frame, span.last_box = frame, b
            span.frames += 1
        self.ended.update(ended or [])


@dataclass(frozen=True)
class TrackSummary:
    """Figures over a whole sequence."""

    tracks: int
    long_tracks: int
    """Tracks seen for at least one second."""
    fragmentations: int
    reused_ids: int
    mean_track_s: float

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return asdict(self)


def _near_border(box: tuple[float, float, float, float], size: tuple[int, int], margin: float) -> bool:
    w, h = size
    return (
        box[0] < margin * w or box[1] < margin * h or box[2] > (1 - margin) * w or box[3] > (1 - margin) * h
    )


def summarize(
    log: TrackLog, image_size: tuple[int, int], fps: float, max_gap_s: float = 2.0, border: float = 0.03
) -> TrackSummary:
    """Count tracks, long tracks, fragmentations and reused ids in ``log``."""
    spans = list(log.spans.values())
    fragmentations = 0
    for span in spans:
        if span.first_frame == 0 or _near_border(span.first_box, image_size, border):
            continue  # there from the start, or walked in
        x1, y1, x2, y2 = span.first_box
        centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
        reach = max(x2 - x1, y2 - y1) * 1.5
        for other in spans:
            gap = span.first_frame - other.last_frame
            if other is span or not 0 < gap <= max_gap_s * fps:
                continue
            ox1, oy1, ox2, oy2 = other.last_box
            if np.linalg.norm(centre - np.array([(ox1 + ox2) / 2, (oy1 + oy2) / 2])) <= reach:
                fragmentations += 1
                break
    lengths = [s.frames for s in spans]
    return TrackSummary(
        tracks=len(spans),
        long_tracks=sum(1 for n in lengths if n >= fps),
        fragmentations=fragmentations,
        reused_ids=sum(1 for s in spans if s.gaps_after_end),
        mean_track_s=float(np.mean(lengths) / fps) if lengths else 0.0,
    )


def load_frame_detections(path: Path, classes: set[int] | None = None) -> dict[int, Detections]:
    """Per-frame detections from JSON ``{"1": [{"tlbr": [x1, y1, x2, y2], "score": s, "class_id": c}]}``.

    Frame keys become 0-based frame numbers (key "1" is frame 0).
    """
    raw = json.loads(path.read_text())
    out: dict[int, Detections] = {}
    for key, rows in raw.items():
        kept = [r for r in rows if classes is None or int(r["class_id"]) in classes]
        out[int(key) - 1] = Detections(
            np.array([r["tlbr"] for r in kept], dtype=np.float64).reshape(-1, 4),
            np.array([r["score"] for r in kept], dtype=np.float64),
            np.array([r["class_id"] for r in kept], dtype=np.int64),
        )
    return out


@dataclass(frozen=True)
class MotScore:
    """CLEAR-MOT figures against ground truth (Bernardin & Stiefelhagen 2008), IoU matching."""

    objects: int
    """Ground-truth boxes over all frames."""
    matched: int
    false_positives: int
    misses: int
    id_switches: int
    mota: float
    recall: float
    precision: float

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return asdict(self)


def clear_mot(
    truth: dict[int, tuple[list[int], FloatArray]], tracked: dict[int, Detections], iou_threshold: float = 0.5
) -> MotScore:
    """Score tracked boxes against ground truth: ``truth[frame] = (object ids, (N, 4) boxes)``.

    A ground-truth object keeps its previous track if that track still overlaps it enough; otherwise
    boxes are matched by maximum IoU (Hungarian). A change of track id for an object counts as an
    id switch.

    >>> truth = {f: ([7], np.array([[10.0 + f, 0, 50 + f, 80]])) for f in range(4)}
    >>> ids = [1, 1, 2, 2]   # the tracker lost the object once and gave it a new id
    >>> tracked = {f: Detections(truth[f][1], tracker_id=np.array([ids[f]])) for f in range(4)}
    >>> s = clear_mot(truth, tracked)
    >>> s.matched, s.id_switches, s.misses, s.false_positives, s.mota
    (4, 1, 0, 0, 0.75)
    """
    from scipy.optimize import linear_sum_assignment

    from amane.core.detections import box_iou

    last: dict[int, int] = {}
    objects = matched = fps = misses = switches = 0
    for frame in sorted(set(truth) | set(tracked)):
        gt_ids, gt_boxes = truth.get(frame, ([], np.zeros((0, 4))))
        found = tracked.get(frame, Detections.empty())
        objects += len(gt_ids)
        iou = box_iou(np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4), found.xyxy)
        pairs: dict[int, int] = {}
        # keep last frame's correspondences that still hold
        for g, oid in enumerate(gt_ids):
            prev = last.get(oid)
            if prev is None:
                continue
            hits = np.flatnonzero((found.tracker_id == prev) & (iou[g] >= iou_threshold))
            if len(hits) and int(hits[0]) not in pairs.values():
                pairs[g] = int(hits[0])
        free_g = [g for g in range(len(gt_ids)) if g not in pairs]
        free_t = [t for t in range(len(found)) if t not in pairs.values()]
        if free_g and free_t:
            sub = iou[np.ix_(free_g, free_t)]
            rows, cols = linear_sum_assignment(-sub)
            for r, c in zip(rows, cols, strict=True):
                if sub[r, c] >= iou_threshold:
                    pairs[free_g[r]] = free_t[c]
        for g, t in pairs.items():
            oid, tid = gt_ids[g], int(found.tracker_id[t])
            if oid in last and last[oid] != tid:
                switches += 1
            last[oid] = tid
        matched += len(pairs)
        misses += len(gt_ids) - len(pairs)
        fps += len(found) - len(pairs)
    mota = 1.0 - (misses + fps + switches) / objects if objects else 0.0
    return MotScore(
        objects,
        matched,
        fps,
        misses,
        switches,
        mota,
        matched / max(objects, 1),
        matched / max(matched + fps, 1),
    )
