"""Offline replay: feed a recorded detection stream (or a video through a detector) to the engine.

Detections without tracker ids are tracked first with the unit's tracker
(:mod:`amane.vision.track`, ByteTrack), exactly as the unit pipeline does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from amane.core.detections import Detections
from amane.vision.behavior.engine import BehaviorEngine
from amane.vision.recognize import Finding, Image
from amane.vision.track import build_tracker
from amane.vision.track.evaluate import load_frame_detections

logger = logging.getLogger(__name__)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Stream time zero of replays that carry no clock."""


@dataclass(frozen=True)
class Frame:
    """One recorded frame: when, what was detected (tracked or not), and the pixels when available."""

    at: datetime
    detections: Detections
    image: Image | None = None


def replay(
    engine: BehaviorEngine, camera_id: str, frames: Iterable[Frame]
) -> Iterator[tuple[Frame, Detections, list[Finding]]]:
    """Run ``engine`` over ``frames``; yields each frame, its tracked detections and the findings."""
    tracker = None
    for frame in frames:
        dets = frame.detections
        if len(dets) and (dets.tracker_id < 0).any():
            tracker = tracker or build_tracker()
            dets = tracker.update(dets, frame.at)
        yield frame, dets, engine.update(camera_id, dets, frame.at, frame.image)


def detection_file_frames(
    path: Path, fps: float, classes: set[int] | None = None, start: datetime = EPOCH
) -> list[Frame]:
    """Frames of a JSON detection file (``{"1": [{"tlbr": [...], "score": s, "class_id": c}, ...]}``)."""
    per_frame = load_frame_detections(path, classes)
    return [Frame(at=start + timedelta(seconds=i / fps), detections=per_frame[i]) for i in sorted(per_frame)]


def video_frames(
    path: Path, detector: object, start: datetime = EPOCH, keep_images: bool = False
) -> Iterator[Frame]:
    """Frames of a video run through ``detector`` (anything with ``detect(image) -> Detections``)."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise FileNotFoundError(f"cannot open video {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    i = 0
    try:
        while True:
            ok, raw = cap.read()
            if not ok:
                break
            image: Image = np.asarray(raw, dtype=np.uint8)
            dets = detector.detect(image)  # type: ignore[attr-defined]
            yield Frame(
                at=start + timedelta(seconds=i / fps), detections=dets, image=image if keep_images else None
            )
            i += 1
    finally:
        cap.release()
