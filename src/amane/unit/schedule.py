"""Per-track scheduling: keep each track's best crops, hand recognisers the best one now and then.

Expensive recognition (plate OCR, face embedding) must not run on every frame of every track. For each
track the book keeps the ``best_crops`` best sightings by quality (box area times sharpness), and says
when to recognise: once the track has been seen ``min_track_frames`` times, then at most every
``every_frames`` frames *if* a better sighting arrived since the last hand-over; when the track ends,
its best sightings not yet handed over go once more.

A kept sighting stores the box's surroundings (a small copy); the track's best sighting also holds its
frame by reference (frames are never modified; tracks seen in the same frame share it), for the evidence
snapshot. Memory stays bounded however long a track lives.

>>> book = TrackBook(every_frames=3, best_crops=2, min_track_frames=1, min_crop_px=4)
>>> frame = np.zeros((100, 100, 3), np.uint8); frame[20:60, 20:40] = 255
>>> at = datetime(2026, 1, 1, tzinfo=UTC)
>>> [len(book.offer(7, "cam", 0, (20.0, 20.0, 40.0, 60.0), frame, at, None)) for _ in range(4)]
[1, 0, 0, 0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.recognize import TrackObservation

Image = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]

_ = UTC  # for the doctest namespace


def sharpness(crop: Image) -> float:
    """Variance of the Laplacian of a grey, at most 64 px tall copy of ``crop`` (blurred crops score low).

    >>> flat = np.full((40, 40, 3), 128, np.uint8); edgy = flat.copy(); edgy[:, ::4] = 0
    >>> sharpness(flat) < sharpness(edgy)
    True
    """
    if crop.size == 0:
        return 0.0
    step = -(-crop.shape[0] // 64)  # every step-th pixel: at most 64 rows, no resampling cost
    if step > 1:
        crop = crop[::step, ::step]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


def quality(box: Box, crop: Image) -> float:
    """How good a sighting is for recognition: box area (px²) times sharpness, squashed to a float."""
    area = max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])
    return float(area * (1.0 + sharpness(crop)) ** 0.5)


@dataclass
class Sighting:
    """One kept sighting: the box's surroundings and a small full frame for the evidence snapshot."""

    observation: TrackObservation
    snapshot: Image | None
    """The full frame (a reference, not a copy); kept on the track's best sighting only."""
    snapshot_box: Box
    frame_box: Box
    """The box in the full frame's pixels."""
    extra: object = None
    """Whatever the caller attached when offering (the pipeline keeps the GPS fix and the view)."""
    handed_over: bool = False


@dataclass
class _Track:
    camera_id: str
    class_id: int
    frames: int = 0
    since_handover: int = 0
    best: list[Sighting] = field(default_factory=list)
    handed_quality: float = -1.0


class TrackBook:
    """The best sightings of every live track and the recognition schedule (one book per camera)."""

    def __init__(
        self,
        *,
        every_frames: int = 5,
        best_crops: int = 3,
        min_track_frames: int = 2,
        min_crop_px: int = 24,
        context: float = 0.25,
    ) -> None:
        if every_frames < 1 or best_crops < 1 or min_track_frames < 1:
            raise ValueError(
                f"every_frames, best_crops, min_track_frames must be >= 1, "
                f"got {every_frames}, {best_crops}, {min_track_frames}"
            )
        self.every_frames = every_frames
        self.best_crops = best_crops
        self.min_track_frames = min_track_frames
        self.min_crop_px = min_crop_px
        self.context = context
        self._tracks: dict[int, _Track] = {}

    def __len__(self) -> int:
        return len(self._tracks)

    def offer(
        self,
        track_id: int,
        camera_id: str,
        class_id: int,
        box: Box,
        frame: Image,
        at: datetime,
        bearing_deg: float | None,
        extra: object = None,
    ) -> list[Sighting]:
        """Record a sighting; returns the sighting to recognise now (the best so far) or ``[]``."""
        track = self._tracks.get(track_id)
        if track is None:
            track = self._tracks[track_id] = _Track(camera_id, class_id)
        track.frames += 1
        track.since_handover += 1
        track.class_id = class_id
        if min(box[2] - box[0], box[3] - box[1]) >= self.min_crop_px:
            self._keep(track, track_id, camera_id, class_id, box, frame, at, bearing_deg, extra)
        if track.frames < self.min_track_frames or not track.best:
            return []
        best = track.best[0]
        due = track.handed_quality < 0 or track.since_handover >= self.every_frames
        if not due or best.handed_over or best.observation.quality <= track.handed_quality:
            return []
        best.handed_over = True
        track.handed_quality = best.observation.quality
        track.since_handover = 0
        return [best]

    def _keep(
        self,
        track: _Track,
        track_id: int,
        camera_id: str,
        class_id: int,
        box: Box,
        frame: Image,
        at: datetime,
        bearing_deg: float | None,
        extra: object,
    ) -> None:
        h, w = frame.shape[:2]
        x1, y1, x2, y2 = box
        ix1, iy1, ix2, iy2 = (
            max(0, int(x1)),
            max(0, int(y1)),
            min(w, int(np.ceil(x2))),
            min(h, int(np.ceil(y2))),
        )
        if ix2 <= ix1 or iy2 <= iy1:
            return
        q = quality(box, frame[iy1:iy2, ix1:ix2])
        worst = track.best[-1].observation.quality if len(track.best) >= self.best_crops else -1.0
        if q <= worst:
            return
        mw, mh = (x2 - x1) * self.context, (y2 - y1) * self.context
        cx1, cy1 = max(0, int(x1 - mw)), max(0, int(y1 - mh))
        cx2, cy2 = min(w, int(np.ceil(x2 + mw))), min(h, int(np.ceil(y2 + mh)))
        context = np.ascontiguousarray(frame[cy1:cy2, cx1:cx2])
        local = (x1 - cx1, y1 - cy1, x2 - cx1, y2 - cy1)
        obs = TrackObservation(track_id, camera_id, class_id, local, context, at, bearing_deg, q)
        sighting = Sighting(obs, None, box, box, extra)
        track.best.append(sighting)
        track.best.sort(key=lambda s: -s.observation.quality)
        del track.best[self.best_crops :]
        if track.best[0] is sighting:  # only the best sighting holds the frame (by reference: no copy)
            sighting.snapshot = frame
            for other in track.best[1:]:
                other.snapshot = None

    def sighting(self, track_id: int) -> Sighting | None:
        """The best kept sighting of a live track."""
        track = self._tracks.get(track_id)
        return track.best[0] if track and track.best else None

    def end(self, track_id: int) -> tuple[list[Sighting], Sighting | None]:
        """The track ended: its best sightings not yet handed over (if it lived long enough), and the best."""
        track = self._tracks.pop(track_id, None)
        if track is None or not track.best:
            return [], None
        if track.frames < self.min_track_frames:
            return [], track.best[0]
        return [s for s in track.best if not s.handed_over], track.best[0]

    def live_ids(self) -> list[int]:
        """Ids of the tracks in the book."""
        return list(self._tracks)
