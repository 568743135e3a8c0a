"""``opencv-yunet``: OpenCV's ``FaceDetectorYN`` with a user-supplied YuNet ONNX file.

No YuNet model ships with amane (none comes in a PyPI wheel); point ``path`` at
``face_detection_yunet_2023mar.onnx`` from the OpenCV model zoo. YuNet also gives the five
ArcFace-order landmarks, which the ``onnx-arcface`` embedder then uses directly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.types import FaceBox, Image

logger = logging.getLogger(__name__)


class YuNetConfig(BaseModel):
    """OpenCV's YuNet face detector (user-supplied ONNX file)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["opencv-yunet"]
    path: Path = Field(description="The YuNet .onnx file.")
    score_threshold: float = Field(0.8, ge=0.0, le=1.0, description="Minimum face score.")
    nms_threshold: float = Field(0.3, ge=0.0, le=1.0, description="IoU above which boxes are merged.")
    max_side: int = Field(640, ge=64, le=4096, description="Detect on a copy reduced to this longest side.")


class YuNetDetector:
    """Faces with 5 landmarks, largest first."""

    name = "opencv-yunet"

    def __init__(self, config: YuNetConfig) -> None:
        if not config.path.is_file():
            raise FileNotFoundError(f"YuNet model not found: {config.path}")
        self.config = config
        self._net = cv2.FaceDetectorYN.create(str(config.path), "", (320, 320), config.score_threshold,
                                              config.nms_threshold)

    def detect(self, image: Image) -> list[FaceBox]:
        """Detect faces in a BGR image."""
        h, w = image.shape[:2]
        scale = min(1.0, self.config.max_side / max(h, w))
        work = image if scale >= 1.0 else cv2.resize(image, (round(w * scale), round(h * scale)),
                                                     interpolation=cv2.INTER_AREA)
        self._net.setInputSize((work.shape[1], work.shape[0]))
        _, rows = self._net.detect(work)
        faces: list[FaceBox] = []
        for row in [] if rows is None else rows:
            x, y, bw, bh = (float(v) / scale for v in row[:4])
            lm = (np.asarray(row[4:14], np.float32).reshape(5, 2) / scale).astype(np.float32)
            faces.append(FaceBox((x, y, x + bw, y + bh), float(row[14]), lm))
        faces.sort(key=lambda f: -f.area)
        return faces
