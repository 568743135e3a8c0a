"""The quality gate and photo refusals: size, blur, pose, no face, several faces."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.vision.faces.face_scenes import astronaut_bgr

from amane.vision.faces import FacePipeline, FacePipelineConfig, PhotoRefused
from amane.vision.faces.quality import QualityConfig, pose

FRONTAL = np.array([[70, 50], [60, 50], [30, 50], [40, 50], [50, 70]], np.float32)


@pytest.fixture(scope="module")
def pipe() -> FacePipeline:
    return FacePipeline()


@settings(max_examples=50, deadline=None)
@given(st.floats(-80, 80), st.floats(0.3, 5.0), st.floats(-300, 300), st.floats(-300, 300))
def test_pose_is_invariant_to_similarity(angle_deg: float, scale: float, tx: float, ty: float) -> None:
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * scale
    pts = (rot @ FRONTAL.T).T + np.array([tx, ty])
    yaw, roll = pose(pts.astype(np.float32))
    assert yaw < 1e-3
    assert roll == pytest.approx(angle_deg, abs=1e-2)


@pytest.mark.parametrize(("nose_x", "expected"),
                         [(50, 0.0), (57, 14 / 30), (60, 20 / 30), (65, 1.0), (80, 1.0)])
def test_yaw_from_nose_offset(nose_x: float, expected: float) -> None:
    pts = FRONTAL.copy()
    pts[4, 0] = nose_x
    assert pose(pts)[0] == pytest.approx(expected, abs=1e-3)


def _two_faces() -> np.ndarray:
    a = astronaut_bgr()[20:300, 100:380]
    return np.hstack([a, a])


def _blurred() -> np.ndarray:
    return cv2.GaussianBlur(astronaut_bgr(), (0, 0), 3.5)


def _rotated_profile_like() -> np.ndarray:
    img = astronaut_bgr()
    h, w = img.shape[:2]
    return cv2.warpAffine(img, cv2.getRotationMatrix2D((223, 127), 0, 1.0), (w, h))


@pytest.mark.parametrize(
    ("make", "config", "reason"),
    [
        (astronaut_bgr, None, None),
        (lambda: np.full((480, 640, 3), 127, np.uint8), None, "no_face"),
        (_two_faces, None, "several_faces"),
        (astronaut_bgr, QualityConfig(min_face_px=120), "too_small"),
        (_blurred, None, "blurry"),
        (astronaut_bgr, QualityConfig(max_yaw_asymmetry=0.0, min_sharpness=0), "pose"),
    ],
)
def test_enrolment_refuses_with_reason(make: object, config: QualityConfig | None,
                                       reason: str | None) -> None:
    pipe = FacePipeline(FacePipelineConfig(quality=config) if config else None)
    image = make()  # type: ignore[operator]
    if reason is None:
        result = pipe.enrol(image)
        assert result.embedding is not None and result.quality.passed
        return
    with pytest.raises(PhotoRefused) as info:
        pipe.enrol(image)
    assert info.value.reason == reason


def test_gate_blocks_embedding(pipe: FacePipeline) -> None:
    faces = pipe.analyse(_blurred())
    assert faces and faces[0].embedding is None and "blurry" in faces[0].quality.reasons
    faces = pipe.analyse(astronaut_bgr())
    assert faces[0].embedding is not None
    ungated = pipe.analyse(_blurred(), gate=False)
    assert ungated[0].embedding is not None


def test_quality_ranks_sharper_and_bigger_higher(pipe: FacePipeline) -> None:
    big = pipe.analyse(astronaut_bgr())[0].quality.score
    smaller = np.asarray(cv2.resize(astronaut_bgr(), None, fx=0.6, fy=0.6), np.uint8)
    small = pipe.analyse(smaller)[0].quality.score
    soft = pipe.analyse(np.asarray(cv2.GaussianBlur(astronaut_bgr(), (0, 0), 1.5), np.uint8),
                        gate=False)[0].quality.score
    assert big > small and big > soft
