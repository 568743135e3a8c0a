"""Alignment: the similarity fit, dlib's chip geometry, ArcFace's template, anti-aliased sampling."""

from __future__ import annotations

import math

import cv2
import dlib
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.vision.faces.face_scenes import astronaut_bgr

from amane.vision.faces.align import (
    ARCFACE_TEMPLATE,
    dlib_chip_transform,
    shifted,
    similarity_to_template,
    warp_chip,
)
from amane.vision.faces.models import SHAPE_PREDICTOR_5, model_path


@settings(max_examples=60, deadline=None)
@given(st.floats(0.2, 20.0), st.floats(-math.pi, math.pi), st.floats(-500, 500), st.floats(-500, 500))
def test_similarity_recovers_transform(scale: float, angle: float, tx: float, ty: float) -> None:
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    m = np.array([[c, -s, tx], [s, c, ty]])
    pts = (m[:, :2] @ ARCFACE_TEMPLATE.T.astype(np.float64)).T + m[:, 2]
    fit = similarity_to_template(pts.astype(np.float32), ARCFACE_TEMPLATE)
    assert np.allclose(fit, m, atol=1e-3 * max(1.0, scale), rtol=1e-3)


def test_similarity_rejects_bad_shapes() -> None:
    import pytest

    with pytest.raises(ValueError, match="matching"):
        similarity_to_template(np.zeros((3, 2), np.float32), ARCFACE_TEMPLATE)


def test_shifted_moves_the_chip() -> None:
    m = np.array([[2.0, 0.0, 10.0], [0.0, 2.0, 20.0]])
    assert shifted(m, 3, -1).tolist() == [[2.0, 0.0, 16.0], [0.0, 2.0, 18.0]]


def test_dlib_chip_geometry_matches_dlib() -> None:
    rgb = np.ascontiguousarray(astronaut_bgr()[:, :, ::-1])
    det = dlib.get_frontal_face_detector()(rgb)[0]
    shape = dlib.shape_predictor(str(model_path(SHAPE_PREDICTOR_5)))(rgb, det)
    ref = np.asarray(dlib.get_face_chip(rgb, shape, 150, 0.25)).astype(np.float32)
    pts = np.array([[p.x, p.y] for p in shape.parts()], np.float32)
    ours = warp_chip(rgb, dlib_chip_transform(pts), 150).astype(np.float32)
    assert np.abs(ours - ref).mean() < 2.0


def test_arcface_template_lands_on_template() -> None:
    # dots at a face's landmark positions (scaled 3x, rotated 20°) must land on the template points
    angle, scale = math.radians(20), 3.0
    m = np.array([[math.cos(angle) * scale, -math.sin(angle) * scale, 200],
                  [math.sin(angle) * scale, math.cos(angle) * scale, 100]])
    pts = (m[:, :2] @ ARCFACE_TEMPLATE.T.astype(np.float64)).T + m[:, 2]
    img = np.zeros((800, 800, 3), np.uint8)
    for x, y in pts:
        cv2.circle(img, (round(x), round(y)), 6, (255, 255, 255), -1)
    chip = warp_chip(img, similarity_to_template(pts.astype(np.float32), ARCFACE_TEMPLATE), 112)
    for tx, ty in ARCFACE_TEMPLATE:
        assert chip[round(ty), round(tx)].min() > 200


def test_downscaling_is_antialiased() -> None:
    # a fine checkerboard sampled 8x smaller must come out mid-grey, not aliased stripes
    board = ((np.indices((1600, 1600)).sum(axis=0) % 2) * 255).astype(np.uint8)
    img = cv2.cvtColor(board, cv2.COLOR_GRAY2BGR)
    chip = warp_chip(img, np.array([[8.0, 0.0, 200.0], [0.0, 8.0, 200.0]]), 150)
    assert abs(float(chip.mean()) - 127.5) < 3 and float(chip.std()) < 10
