"""dlib-hog's coarse-to-fine search: a small face in a large photo is found, at a bounded cost."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from tests.vision.faces.face_scenes import astronaut_bgr, street

from amane.vision.faces.detect_dlib import DlibHogConfig, DlibHogDetector


def _still_with_face(width: int, height: int, face_px: int) -> tuple[np.ndarray, tuple[float, float]]:
    """A street frame with the astronaut pasted so her face is ``face_px`` wide; returns the face centre."""
    photo = astronaut_bgr()
    (x1, y1, x2, y2) = DlibHogDetector().detect(photo)[0].box
    k = face_px / (x2 - x1)
    small = cv2.resize(photo, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    frame = street(width, height)
    ox, oy = width // 2, height // 3
    frame[oy:oy + small.shape[0], ox:ox + small.shape[1]] = small[: height - oy, : width - ox]
    return frame, (ox + k * (x1 + x2) / 2, oy + k * (y1 + y2) / 2)


@pytest.mark.parametrize("face_px", [70, 100])
def test_small_face_in_a_full_hd_still_is_found(face_px: int) -> None:
    frame, (cx, cy) = _still_with_face(1920, 1080, face_px)
    faces = DlibHogDetector().detect(frame)
    assert faces, "a face this size passes the quality gate, so the detector must find it"
    best = max(faces, key=lambda f: f.score)
    bx1, by1, bx2, by2 = best.box
    assert bx1 < cx < bx2 and by1 < cy < by2
    assert 0.7 * face_px < best.width < 1.5 * face_px


def test_retries_stop_where_the_smallest_face_fills_the_window() -> None:
    det = DlibHogDetector(DlibHogConfig(smallest_face=40.0))
    assert det.scales(1080, 1920) == [0.25, 0.5, 1.0]  # 2.0 would pass upsample_limit
    assert det.scales(120, 100) == [1.0, 2.0]  # a 40 px face is 80 px at 2x: no finer
    assert DlibHogDetector(DlibHogConfig(max_upsample=0)).scales(1080, 1920) == [0.25]
    assert DlibHogDetector(DlibHogConfig(smallest_face=80.0)).scales(200, 200) == [1.0]


def test_a_large_face_is_found_on_the_first_pass() -> None:
    frame, _ = _still_with_face(1280, 720, 200)  # 75 px wide in the 480 px copy
    det = DlibHogDetector(DlibHogConfig(max_upsample=0))  # the reduced copy only
    assert len([f for f in det.detect(frame) if f.score > 0.3]) == 1
