"""One face pipeline: detect -> 5 landmarks -> quality gate -> embed (only faces that pass).

>>> pipe = FacePipeline()
>>> pipe.analyse(np.zeros((240, 320, 3), np.uint8))
[]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.align import dlib_chip_transform, warp_chip
from amane.vision.faces.detect_dlib import DlibHogConfig, DlibHogDetector
from amane.vision.faces.detect_scrfd import ScrfdConfig, ScrfdDetector
from amane.vision.faces.detect_yunet import YuNetConfig, YuNetDetector
from amane.vision.faces.embed_arcface import OnnxArcFaceConfig, OnnxArcFaceEmbedder
from amane.vision.faces.embed_dlib import DlibResnetConfig, DlibResnetEmbedder
from amane.vision.faces.embed_ensemble import DlibMobileFaceNetConfig, DlibMobileFaceNetEmbedder
from amane.vision.faces.embed_mobilefacenet import MobileFaceNetConfig, MobileFaceNetEmbedder
from amane.vision.faces.landmarks import landmarks5
from amane.vision.faces.quality import QualityConfig, assess
from amane.vision.faces.types import FaceBox, FaceQuality, FloatArray, Image

logger = logging.getLogger(__name__)

FaceDetectorConfig = Annotated[DlibHogConfig | YuNetConfig | ScrfdConfig, Field(discriminator="type")]
"""``dlib-hog`` (default, no model file), ``opencv-yunet`` or ``onnx-scrfd`` (user-supplied ONNX)."""
EmbedderConfig = DlibMobileFaceNetConfig | DlibResnetConfig | MobileFaceNetConfig | OnnxArcFaceConfig
FaceEmbedderConfig = Annotated[EmbedderConfig, Field(discriminator="type")]
"""``dlib+mobilefacenet`` (default: both shipped models fused), ``dlib-resnet`` (from a wheel),
``mobilefacenet`` (shipped ONNX) or ``onnx-arcface`` (user-supplied ONNX)."""


class FaceDetector(Protocol):
    """Finds faces in a BGR image, largest first."""

    name: str

    def detect(self, image: Image) -> list[FaceBox]:
        """Faces in image pixels."""
        ...


class FaceEmbedder(Protocol):
    """Turns an aligned face into a vector; faces of one person lie within ``default_threshold``."""

    name: str
    dim: int
    model_id: str
    default_threshold: float

    def embed(self, image: Image, face: FaceBox, points: FloatArray) -> tuple[FloatArray, Image]:
        """(embedding, aligned RGB chip) of a face in a BGR image."""
        ...


class FacePipelineConfig(BaseModel):
    """Detector, embedder and quality gate of the face pipeline."""

    model_config = ConfigDict(extra="forbid")

    detector: FaceDetectorConfig = Field(default_factory=DlibHogConfig, description="Face detector plug-in.")
    embedder: FaceEmbedderConfig = Field(default_factory=DlibMobileFaceNetConfig,
                                         description="Embedding plug-in.")
    quality: QualityConfig = Field(default_factory=QualityConfig, description="The gate before matching.")
    credible_fraction: float = Field(
        0.5, ge=0.0, le=1.0,
        description="The main face is the largest one scoring at least this fraction of the best score "
                    "(a weak hit on clothing never outranks a clear face).",
    )
    several_faces_ratio: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Enrolment refuses a photo whose second face is this wide or more, relative to the 1st.",
    )


@dataclass(frozen=True)
class FaceResult:
    """One analysed face. ``embedding`` is None when the face failed the quality gate."""

    face: FaceBox
    landmarks: FloatArray
    quality: FaceQuality
    chip: Image
    """The aligned 150 px chip, RGB (what a reviewer sees next to the reference)."""
    embedding: FloatArray | None


class PhotoRefused(ValueError):
    """A reference photo cannot be enrolled; ``reason`` is one of ``no_face``, ``several_faces``,
    ``too_small``, ``blurry``, ``pose``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"photo refused: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason


def build_face_detector(config: DlibHogConfig | YuNetConfig | ScrfdConfig) -> FaceDetector:
    """The detector a config names."""
    if isinstance(config, YuNetConfig):
        return YuNetDetector(config)
    if isinstance(config, ScrfdConfig):
        return ScrfdDetector(config)
    return DlibHogDetector(config)


def build_face_embedder(config: EmbedderConfig) -> FaceEmbedder:
    """The embedder a config names."""
    if isinstance(config, OnnxArcFaceConfig):
        return OnnxArcFaceEmbedder(config)
    if isinstance(config, DlibMobileFaceNetConfig):
        return DlibMobileFaceNetEmbedder(config)
    if isinstance(config, MobileFaceNetConfig):
        return MobileFaceNetEmbedder(config)
    return DlibResnetEmbedder(config)


def _landmarks(image: Image, face: FaceBox) -> FloatArray:
    """dlib's 5 points, computed on a grey crop around the face (no full-image conversion)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = face.box
    m = 0.25 * max(x2 - x1, y2 - y1)
    xa, ya = max(0, int(x1 - m)), max(0, int(y1 - m))
    xb, yb = min(w, int(x2 + m) + 1), min(h, int(y2 + m) + 1)
    crop = image[ya:yb, xa:xb]
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    local = FaceBox((x1 - xa, y1 - ya, x2 - xa, y2 - ya), face.score)
    return landmarks5(np.ascontiguousarray(gray), local) + np.array([xa, ya], np.float32)


class FacePipeline:
    """Faces of a BGR image, each with landmarks, quality and (if it passed the gate) an embedding."""

    def __init__(self, config: FacePipelineConfig | None = None, *, detector: FaceDetector | None = None,
                 embedder: FaceEmbedder | None = None) -> None:
        self.config = config or FacePipelineConfig()
        self.detector = detector or build_face_detector(self.config.detector)
        self.embedder = embedder or build_face_embedder(self.config.embedder)

    @property
    def threshold(self) -> float:
        """The embedder's default match threshold (Euclidean distance)."""
        return self.embedder.default_threshold

    def describe(self, image: Image, face: FaceBox, *, gate: bool = True) -> FaceResult:
        """Landmarks, quality and (if it passes, or ``gate`` is False) embedding of one detected face."""
        points = _landmarks(image, face)
        chip_bgr = warp_chip(image, dlib_chip_transform(points), 150)
        chip = np.ascontiguousarray(chip_bgr[:, :, ::-1]) if chip_bgr.ndim == 3 else chip_bgr
        quality = assess(points, face.width, chip, self.config.quality)
        embedding: FloatArray | None = None
        if quality.passed or not gate:
            embedding, _ = self.embedder.embed(image, face, points)
        return FaceResult(face, points, quality, chip, embedding)

    def credible(self, image: Image) -> list[FaceBox]:
        """Detected faces scoring at least ``credible_fraction`` of the best, largest first."""
        faces = self.detector.detect(image)
        if not faces:
            return []
        best = max(f.score for f in faces)
        floor = best - abs(best) * (1.0 - self.config.credible_fraction)
        return sorted((f for f in faces if f.score >= floor), key=lambda f: -f.area)

    def analyse(self, image: Image, *, max_faces: int | None = None, gate: bool = True) -> list[FaceResult]:
        """The credible faces (largest first, at most ``max_faces``)."""
        faces = self.credible(image)
        return [self.describe(image, f, gate=gate) for f in faces[: max_faces or len(faces)]]

    def primary(self, image: Image, *, gate: bool = True) -> FaceResult | None:
        """The main face (largest credible one), or None when there is no face."""
        faces = self.credible(image)
        return self.describe(image, faces[0], gate=gate) if faces else None

    def enrol(self, image: Image) -> FaceResult:
        """The one face of a reference photo; raises :class:`PhotoRefused` with the reason."""
        faces = self.credible(image)
        if not faces:
            raise PhotoRefused("no_face")
        if len(faces) > 1 and faces[1].width >= self.config.several_faces_ratio * faces[0].width:
            raise PhotoRefused("several_faces", f"{len(faces)} faces of similar size")
        result = self.describe(image, faces[0])
        if not result.quality.passed:
            q = result.quality
            raise PhotoRefused(q.reasons[0], f"face {q.face_px:.0f} px, sharpness {q.sharpness:.0f}, "
                                             f"yaw {q.yaw_asymmetry:.2f}, roll {q.roll_deg:.0f}°")
        return result
