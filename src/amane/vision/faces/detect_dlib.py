"""``dlib-hog``: dlib's HOG + linear SVM frontal face detector (no model file; ships in dlib).

Coarse to fine: it first looks at a copy of the image reduced to ``max_side`` pixels (480 by
default; HOG's window is 80 px, so a portrait loses nothing and this pass is cheap). Only when that
finds nothing does it look again at twice the scale, then twice again (``max_upsample`` retries),
each copy made from the original image, so a small face in a large photo (a CCTV still) is seen
with its own detail rather than as an enlarged blur of the reduced copy; a small image (a person
crop) is enlarged the same way. Retries stop at the scale where a face of ``smallest_face`` pixels
fills HOG's 80 px window (a smaller one would fail the quality gate anyway), and before the
working copy's longest side passes ``upsample_limit``. Boxes are mapped back to full resolution,
where landmarks and embeddings are computed.
"""

from __future__ import annotations

import logging
import threading
from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.types import FaceBox, Image

logger = logging.getLogger(__name__)

HOG_WINDOW_PX = 80
"""Width of the faces dlib's frontal detector is trained to find (its sliding window)."""


class DlibHogConfig(BaseModel):
    """dlib's HOG frontal face detector."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["dlib-hog"] = "dlib-hog"
    max_side: int = Field(480, ge=160, le=4096, description="Detect on a copy reduced to this longest side.")
    min_score: float = Field(
        0.0, ge=-1.0, le=3.0, description="SVM score threshold (dlib's default 0; lower finds more, falsely)."
    )
    max_upsample: int = Field(
        2, ge=0, le=3, description="Retries at twice the previous scale when nothing is found."
    )
    upsample_limit: int = Field(
        2048, ge=0, le=8192,
        description="A retry runs only while its working copy's longest side stays within this.",
    )
    smallest_face: float = Field(
        40.0, ge=8.0, le=2000.0,
        description="Smallest face worth finding, in image pixels (retries go no finer than this; "
                    "the quality gate's min_face_px).",
    )


class DlibHogDetector:
    """Faces in a BGR or grey image, largest first.

    >>> DlibHogDetector().detect(np.zeros((240, 320, 3), np.uint8))
    []
    """

    name = "dlib-hog"

    def __init__(self, config: DlibHogConfig | None = None) -> None:
        import dlib

        self.config = config or DlibHogConfig()
        self._detector = dlib.get_frontal_face_detector()
        self._lock = threading.Lock()  # dlib's detector object is not documented as thread-safe

    def scales(self, height: int, width: int) -> list[float]:
        """The working scales tried in turn, coarse to fine.

        >>> DlibHogDetector().scales(1080, 1920)
        [0.25, 0.5, 1.0]
        >>> DlibHogDetector().scales(300, 200)
        [1.0, 2.0]
        """
        side = max(height, width)
        finest = HOG_WINDOW_PX / self.config.smallest_face
        out = [min(1.0, self.config.max_side / side)]
        for _ in range(self.config.max_upsample):
            scale = min(out[-1] * 2.0, finest)
            if scale <= out[-1] or side * scale > self.config.upsample_limit:
                break
            out.append(scale)
        return out

    def detect(self, image: Image) -> list[FaceBox]:
        """Detect faces; boxes in ``image`` pixels with dlib's SVM score."""
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        h, w = gray.shape[:2]
        faces: list[FaceBox] = []
        for scale in self.scales(h, w):
            faces = self._run(_rescaled(np.asarray(gray, np.uint8), scale), scale)
            if faces:
                break
        faces.sort(key=lambda f: -f.area)
        logger.debug("dlib-hog: %d faces in %dx%d (scale %.3f)", len(faces), w, h, scale)
        return faces

    def _run(self, work: Image, scale: float) -> list[FaceBox]:
        with self._lock:
            rects, scores, _ = self._detector.run(work, 0, self.config.min_score)
        return [
            FaceBox((r.left() / scale, r.top() / scale, (r.right() + 1) / scale, (r.bottom() + 1) / scale),
                    float(s))
            for r, s in zip(rects, scores, strict=True)
        ]


def _rescaled(gray: Image, scale: float) -> Image:
    """``gray`` at ``scale``: area-averaged when reduced, bilinear when enlarged."""
    if scale == 1.0:
        return gray
    h, w = gray.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(gray, size, interpolation=interp))
