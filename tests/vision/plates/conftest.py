"""Fixtures for the plate tests: rendered plates and frames (real images made by the renderer)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from amane.vision.plates.synth import PlateRenderer


@pytest.fixture(scope="module")
def renderer() -> PlateRenderer:
    return PlateRenderer(np.random.default_rng(1234))


def _clean_plate(renderer: PlateRenderer, layout: str) -> tuple[np.ndarray, str]:
    """A rendered plate (BGR, undegraded) and its label."""
    plate = getattr(renderer, layout)()
    bgr = cv2.cvtColor(np.asarray(plate.image), cv2.COLOR_RGB2BGR)
    return bgr, plate.text


def _frame_with_plate(
    plate_bgr: np.ndarray, width: int = 160, angle: float = 0.0, at: tuple[int, int] = (240, 260)
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A 480x640 street-like frame with a car-ish body and the plate on it; the frame and the plate box."""
    frame = np.full((480, 640, 3), 90, np.uint8)
    cv2.rectangle(frame, (0, 330), (640, 480), (60, 60, 60), -1)
    cv2.rectangle(frame, (170, 150), (470, 360), (40, 40, 150), -1)
    h = int(plate_bgr.shape[0] * width / plate_bgr.shape[1])
    small = cv2.resize(plate_bgr, (width, h), interpolation=cv2.INTER_AREA)
    x, y = at
    if angle:
        m = cv2.getRotationMatrix2D((width / 2, h / 2), angle, 1.0)
        mask = cv2.warpAffine(np.full((h, width), 255, np.uint8), m, (width, h))
        small = cv2.warpAffine(small, m, (width, h), borderMode=cv2.BORDER_REPLICATE)
        frame[y : y + h, x : x + width][mask > 0] = small[mask > 0]
    else:
        frame[y : y + h, x : x + width] = small
    return frame, (float(x), float(y), float(x + width), float(y + h))


@pytest.fixture
def clean_plate(renderer: PlateRenderer) -> Callable[[str], tuple[np.ndarray, str]]:
    """``clean_plate(layout)``: a rendered plate of that layout (``moroccan``, ``eu``, ...) and its label."""
    return lambda layout: _clean_plate(renderer, layout)


@pytest.fixture
def frame_with_plate() -> Callable[..., tuple[np.ndarray, tuple[float, float, float, float]]]:
    """``frame_with_plate(plate, width=, angle=, at=)``: a frame holding the plate, and the plate box."""
    return _frame_with_plate
