"""Skew of a plate crop: the in-plane angle that lines its text and border up with the image rows.

Road cameras and hand-cut crops see plates rolled by 10 to 20 degrees; the recogniser reads a
level line far better. The angle is the one whose projection profile of strong edges onto the
vertical axis is sharpest (the classic projection-profile method): characters, separator bars and
the plate's top and bottom edges all pile up in few rows when the plate is level.

>>> img = np.full((60, 200), 255, np.uint8)
>>> cv2.rectangle(img, (20, 20), (180, 40), 0, -1)
array(...)
>>> tilted = rotate(img, 12.0)
>>> abs(skew_angle(tilted) + 12.0) < 2.0
True
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from amane.vision.plates.base import Image

_ANGLES = np.arange(-22.0, 22.01, 1.0)
_WORK_HEIGHT = 64
_MAX_POINTS = 3000
_MIN_GAIN = 1.05
"""The best angle's profile must be this much sharper than the level one's to count."""


def _edge_points(crop: Image) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Coordinates (x, y) of the strongest edge pixels of a reduced copy and their strengths."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    scale = _WORK_HEIGHT / max(1, grey.shape[0])
    width = max(8, min(4 * _WORK_HEIGHT * 2, round(grey.shape[1] * scale)))
    small = cv2.resize(grey, (width, _WORK_HEIGHT), interpolation=cv2.INTER_AREA).astype(np.float32)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
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
    lo = float(rows.min())
    bins = (rows - lo).astype(np.int64)
    n_bins = int(bins.max()) + 1
    offsets = np.arange(len(angles))[:, None] * n_bins
    hist = np.bincount((bins + offsets).ravel(), np.broadcast_to(weight, bins.shape).ravel(),
                       minlength=n_bins * len(angles)).reshape(len(angles), n_bins)
    sharpness = (hist.astype(np.float64) ** 2).sum(axis=1)
    best = int(np.argmax(sharpness))
    level = int(np.argmin(np.abs(angles)))
    # a crop with no dominant direction (flat, or structure at every angle) is left as it is
    if sharpness[best] <= _MIN_GAIN * sharpness[level]:
        return 0.0
    return float(angles[best])


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
