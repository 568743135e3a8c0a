"""``dlib-resnet``: dlib's 128-d face-recognition ResNet from the ``face-recognition-models`` wheel.

The network is trained with a metric loss: two chips of the same person are pushed closer than
``threshold - margin`` (0.6 - 0.04) in Euclidean distance, different people further than
``threshold + margin``. Both numbers are read from the model file; the matcher's default
threshold is ``threshold - margin`` = 0.56, the edge of the region where training put genuine pairs.

It runs through onnxruntime (the weights converted at start-up by :mod:`.dlib_convert`, about 8 ms
per chip on one core instead of dlib's 100 ms), or through dlib itself (``backend: dlib``).
Test-time views: the chip and its mirror image (``flip``), optionally also shifted by a few pixels
(``flip-shift``); the descriptors of the views are averaged.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.align import Matrix, dlib_chip_transform, shifted, warp_chip
from amane.vision.faces.dlib_convert import DlibModelError, _Reader
from amane.vision.faces.models import RESNET, model_path
from amane.vision.faces.types import FaceBox, FloatArray, Image

logger = logging.getLogger(__name__)

CHIP_SIZE = 150
CHIP_PADDING = 0.25
_SHIFTS = ((0.0, 0.0), (3.0, 0.0), (-3.0, 0.0), (0.0, 3.0), (0.0, -3.0))


class DlibResnetConfig(BaseModel):
    """dlib's ResNet face descriptor (128-d, Euclidean)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["dlib-resnet"] = "dlib-resnet"
    backend: Literal["onnxruntime", "dlib"] = Field(
        "onnxruntime", description="onnxruntime (same weights, ~10x faster on CPU) or dlib's own kernels."
    )
    views: Literal["single", "flip", "flip-shift"] = Field(
        "flip", description="Test-time views averaged: 1, 2 (mirror) or 10 (mirror x 5 shifts)."
    )
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads.")


@lru_cache(maxsize=1)
def training_margin() -> tuple[float, float]:
    """(distance threshold, margin) of the model's metric loss, read from the model file.

    >>> training_margin()
    (0.6, 0.04)
    """
    data = model_path(RESNET).read_bytes()[:64]
    tag = b"loss_metric_"
    idx = data.find(tag)
    if idx < 0:
        raise DlibModelError("the ResNet file has no loss_metric layer")
    reader = _Reader(data, idx + len(tag) + 1)
    margin = reader.float_()
    threshold = reader.float_()
    return round(threshold, 6), round(margin, 6)


@lru_cache(maxsize=1)
def _onnx_bytes() -> bytes:
    from amane.vision.faces.dlib_convert import convert

    return convert(model_path(RESNET))


class DlibResnetEmbedder:
    """128-d descriptors of faces given by their dlib 5-point landmarks.

    >>> emb = DlibResnetEmbedder()
    >>> emb.embed_chips(np.zeros((1, 150, 150, 3), np.uint8)).shape
    (1, 128)
    """

    name = "dlib-resnet"
    dim = 128
    landmark_scheme = "dlib5"

    def __init__(self, config: DlibResnetConfig | None = None) -> None:
        self.config = config or DlibResnetConfig()
        self._lock = threading.Lock()
        thr, margin = training_margin()
        self.default_threshold = round(thr - margin, 6)
        """Euclidean distance below which two faces are called the same person."""
        self.model_id = f"dlib-resnet-v1/{self.config.views}"
        if self.config.backend == "onnxruntime":
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.config.threads
            opts.inter_op_num_threads = 1
            self._session = ort.InferenceSession(_onnx_bytes(), opts, providers=["CPUExecutionProvider"])
        else:
            import dlib

            self._dlib = dlib.face_recognition_model_v1(str(model_path(RESNET)))

    def chip_transforms(self, points: FloatArray) -> list[Matrix]:
        """The chip -> image matrices of the test-time views (before mirroring)."""
        base = dlib_chip_transform(points, CHIP_SIZE, CHIP_PADDING)
        shifts = _SHIFTS if self.config.views == "flip-shift" else _SHIFTS[:1]
        return [shifted(base, dx, dy) for dx, dy in shifts]

    def chips(self, image: Image, face: FaceBox, points: FloatArray) -> list[Image]:
        """The aligned 150 px RGB chips of all views of a face in a BGR image (first: the plain chip)."""
        out = [np.ascontiguousarray(warp_chip(image, m, CHIP_SIZE)[:, :, ::-1])
               for m in self.chip_transforms(points)]
        if self.config.views != "single":
            out += [np.ascontiguousarray(c[:, ::-1]) for c in out]
        return out

    def embed_chips(self, chips: np.ndarray) -> FloatArray:
        """Descriptors (N, 128) of N aligned 150x150 RGB chips."""
        batch = np.ascontiguousarray(chips, dtype=np.uint8)
        if self.config.backend == "onnxruntime":
            with self._lock:
                out = self._session.run(None, {"chip": batch})[0]
            return np.asarray(out, np.float32)
        vecs = self._dlib.compute_face_descriptor(list(batch))
        return np.array([np.asarray(v) for v in vecs], np.float32)

    def embed(self, image: Image, face: FaceBox, points: FloatArray) -> tuple[FloatArray, Image]:
        """The view-averaged descriptor of one face in a BGR image, and its aligned RGB chip."""
        chips = self.chips(image, face, points)
        vec = self.embed_chips(np.stack(chips)).mean(axis=0)
        return vec.astype(np.float32), chips[0]
