"""The tracker on the real pedestrian clip (shared data): its YOLOX detections, and the default pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from amane.core.detections import Detections
from amane.vision.detect import ClassicalDetector
from amane.vision.motion import MotionGate
from amane.vision.track import build_tracker
from amane.vision.track.evaluate import TrackLog, load_frame_detections, summarize

T0 = datetime(2026, 1, 1, tzinfo=UTC)
pytestmark = pytest.mark.shared_data


def test_bytetrack_on_yolox_detections(shared_data: Path) -> None:
    video = shared_data / "video"
    detections = load_frame_detections(video / "pedestrian_10s_yolox_detections.json", {0, 1, 2, 3, 5, 7})
    assert len(detections) == 240
    tracker = build_tracker()
    log = TrackLog()
    for frame in range(240):
        tracked = tracker.update(
            detections.get(frame, Detections.empty()), T0 + timedelta(seconds=frame / 24)
        )
        log.add(frame, tracked, tracker.pop_ended())
    log.ended.update(tracker.end_all())
    summary = summarize(log, (854, 480), 24.0)
    # 4-5 people cross the scene in 10 s; YOLOX also fires on a few parked-car and bag boxes
    assert 4 <= summary.tracks <= 15, summary
    assert summary.long_tracks >= 4, summary
    assert summary.reused_ids == 0
    assert summary.fragmentations <= 3, summary
    longest = sorted((s.frames for s in log.spans.values()), reverse=True)
    assert longest[3] >= 120, "the four people in view most of the clip keep one id each for 5+ s"


def test_default_pipeline_on_raw_frames(shared_data: Path) -> None:
    capture = cv2.VideoCapture(str(shared_data / "video" / "pedestrian_10s.mp4"))
    gate, detector, tracker = MotionGate(), ClassicalDetector(), build_tracker()
    log = TrackLog()
    frame = 0
    while True:
        ok, raw = capture.read()
        if not ok:
            break
        image = np.asarray(raw, np.uint8)
        regions = gate.update(image)
        found = detector.detect(image, regions) if regions else Detections.empty()
        log.add(frame, tracker.update(found, T0 + timedelta(seconds=frame / 24)), tracker.pop_ended())
        frame += 1
    capture.release()
    summary = summarize(log, (854, 480), 24.0)
    assert frame == 240
    assert summary.reused_ids == 0
    assert 3 <= summary.tracks <= 40, summary
    assert summary.long_tracks >= 3, summary
