"""What the face stages hand each other: one face with its box, landmarks, quality and embedding."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class FaceBox:
    """A detected face in image pixels, with the detector's score and (if it has them) 5 landmarks.

    Landmarks, when given, are (5, 2) x, y in the ArcFace order: right eye, left eye (of the
    subject, i.e. image-left first), nose tip, right mouth corner, left mouth corner.

    >>> FaceBox((10.0, 20.0, 110.0, 120.0), 1.5).width
    100.0
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: FloatArray | None = None

    @property
    def width(self) -> float:
        """Box width in pixels."""
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        """Box height in pixels."""
        return self.box[3] - self.box[1]

    @property
    def area(self) -> float:
        """Box area in square pixels."""
        return max(0.0, self.width) * max(0.0, self.height)

    def scaled(self, factor: float) -> FaceBox:
        """The same face in an image scaled by ``factor`` (landmarks too).

        >>> FaceBox((10.0, 20.0, 30.0, 40.0), 1.0).scaled(2.0).box
        (20.0, 40.0, 60.0, 80.0)
        """
        x1, y1, x2, y2 = self.box
        lm = None if self.landmarks is None else (self.landmarks * factor).astype(np.float32)
        return FaceBox((x1 * factor, y1 * factor, x2 * factor, y2 * factor), self.score, lm)


@dataclass(frozen=True)
class Landmarks5:
    """Five facial points (x, y) in image pixels, in dlib's 5-point order.

    dlib's order: the image-right eye's outer and inner corners, the image-left eye's outer and
    inner corners, the bottom of the nose.
    """

    points: FloatArray

    def __post_init__(self) -> None:
        if self.points.shape != (5, 2):
            raise ValueError(f"landmarks must have shape (5, 2), got {self.points.shape}")

    @property
    def eye_right_image(self) -> FloatArray:
        """Centre of the eye on the image's right side (the subject's left eye)."""
        return np.asarray(self.points[0:2].mean(axis=0), dtype=np.float32)

    @property
    def eye_left_image(self) -> FloatArray:
        """Centre of the eye on the image's left side (the subject's right eye)."""
        return np.asarray(self.points[2:4].mean(axis=0), dtype=np.float32)

    @property
    def nose(self) -> FloatArray:
        """Bottom of the nose."""
        return np.asarray(self.points[4], dtype=np.float32)


@dataclass(frozen=True)
class FaceQuality:
    """How usable a face is for matching, and why not when it is not."""

    face_px: float
    """Face box width in pixels of the original image."""
    sharpness: float
    """Variance of the Laplacian of the aligned chip (grey levels squared)."""
    yaw_asymmetry: float
    """0 for a frontal face, 1 when the nose sits on an eye (profile)."""
    roll_deg: float
    """Eye-line angle to the horizontal, in degrees."""
    score: float
    """One number to rank a track's faces (bigger, sharper, more frontal: higher), 0..1."""
    reasons: tuple[str, ...] = field(default=())
    """Empty when the face passes the gate; else e.g. ``("too_small", "blurry")``."""

    @property
    def passed(self) -> bool:
        """Whether the face may be matched."""
        return not self.reasons
