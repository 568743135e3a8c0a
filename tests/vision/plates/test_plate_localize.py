"""Plate localisation and rectification on rendered frames."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.eval.plates import iou
from amane.vision.plates.localize import LocalizerConfig, PlateLocalizer, order_quad, rectify


@pytest.fixture(scope="module")
def localizer() -> PlateLocalizer:
    return PlateLocalizer(LocalizerConfig())


@pytest.mark.parametrize(
    ("layout", "width", "angle"),
    [
        ("moroccan", 180, 0.0),
        ("moroccan", 140, 6.0),
        ("eu", 170, -4.0),
        ("br_old", 150, 0.0),
    ],
)
def test_finds_plate(
    localizer: PlateLocalizer,
    clean_plate: Callable[[str], Any],
    frame_with_plate: Callable[..., Any],
    layout: str,
    width: int,
    angle: float,
) -> None:
    plate, _ = clean_plate(layout)
    frame, box = frame_with_plate(plate, width=width, angle=angle)
    cands = localizer.find(frame)
    assert cands, "no candidate"
    assert max(iou(c.box, box) for c in cands) >= 0.4


def test_regions_limit_the_search(
    localizer: PlateLocalizer, clean_plate: Callable[[str], Any], frame_with_plate: Callable[..., Any]
) -> None:
    plate, text = clean_plate("moroccan")
    while text.endswith("ش"):  # a black police plate on the dark body is found by its white text only
        plate, text = clean_plate("moroccan")
    frame, box = frame_with_plate(plate, width=180)
    inside = localizer.find(frame, [(150.0, 130.0, 490.0, 380.0)])
    assert max(iou(c.box, box) for c in inside) >= 0.4
    assert localizer.find(frame, [(0.0, 0.0, 120.0, 120.0)]) == []
    assert localizer.find(frame, []) == []


def test_blank_frame(localizer: PlateLocalizer) -> None:
    assert localizer.find(np.full((480, 640, 3), 128, np.uint8)) == []


@settings(max_examples=100, deadline=None)
@given(
    st.permutations(range(4)), st.floats(10, 300), st.floats(10, 300), st.floats(20, 200), st.floats(8, 60)
)
def test_order_quad(perm: list[int], x: float, y: float, w: float, h: float) -> None:
    pts = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
    q = order_quad(pts[list(perm)])
    assert np.allclose(q, pts)


@pytest.mark.parametrize(
    ("quad", "shape"),
    [
        ([[10, 10], [110, 10], [110, 40], [10, 40]], (64, 213, 3)),
        ([[10, 40], [110, 40], [110, 10], [10, 10]], (64, 213, 3)),  # any corner order
        ([[0, 0], [50, 5], [50, 30], [0, 25]], (64, 129, 3)),  # tilted
    ],
)
def test_rectify(quad: list[list[float]], shape: tuple[int, int, int]) -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    assert rectify(img, np.array(quad, np.float32)).shape == shape
