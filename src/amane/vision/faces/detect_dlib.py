"""``dlib-hog``: dlib's HOG + linear SVM frontal face detector (no model file; ships in dlib).

Fast by design: it looks at a copy of the image reduced to ``max_side`` pixels (480 by default; HOG
finds faces from about 80 px wide, so portraits lose nothing), upsamples only when nothing was found and
the image is small (a person crop from a street camera), and maps the boxes back to full
resolution, where landmarks and embeddings are computed.
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


class DlibHogConfig(BaseModel):
    """dlib's HOG frontal face detector."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["dlib-hog"] = "dlib-hog"
    max_side: int = Field(480, ge=160, le=4096, description="Detect on a copy reduced to this longest side.")
    min_score: float = Field(
        0.0, ge=-1.0, le=3.0, description="SVM score threshold (dlib's default 0; lower finds more, falsely)."
    )
    max_upsample: int = Field(
        2, ge=0, le=3, description="Times the image may be doubled when nothing is found (small images)."
    )
    upsample_limit: int = Field(
        1280, ge=0, le=8192, description="Upsample only while the upsampled longest side stays within this."
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

    def detect(self, image: Image) -> list[FaceBox]:
        """Detect faces; boxes in ``image`` pixels with dlib's SVM score."""
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        h, w = gray.shape[:2]
        scale = min(1.0, self.config.max_side / max(h, w))
        work = gray if scale >= 1.0 else cv2.resize(
            gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
        faces: list[FaceBox] = []
        for upsample in range(self.config.max_upsample + 1):
            if upsample and max(work.shape) * 2**upsample > self.config.upsample_limit:
                break
            with self._lock:
                rects, scores, _ = self._detector.run(work, upsample, self.config.min_score)
            faces = [
                FaceBox((r.left() / scale, r.top() / scale, (r.right() + 1) / scale,
                         (r.bottom() + 1) / scale), float(s))
                for r, s in zip(rects, scores, strict=True)
            ]
            if faces:
                break
        faces.sort(key=lambda f: -f.area)
        logger.debug("dlib-hog: %d faces in %dx%d (scale %.3f)", len(faces), w, h, scale)
        return faces


_ = np
