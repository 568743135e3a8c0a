"""Ground-plane calibration: image pixels <-> metres on the ground, from four point pairs.

The user clicks four points on the ground in the image (e.g. the corners of a parking bay or
the ends of two lane markings) and gives their positions in metres on the ground (any
right-handed frame). A homography maps the foot point of a box (bottom centre) to the ground,
which turns pixel motion into metres per second and zone areas into square metres.

>>> cal = GroundCalibration(CalibrationConfig(
...     image_points=[(0, 100), (100, 100), (75, 0), (25, 0)],
...     ground_points=[(0, 0), (4, 0), (4, 10), (0, 10)]))
>>> cal.to_ground(np.array([[50.0, 100.0], [50.0, 0.0]])).round(2).tolist()
[[2.0, 0.0], [2.0, 10.0]]
"""

from __future__ import annotations

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from amane.core.detections import FloatArray

Point = tuple[float, float]


def _no_three_collinear(points: list[Point], what: str) -> None:
    pts = np.asarray(points, dtype=np.float64)
    scale = max(float(np.ptp(pts, axis=0).max()), 1e-9)
    for i in range(4):
        a, b, c = (pts[j] for j in range(4) if j != i)
        area = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) / 2
        if area < 1e-3 * scale * scale:
            raise ValueError(f"{what}: three of the four points are (nearly) on one line")


class CalibrationConfig(BaseModel):
    """Four image points and where they lie on the ground."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    image_points: list[Point] = Field(
        min_length=4, max_length=4, description="Four points on the ground plane, in image pixels (x, y)"
    )
    ground_points: list[Point] = Field(
        min_length=4, max_length=4, description="The same four points on the ground, in metres (X, Y)"
    )
    approximate: bool = Field(
        default=False, description="Marks a rough calibration (e.g. guessed from lane widths)"
    )

    @model_validator(mode="after")
    def _non_degenerate(self) -> CalibrationConfig:
        _no_three_collinear(self.image_points, "image_points")
        _no_three_collinear(self.ground_points, "ground_points")
        return self


def _apply(h: FloatArray, points: FloatArray) -> FloatArray:
    if len(points) == 0:
        return np.zeros((0, 2))
    homog = np.c_[points, np.ones(len(points))] @ h.T
    w = homog[:, 2:3]
    out: FloatArray = np.where(w > 1e-12, homog[:, :2] / np.where(w > 1e-12, w, 1.0), np.nan)
    return out


class GroundCalibration:
    """Maps image points to the ground plane and back (points beyond the horizon map to NaN)."""

    def __init__(self, config: CalibrationConfig) -> None:
        self.config = config
        src = np.asarray(config.image_points, dtype=np.float32)
        dst = np.asarray(config.ground_points, dtype=np.float32)
        h = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
        # Orient so that the image points have w > 0 (the side of the horizon the camera sees).
        w = np.c_[src.astype(np.float64), np.ones(4)] @ h[2]
        self.image_to_ground: FloatArray = h if np.all(w > 0) else -h
        self.ground_to_image: FloatArray = np.asarray(np.linalg.inv(self.image_to_ground), dtype=np.float64)

    def to_ground(self, points: FloatArray) -> FloatArray:
        """(N, 2) pixels -> (N, 2) metres; NaN for points at or above the horizon."""
        return _apply(self.image_to_ground, np.asarray(points, dtype=np.float64).reshape(-1, 2))

    def to_image(self, points: FloatArray) -> FloatArray:
        """(N, 2) metres -> (N, 2) pixels."""
        return _apply(self.ground_to_image, np.asarray(points, dtype=np.float64).reshape(-1, 2))

    def below_horizon(self, points: FloatArray) -> FloatArray:
        """Pixel distance (N,) of image points below the horizon (the image of the ground's far edge).

        A standing person's box height over this distance at the foot point hardly changes as they
        walk nearer or farther (exactly so for an upright image plane): a stature free of perspective.

        >>> cal = GroundCalibration(CalibrationConfig(
        ...     image_points=[(0, 100), (100, 100), (75, 0), (25, 0)],
        ...     ground_points=[(0, 0), (4, 0), (4, 10), (0, 10)]))
        >>> cal.below_horizon(np.array([[50.0, 100.0], [0.0, 0.0]])).round(1).tolist()
        [200.0, 100.0]
        """
        h = self.image_to_ground[2]
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        out: FloatArray = (pts @ h[:2] + h[2]) / float(np.hypot(h[0], h[1]))
        return out

    def ground_area(self, polygon: FloatArray) -> float:
        """Area in square metres of an image polygon (V, 2) (NaN if it reaches past the horizon).

        >>> cal = GroundCalibration(CalibrationConfig(
        ...     image_points=[(0, 100), (100, 100), (75, 0), (25, 0)],
        ...     ground_points=[(0, 0), (4, 0), (4, 10), (0, 10)]))
        >>> round(cal.ground_area(np.array([[0.0, 100], [100, 100], [75, 0], [25, 0]])), 3)
        40.0
        """
        g = self.to_ground(polygon)
        if np.isnan(g).any():
            return float("nan")
        x, y = g[:, 0], g[:, 1]
        return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)
