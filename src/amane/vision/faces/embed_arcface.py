"""``onnx-arcface``: a user-supplied ArcFace-style ONNX embedding model (InsightFace and similar).

Pre-processing is the ArcFace convention: the face warped to the standard 112x112 5-point
template, RGB, ``(x - 127.5) / 127.5``, NCHW float32 (``layout: nhwc`` for models exported that
way). The output is L2-normalised, so Euclidean distance ``d`` and cosine similarity ``s`` are one
scale: ``d = sqrt(2 - 2 s)``. When the detector gives five ArcFace landmarks (YuNet, SCRFD) they
are used; with dlib's 5 points the transform is fitted on the eye centres and nose tip.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.align import ARCFACE_TEMPLATE, similarity_to_template, warp_chip
from amane.vision.faces.landmarks import arcface_points_from_dlib5
from amane.vision.faces.types import FaceBox, FloatArray, Image

logger = logging.getLogger(__name__)

ARCFACE_SIZE = 112


class OnnxArcFaceConfig(BaseModel):
    """An ArcFace-style ONNX model (112x112 aligned RGB in, an embedding out)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["onnx-arcface"]
    path: Path = Field(description="The .onnx file.")
    layout: Literal["nchw", "nhwc"] = Field("nchw", description="Input tensor layout of the model.")
    flip: bool = Field(True, description="Average the embedding of the chip and of its mirror image.")
    cosine_threshold: float = Field(
        0.3, ge=-1.0, le=1.0, description="Cosine similarity at or above which two faces match."
    )
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads.")


def preprocess(chips: np.ndarray, layout: str = "nchw") -> FloatArray:
    """uint8 RGB chips (N, 112, 112, 3) -> the float tensor ArcFace models take.

    >>> preprocess(np.full((1, 2, 2, 3), 255, np.uint8)).shape
    (1, 3, 2, 2)
    >>> float(preprocess(np.zeros((1, 2, 2, 3), np.uint8)).max())
    -1.0
    """
    x = (np.asarray(chips, np.float32) - 127.5) / 127.5
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2) if layout == "nchw" else x)


def l2_normalise(vectors: FloatArray) -> FloatArray:
    """Rows scaled to unit length (zero rows stay zero).

    >>> l2_normalise(np.array([[3.0, 4.0]], np.float32)).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), np.float32)


class OnnxArcFaceEmbedder:
    """Unit-length embeddings from an ArcFace-style ONNX model."""

    name = "onnx-arcface"
    landmark_scheme = "arcface5"

    def __init__(self, config: OnnxArcFaceConfig) -> None:
        import onnxruntime as ort

        if not config.path.is_file():
            raise FileNotFoundError(f"ArcFace model not found: {config.path}")
        self.config = config
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = config.threads
        self._session = ort.InferenceSession(str(config.path), opts, providers=ort.get_available_providers())
        self._input = self._session.get_inputs()[0].name
        out_shape = self._session.get_outputs()[0].shape
        self.dim = int(out_shape[-1]) if isinstance(out_shape[-1], int) else 512
        self.default_threshold = math.sqrt(max(0.0, 2.0 - 2.0 * config.cosine_threshold))
        self.model_id = f"onnx-arcface/{config.path.name}"
        self._lock = threading.Lock()

    def chip(self, image: Image, face: FaceBox, points: FloatArray) -> Image:
        """The 112x112 aligned RGB chip (ArcFace template) of a face in a BGR image."""
        if face.landmarks is not None and face.landmarks.shape == (5, 2):
            m = similarity_to_template(face.landmarks, ARCFACE_TEMPLATE)
        else:
            m = similarity_to_template(arcface_points_from_dlib5(points), ARCFACE_TEMPLATE[:3])
        return np.ascontiguousarray(warp_chip(image, m, ARCFACE_SIZE)[:, :, ::-1])

    def embed_chips(self, chips: np.ndarray) -> FloatArray:
        """Unit-length embeddings of aligned 112x112 RGB chips (averaged with the mirror when ``flip``)."""
        batch = np.asarray(chips, np.uint8)
        views = np.concatenate([batch, batch[:, :, ::-1]]) if self.config.flip else batch
        with self._lock:
            out = np.asarray(self._session.run(None, {self._input: preprocess(views, self.config.layout)})[0],
                             np.float32).reshape(len(views), -1)
        out = l2_normalise(out)
        if self.config.flip:
            out = out[: len(batch)] + out[len(batch):]
        return l2_normalise(out)

    def embed(self, image: Image, face: FaceBox, points: FloatArray) -> tuple[FloatArray, Image]:
        """The embedding of one face in a BGR image and its aligned RGB chip."""
        chip = self.chip(image, face, points)
        return self.embed_chips(chip[None])[0], chip
