"""The quality gate: below it no match is attempted (a poor face makes confident mistakes).

Three measurements, each with a bound in :class:`QualityConfig`:

* size: the face box width in original-image pixels;
* blur: variance of the Laplacian of the aligned chip (grey; the chip has the same scale for
  every face, so the figure compares across faces and cameras);
* pose: from dlib's 5 landmarks, the roll (eye-line angle) and a yaw proxy, the nose's offset from
  the midpoint between the eyes relative to the eye distance (0 frontal, 1 nose over one eye).

>>> pts = np.array([[70, 50], [60, 50], [30, 50], [40, 50], [50, 70]], np.float32)
>>> q = assess(pts, face_px=120.0, chip=np.full((150, 150, 3), 128, np.uint8))
>>> round(q.yaw_asymmetry, 3), round(q.roll_deg, 1), q.reasons
(0.0, 0.0, ('blurry',))
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.types import FaceQuality, FloatArray, Image


class QualityConfig(BaseModel):
    """Bounds a face must meet before it is matched."""

    model_config = ConfigDict(extra="forbid")

    min_face_px: float = Field(40.0, ge=8.0, le=2000.0, description="Smallest face box width, in pixels.")
    min_sharpness: float = Field(
        25.0, ge=0.0, le=10_000.0, description="Smallest variance of the Laplacian of the 150 px grey chip."
    )
    max_yaw_asymmetry: float = Field(
        0.45, ge=0.0, le=1.0, description="Largest nose offset / eye distance x 2 (0 frontal, ~0.45 is ~35°)."
    )
    max_roll_deg: float = Field(35.0, ge=0.0, le=90.0, description="Largest eye-line tilt, degrees.")


def sharpness(chip: Image) -> float:
    """Variance of the Laplacian of a chip (grey levels squared); low means blurred.

    >>> sharpness(np.zeros((50, 50), np.uint8))
    0.0
    """
    gray = chip if chip.ndim == 2 else cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def pose(points: FloatArray) -> tuple[float, float]:
    """(yaw asymmetry 0..1, roll in degrees) from dlib's 5 landmarks."""
    eye_r = points[0:2].mean(axis=0)  # image-right eye
    eye_l = points[2:4].mean(axis=0)
    d = eye_r - eye_l
    dist = float(np.hypot(*d))
    if dist < 1e-6:
        return 1.0, 0.0
    roll = math.degrees(math.atan2(float(d[1]), float(d[0])))
    u = d / dist
    t = float(np.dot(points[4] - (eye_l + eye_r) / 2.0, u)) / dist  # nose offset along the eye line
    return min(1.0, abs(t) * 2.0), roll


def assess(points: FloatArray, face_px: float, chip: Image,
           config: QualityConfig | None = None) -> FaceQuality:
    """Measure a face and say whether it passes the gate (``reasons`` empty) or why not."""
    cfg = config or QualityConfig()
    sharp = sharpness(chip)
    yaw, roll = pose(points)
    reasons: list[str] = []
    if face_px < cfg.min_face_px:
        reasons.append("too_small")
    if sharp < cfg.min_sharpness:
        reasons.append("blurry")
    if yaw > cfg.max_yaw_asymmetry or abs(roll) > cfg.max_roll_deg:
        reasons.append("pose")
    size_term = min(1.0, face_px / (3.0 * cfg.min_face_px))
    sharp_term = min(1.0, sharp / (4.0 * max(cfg.min_sharpness, 1.0)))
    pose_term = max(0.0, 1.0 - yaw) * max(0.0, 1.0 - abs(roll) / 90.0)
    score = size_term * sharp_term * pose_term
    return FaceQuality(face_px, sharp, yaw, roll, float(score), tuple(reasons))
