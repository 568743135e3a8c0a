"""Skew and slant of a plate crop: the in-plane angle that lines its text and border up with the image
rows, and the shear that stands its characters upright.

Road cameras and hand-cut crops see plates rolled by 10 to 35 degrees; the recogniser reads a
level line far better. The angle is the one whose projection profile of strong edges onto the
vertical axis is sharpest (the classic projection-profile method): characters, separator bars and
the plate's top and bottom edges all pile up in few rows when the plate is level. A plate rolled
and seen from the side is still slanted once level (its verticals lean like italics); the slant is
the shear whose profile of vertical edges onto the horizontal axis is sharpest (the strokes of the
digits and the separator bars pile up in few columns when upright).

>>> img = np.full((60, 200), 255, np.uint8)
>>> cv2.rectangle(img, (20, 20), (180, 40), 0, -1)
array(...)
>>> tilted = rotate(img, 12.0)
>>> abs(skew_angle(tilted) + 12.0) < 2.0
True
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.plates.base import Image

_ANGLES = np.arange(-40.0, 40.01, 1.0)
_SHEARS = np.arange(-0.7, 0.701, 0.05)
_WORK_HEIGHT = 64
_MAX_POINTS = 3000
_MIN_GAIN = 1.05
"""The best angle's profile must be this much sharper than the level one's to count."""
_MIN_SLANT_GAIN = 1.1
"""The best shear's profile must be this much sharper than the upright one's to count."""


def _edge_points(
    crop: Image, vertical_only: bool = False
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Coordinates (x, y) of the strongest edge pixels of a reduced copy and their strengths
    (``vertical_only``: the horizontal gradient of pixels on vertical edges, for the slant)."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    scale = _WORK_HEIGHT / max(1, grey.shape[0])
    width = max(8, min(4 * _WORK_HEIGHT * 2, round(grey.shape[1] * scale)))
    small = cv2.resize(grey, (width, _WORK_HEIGHT), interpolation=cv2.INTER_AREA).astype(np.float32)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    if vertical_only:
        mag = (np.abs(gx) * (np.abs(gx) > np.abs(gy))).ravel()
    else:
        mag = np.hypot(gx, gy).ravel()
    keep = min(_MAX_POINTS, mag.size // 8)
    idx = np.argpartition(mag, -keep)[-keep:]
    ys, xs = np.divmod(idx, small.shape[1])
    # the aspect of the reduced copy is the crop's own, so angles measured on it hold for the crop
    return np.stack([xs, ys], axis=1).astype(np.float32), mag[idx]


def skew_angle(crop: Image, angles: npt.NDArray[np.float64] = _ANGLES) -> float:
    """The rotation in degrees (counter-clockwise positive, as :func:`rotate`) that levels ``crop``.

    Returns the angle to rotate the crop by; 0.0 for a crop with too little structure.
    """
    if crop.size == 0 or min(crop.shape[:2]) < 8:
        return 0.0
    pts, weight = _edge_points(crop)
    if len(pts) < 16 or float(weight.max()) < 1.0:
        return 0.0
    theta = np.deg2rad(angles)[:, None]
    # row of each point after cv2 rotates the image by +theta (counter-clockwise on screen)
    rows = pts[None, :, 1] * np.cos(theta) - pts[None, :, 0] * np.sin(theta)
    # a crop with no dominant direction (flat, or structure at every angle) is left as it is
    return _sharpest(angles, rows, weight, _MIN_GAIN)


def slant(crop: Image, shears: npt.NDArray[np.float64] = _SHEARS) -> float:
    """The shear (horizontal shift per row, rightwards for rows below the middle) that stands the
    characters of a level ``crop`` upright (:func:`unslant`); 0.0 when none stands out."""
    if crop.size == 0 or min(crop.shape[:2]) < 8:
        return 0.0
    pts, weight = _edge_points(crop, vertical_only=True)
    if len(pts) < 16 or float(weight.max()) < 1.0:
        return 0.0
    middle = _WORK_HEIGHT / 2
    # column of each point once the crop is sheared by s (as unslant does)
    cols = pts[None, :, 0] - shears[:, None] * (pts[None, :, 1] - middle)
    return _sharpest(shears, cols, weight, _MIN_SLANT_GAIN)


def _sharpest(
    params: npt.NDArray[np.float64],
    coords: npt.NDArray[np.floating[Any]],
    weight: npt.NDArray[np.float32],
    gain: float,
) -> float:
    """The parameter whose projection (``coords``: one row of point coordinates per parameter) piles the
    weighted points into the fewest bins; 0.0 unless it is ``gain`` times sharper than at parameter 0."""
    bins = (coords - float(coords.min())).astype(np.int64)
    n_bins = int(bins.max()) + 1
    offsets = np.arange(len(params))[:, None] * n_bins
    hist = np.bincount(
        (bins + offsets).ravel(), np.broadcast_to(weight, bins.shape).ravel(), minlength=n_bins * len(params)
    ).reshape(len(params), n_bins)
    sharpness = (hist.astype(np.float64) ** 2).sum(axis=1)
    best = int(np.argmax(sharpness))
    zero = int(np.argmin(np.abs(params)))
    if sharpness[best] <= gain * sharpness[zero]:
        return 0.0
    return float(params[best])


def unslant(crop: Image, shear: float) -> Image:
    """``crop`` sheared by ``shear`` (:func:`slant`) about its middle row, widened so nothing is cut off.

    >>> unslant(np.zeros((10, 40), np.uint8), 0.5).shape
    (10, 46)
    """
    h, w = crop.shape[:2]
    pad = int(abs(shear) * h / 2) + 1
    m = np.array([[1.0, -shear, shear * h / 2 + pad], [0.0, 1.0, 0.0]], np.float32)
    out: Image = cv2.warpAffine(
        crop, m, (w + 2 * pad, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def rotate(crop: Image, degrees: float) -> Image:
    """``crop`` rotated by ``degrees`` (counter-clockwise) about its centre on a canvas that holds all of
    it (nothing is cut off), the new corners filled by replicating the edges.

    >>> rotate(np.zeros((10, 40), np.uint8), 90.0).shape
    (40, 10)
    """
    h, w = crop.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    new_w, new_h = round(w * cos + h * sin), round(w * sin + h * cos)
    m[0, 2] += (new_w - w) / 2.0
    m[1, 2] += (new_h - h) / 2.0
    out: Image = cv2.warpAffine(
        crop, m, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def deskew(crop: Image, min_degrees: float = 2.0) -> tuple[Image, float]:
    """The levelled crop and the angle it was rotated by (the crop itself when under ``min_degrees``)."""
    angle = skew_angle(crop)
    if abs(angle) < min_degrees:
        return crop, 0.0
    return rotate(crop, angle), angle
