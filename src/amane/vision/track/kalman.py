"""Constant-velocity Kalman filter over (centre x, centre y, aspect ratio, height), as in SORT/ByteTrack.

>>> kf = KalmanBoxFilter()
>>> mean, cov = kf.initiate(np.array([100.0, 50.0, 0.5, 80.0]))
>>> for i in range(1, 20):
...     mean, cov = kf.predict(mean, cov)
...     mean, cov = kf.update(mean, cov, np.array([100.0 + 4 * i, 50.0, 0.5, 80.0]))
>>> abs(float(mean[4]) - 4.0) < 0.3   # it learnt the x velocity, 4 px per step
True
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class KalmanBoxFilter:
    """8-state filter (x, y, a, h, vx, vy, va, vh); process noise scales with the box height."""

    def __init__(self, std_position: float = 1.0 / 20, std_velocity: float = 1.0 / 160) -> None:
        if std_position <= 0 or std_velocity <= 0:
            raise ValueError("std_position and std_velocity must be positive")
        self._motion = np.eye(8)
        self._motion[:4, 4:] = np.eye(4)
        self._std_pos = std_position
        self._std_vel = std_velocity

    def initiate(self, measurement: FloatArray) -> tuple[FloatArray, FloatArray]:
        """State and covariance of a new track from its first (x, y, a, h)."""
        mean = np.r_[measurement, np.zeros(4)]
        h = measurement[3]
        std = [
            2 * self._std_pos * h,
            2 * self._std_pos * h,
            1e-2,
            2 * self._std_pos * h,
            10 * self._std_vel * h,
            10 * self._std_vel * h,
            1e-5,
            10 * self._std_vel * h,
        ]
        return mean, np.diag(np.square(std))

    def predict(
        self, mean: FloatArray, covariance: FloatArray, steps: float = 1.0
    ) -> tuple[FloatArray, FloatArray]:
        """``steps`` nominal frame intervals ahead (fractional when frames come faster or were dropped)."""
        h = mean[3]
        std = np.array(
            [
                self._std_pos * h,
                self._std_pos * h,
                1e-2,
                self._std_pos * h,
                self._std_vel * h,
                self._std_vel * h,
                1e-5,
                self._std_vel * h,
            ]
        )
        motion = self._motion
        if steps != 1.0:
            motion = np.eye(8)
            motion[:4, 4:] = steps * np.eye(4)
        mean = motion @ mean
        covariance = motion @ covariance @ motion.T + np.diag(np.square(std) * steps)
        return mean, covariance

    def update(
        self, mean: FloatArray, covariance: FloatArray, measurement: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Correct with a measured (x, y, a, h)."""
        h = mean[3]
        noise = np.array([self._std_pos * h, self._std_pos * h, 1e-1, self._std_pos * h]) ** 2
        # the observation picks the first four states: H P H^T and P H^T are slices of P
        projected_cov = covariance[:4, :4] + np.diag(noise)
        gain = np.linalg.solve(projected_cov, covariance[:4, :]).T  # P H^T S^-1 (S symmetric)
        mean = mean + gain @ (measurement - mean[:4])
        covariance = covariance - gain @ projected_cov @ gain.T
        return mean, covariance


def xyxy_to_xyah(box: FloatArray) -> FloatArray:
    """(x1, y1, x2, y2) -> (centre x, centre y, width / height, height).

    >>> xyxy_to_xyah(np.array([0.0, 0.0, 10.0, 20.0])).tolist()
    [5.0, 10.0, 0.5, 20.0]
    """
    w, h = box[2] - box[0], max(box[3] - box[1], 1e-6)
    return np.array([box[0] + w / 2, box[1] + h / 2, w / h, h])


def xyah_to_xyxy(state: FloatArray) -> FloatArray:
    """(centre x, centre y, aspect, height) -> (x1, y1, x2, y2).

    >>> xyah_to_xyxy(np.array([5.0, 10.0, 0.5, 20.0])).tolist()
    [0.0, 0.0, 10.0, 20.0]
    """
    x, y, a, h = state[:4]
    w = a * h
    return np.array([x - w / 2, y - h / 2, x + w / 2, y + h / 2])
