"""The plate's own outline in a crop: the light plate ground as a four-cornered shape, warped flat.

A crop cut around a plate seen from the side shows it as a trapezoid (the near end taller) and often
rolled; levelling (:mod:`~amane.vision.plates.deskew`) turns it but cannot undo the perspective, and
the text detector's boxes are rotated rectangles. Moroccan (and most) plates are a light ground with
a dark border: the ground, thresholded (Otsu) and closed over the characters, is a convex blob whose
hull simplifies to four corners. Warping those corners to a rectangle gives the plate as if seen
head on: characters of one height and spacing from the first digit to the region.

>>> img = np.full((120, 300), 40, np.uint8)
>>> corners = np.array([[40, 30], [260, 20], [262, 90], [38, 85]], np.int32)
>>> _ = cv2.fillConvexPoly(img, corners, 235)
>>> quads = plate_quads(img)
>>> len(quads), bool(np.abs(quads[0] - corners).max() < 4)
(1, True)
>>> flat_plates(img)[0].shape[0]
64
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.plates.base import Image
from amane.vision.plates.localize import Quad, order_quad

_WORK_HEIGHT = 96
_MIN_AREA = 0.05
"""A plate's ground covers at least this share of the crop."""
_ASPECTS = (2.0, 8.0)
"""Width / height of a one-row plate's ground (a Moroccan plate is 520 x 110 mm: 4.7)."""
_MAX_AREA = 0.95
"""A ground that fills the crop is the crop itself: already read as it is."""
_LEVELS = (0.0, 0.3, 0.55)
"""Thresholds tried, as a share of the way from Otsu's level to white."""
_MIN_FILL = 0.6
"""The blob fills at least this share of its rotated bounding box (a plate, not a ragged glare)."""


def plate_quads(crop: Image, limit: int = 1) -> list[Quad]:
    """Up to ``limit`` plate grounds in ``crop`` as quads (crop pixels), the largest first."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape[:2]
    if min(h, w) < 8:
        return []
    scale = min(1.0, _WORK_HEIGHT / h)
    small = (
        grey
        if scale == 1.0
        else cv2.resize(grey, (max(1, round(w * scale)), _WORK_HEIGHT), interpolation=cv2.INTER_AREA)
    )
    small = cv2.GaussianBlur(small, (3, 3), 0)
    otsu, _ = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, small.shape[0] // 8),) * 2)
    found: list[tuple[float, Quad]] = []
    for level in _LEVELS:  # a bright body panel may join the plate at Otsu's level: then try brighter
        threshold = otsu + level * (255 - otsu)
        ground: Any = cv2.morphologyEx((small > threshold).astype(np.uint8), cv2.MORPH_CLOSE, kernel)
        found = [(area, quad / scale) for area, quad in _plate_shapes(ground)]
        if found:
            break
    found.sort(key=lambda item: -item[0])
    return [quad for _, quad in found[:limit]]


def _plate_shapes(ground: npt.NDArray[np.uint8]) -> list[tuple[float, Quad]]:
    """The plate-shaped blobs of a binary image, with their areas."""
    contours, _ = cv2.findContours(ground, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[tuple[float, Quad]] = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        if not _MIN_AREA * ground.size <= area <= _MAX_AREA * ground.size:
            continue
        (_, _), (rw, rh), _ = cv2.minAreaRect(contour)
        long, short = max(rw, rh), max(1e-6, min(rw, rh))
        if not _ASPECTS[0] <= long / short <= _ASPECTS[1] or area < _MIN_FILL * long * short:
            continue
        out.append((area, corners(cv2.convexHull(contour).reshape(-1, 2).astype(np.float32))))
    return out


def corners(hull: npt.NDArray[np.float32]) -> Quad:
    """Four corners of a convex hull: its Douglas-Peucker simplification to four points at the smallest
    tolerance that gives four, else its extreme points along the diagonals."""
    closed = hull.reshape(-1, 1, 2)
    perimeter = cv2.arcLength(closed, True)
    for tolerance in np.linspace(0.01, 0.1, 19):
        simple = cv2.approxPolyDP(closed, float(tolerance * perimeter), True).reshape(-1, 2)
        if len(simple) == 4:
            return order_quad(simple)
    total, diff = hull.sum(axis=1), hull[:, 0] - hull[:, 1]
    return order_quad(hull[[total.argmin(), diff.argmax(), total.argmax(), diff.argmin()]])


def grow(quad: Quad, fx: float, fy: float) -> Quad:
    """The quad with its top and bottom edges moved out by ``fy`` of its height and its sides by ``fx``
    of its width (the recogniser was trained on plates with a little of their surroundings).

    >>> grow(np.array([[0, 0], [100, 0], [100, 20], [0, 20]], np.float32), 0.1, 0.5).tolist()
    [[-10.0, -10.0], [110.0, -10.0], [110.0, 30.0], [-10.0, 30.0]]
    """
    q = order_quad(quad)
    down = (q[3] + q[2]) / 2 - (q[0] + q[1]) / 2
    across = (q[1] + q[2]) / 2 - (q[0] + q[3]) / 2
    up, side = fy * down, fx * across
    out: Quad = q + np.array([-up - side, -up + side, up + side, up - side], np.float32)
    return out


def flat_plates(
    crop: Image, limit: int = 1, height: int = 64, margin: tuple[float, float] = (0.03, 0.1)
) -> list[Image]:
    """The crop's plate grounds (:func:`plate_quads`), each grown by ``margin`` (x, y) and warped to a
    rectangle ``height`` pixels high, as wide as the quad's mean width is to its mean height (seen from
    the side, one end of a plate is taller than the other: the taller end would squeeze it)."""
    return [flatten(crop, grow(q, *margin), height) for q in plate_quads(crop, limit)]


def flatten(image: Image, quad: Quad, height: int) -> Image:
    """Warp ``quad`` to an upright rectangle ``height`` high with the quad's mean aspect."""
    q = order_quad(quad)
    width = float(np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])) / 2
    tall = float(np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
    out_w = min(12 * height, max(8, round(height * width / max(tall, 1e-6))))  # a degenerate quad stays small
    dst = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, height - 1], [0, height - 1]], np.float32)
    flat: Image = cv2.warpPerspective(
        image, cv2.getPerspectiveTransform(q, dst), (out_w, height), borderMode=cv2.BORDER_REPLICATE
    )
    return flat
