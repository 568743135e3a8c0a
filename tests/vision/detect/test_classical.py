"""The classical detector on rendered scenes (blob shapes) and, with the shared data, HOG on real people."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from amane.core.detections import Detections, box_iou
from amane.vision.detect import CAR, PERSON, ClassicalDetector, ClassicalDetectorConfig, build_detector
from amane.vision.detect.base import apply_nms, nms
from amane.vision.motion import MotionConfig, MotionGate

Image = npt.NDArray[np.uint8]


def street(seed: int = 3) -> Image:
    rng = np.random.default_rng(seed)
    tiles = rng.integers(70, 130, (45, 80, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.kron(tiles, np.ones((16, 16, 1), np.uint8)))


def run(detector: ClassicalDetector, frames: list[Image]) -> Detections:
    found = Detections.empty()
    for frame in frames:
        found = detector.detect(frame)
    return found


@pytest.mark.parametrize(
    ("size", "step", "cls"),
    [
        ((40, 120), (10, 0), PERSON),  # tall, walking right
        ((60, 170), (0, 6), PERSON),  # tall, walking towards the camera
        ((260, 110), (-14, 0), CAR),  # wide and large, driving left
        ((180, 80), (12, 2), CAR),
    ],
)
def test_blobs_are_classified_by_shape(size: tuple[int, int], step: tuple[int, int], cls: int) -> None:
    detector = ClassicalDetector(ClassicalDetectorConfig(motion=MotionConfig(warmup_frames=3)))
    bg = street()
    frames = [bg] * 6
    w, h = size
    for i in range(8):
        frame = bg.copy()
        x, y = 500 + step[0] * i, 250 + step[1] * i
        cv2.rectangle(frame, (x, y), (x + w, y + h), (30, 200, 230), -1)
        frames.append(frame)
    found = run(detector, frames)
    assert len(found) == 1
    assert found.class_id[0] == cls
    assert found.confidence[0] >= 0.5
    x, y = 500 + step[0] * 7, 250 + step[1] * 7
    assert box_iou(found.xyxy, np.array([[x, y, x + w, y + h]], float))[0, 0] > 0.5


def test_still_scene_and_empty_regions_cost_nothing() -> None:
    detector = build_detector(ClassicalDetectorConfig())
    bg = street()
    assert all(len(detector.detect(bg)) == 0 for _ in range(10))
    assert len(detector.detect(bg, regions=[])) == 0


def test_given_regions_are_used_without_an_internal_gate() -> None:
    """The pipeline's gate finds the regions; the detector classifies them (padding undone)."""
    gate = MotionGate(MotionConfig(warmup_frames=1))
    detector = ClassicalDetector()
    bg = street()
    gate.update(bg)
    gate.update(bg)
    frame = bg.copy()
    frame[100:300, 700:760] = 240
    regions = gate.update(frame)
    found = detector.detect(frame, regions)
    assert found.class_id.tolist() == [PERSON]
    assert box_iou(found.xyxy, np.array([[700.0, 100, 760, 300]]))[0, 0] > 0.6


@pytest.mark.parametrize(
    ("boxes", "scores", "classes", "iou", "kept"),
    [
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.5, 0.9], [0, 0], 0.5, [1]),
        ([[0, 0, 10, 10], [1, 1, 11, 11]], [0.5, 0.9], [0, 2], 0.5, [1, 0]),  # other class: kept
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], [0, 0], 0.5, [0, 1]),  # IoU 1/3: kept
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], [0, 0], 0.3, [0]),
        ([], [], [], 0.5, []),
    ],
)
def test_nms_table(
    boxes: list[list[float]], scores: list[float], classes: list[int], iou: float, kept: list[int]
) -> None:
    xyxy = np.array(boxes, float).reshape(-1, 4)
    assert nms(xyxy, np.array(scores, float), np.array(classes, np.int64), iou).tolist() == kept
    d = Detections(xyxy, np.array(scores, float), np.array(classes, np.int64))
    assert len(apply_nms(d, iou)) == len(kept)


def test_nms_rejects_bad_threshold() -> None:
    with pytest.raises(ValueError, match="iou_threshold"):
        nms(np.zeros((1, 4)), np.ones(1), None, 1.5)


@pytest.mark.shared_data
def test_hog_finds_real_pedestrians(shared_data: Path) -> None:
    """HOG on regions around real people (YOLOX boxes as the regions): it confirms a fair share of them."""
    video = shared_data / "video" / "pedestrian_10s.mp4"
    labels = json.loads((shared_data / "video" / "pedestrian_10s_yolox_detections.json").read_text())
    capture = cv2.VideoCapture(str(video))
    detector = ClassicalDetector(ClassicalDetectorConfig(hog_max_regions=8))
    seen = confirmed = 0
    for number in range(1, 241):
        ok, frame = capture.read()
        assert ok
        if number % 12:
            continue
        people = [r["tlbr"] for r in labels[str(number)] if r["class_id"] == 0 and r["score"] > 0.6]
        if not people:
            continue
        found = detector._hog_people(np.asarray(frame, np.uint8), [tuple(p) for p in people])
        seen += len(people)
        if len(found):
            confirmed += int((box_iou(np.array(people), found.xyxy).max(axis=1) > 0.3).sum())
    capture.release()
    assert seen >= 40
    assert confirmed / seen >= 0.2, f"HOG confirmed {confirmed} of {seen} people"


@pytest.mark.parametrize(
    "regions",
    [
        [(2000.0, 2000.0, 2100.0, 2200.0)],  # outside the image
        [(100.0, 100.0, 100.0, 300.0)],  # zero width
        [(50.0, 50.0, 40.0, 60.0)],  # inverted
        [(-50.0, -80.0, 20.0, 30.0), (1270.0, 700.0, 1400.0, 900.0)],  # hanging over the edges
    ],
)
def test_odd_regions_do_not_crash(regions: list[tuple[float, float, float, float]]) -> None:
    detector = ClassicalDetector(ClassicalDetectorConfig(hog_max_regions=4))
    found = detector.detect(street(), regions)
    assert all(len(found.xyxy[i]) == 4 for i in range(len(found)))


def test_a_whole_frame_change_is_not_an_object() -> None:
    """The gate reports one full-frame region when the light changes: no giant 'car' comes out of it."""
    found = ClassicalDetector(ClassicalDetectorConfig(hog=False)).detect(
        street(), [(0.0, 0.0, 1280.0, 720.0)]
    )
    assert len(found) == 0
