"""``dlib+mobilefacenet`` (default): dlib's ResNet and MobileFaceNet fused into one Euclidean template.

Both models embed the same detected face (dlib's 5 landmarks: dlib's 150 px chip for the ResNet,
the 112 px ArcFace-style crop for MobileFaceNet, each with its mirror image). Each distance is
divided by that model's own threshold (dlib: 0.56, the edge of its training margin, read from the
model file; MobileFaceNet: 0.894, the operating point it was published with), so 1 means "at the
threshold" for either; the fused squared distance is their weighted sum::

    d^2 = s * (d_dlib / t_dlib)^2 + (1 - s) * (d_mfn / t_mfn)^2

That is the Euclidean distance between the concatenations
``[sqrt(s) * v_dlib / t_dlib, sqrt(1 - s) * v_mfn / t_mfn]``, so the template is one 320-d vector
and the watchlist index (exact L2 / IVF) and the track averaging work on it unchanged. The
threshold is 1.0: two faces match when the models, weighted, put them within their thresholds.
``s`` (``dlib_share``) is 0.5, equal shares: nothing was fitted on the evaluation sets.

>>> fused = fuse(np.zeros((1, 128), np.float32), np.ones((1, 192), np.float32), 0.5, 0.56, 0.894)
>>> fused.shape
(1, 320)
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.embed_dlib import DlibResnetConfig, DlibResnetEmbedder
from amane.vision.faces.embed_mobilefacenet import MobileFaceNetConfig, MobileFaceNetEmbedder
from amane.vision.faces.types import FaceBox, FloatArray, Image


class DlibMobileFaceNetConfig(BaseModel):
    """dlib's ResNet and MobileFaceNet, each scaled by its own threshold, concatenated (320-d)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["dlib+mobilefacenet"] = "dlib+mobilefacenet"
    dlib: DlibResnetConfig = Field(default_factory=DlibResnetConfig, description="The dlib ResNet part.")
    mobilefacenet: MobileFaceNetConfig = Field(default_factory=MobileFaceNetConfig,
                                               description="The MobileFaceNet part.")
    dlib_share: float = Field(
        0.5, ge=0.0, le=1.0,
        description="s in d^2 = s (d_dlib/t_dlib)^2 + (1-s) (d_mfn/t_mfn)^2; 0.5: equal shares.",
    )


def fuse(dlib_vecs: FloatArray, mfn_vecs: FloatArray, share: float, t_dlib: float, t_mfn: float
         ) -> FloatArray:
    """Rows ``[sqrt(share) * dlib / t_dlib, sqrt(1 - share) * mfn / t_mfn]`` (N, 128 + 192)."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share}")
    a = np.asarray(dlib_vecs, np.float32) * (math.sqrt(share) / t_dlib)
    b = np.asarray(mfn_vecs, np.float32) * (math.sqrt(1.0 - share) / t_mfn)
    return np.ascontiguousarray(np.concatenate([a, b], axis=1), dtype=np.float32)


class DlibMobileFaceNetEmbedder:
    """The fused 320-d template of a face; threshold 1.0 (see the module docstring)."""

    name = "dlib+mobilefacenet"
    default_threshold = 1.0
    """Fused distance below which two faces are called the same person."""

    def __init__(self, config: DlibMobileFaceNetConfig | None = None) -> None:
        self.config = config or DlibMobileFaceNetConfig()
        self.dlib = DlibResnetEmbedder(self.config.dlib)
        self.mobilefacenet = MobileFaceNetEmbedder(self.config.mobilefacenet)
        self.dim = self.dlib.dim + self.mobilefacenet.dim
        self.model_id = (f"dlib+mfn/{self.dlib.model_id}/{self.mobilefacenet.model_id}/"
                         f"s{self.config.dlib_share:g}")

    def fuse(self, dlib_vecs: FloatArray, mfn_vecs: FloatArray) -> FloatArray:
        """The fused templates of the parts' embeddings (each model's own threshold and the share)."""
        return fuse(dlib_vecs, mfn_vecs, self.config.dlib_share, self.dlib.default_threshold,
                    self.mobilefacenet.default_threshold)

    def embed(self, image: Image, face: FaceBox, points: FloatArray) -> tuple[FloatArray, Image]:
        """The fused template of one face in a BGR image, and dlib's aligned 150 px RGB chip."""
        vec_dlib, chip = self.dlib.embed(image, face, points)
        vec_mfn, _ = self.mobilefacenet.embed(image, face, points)
        return self.fuse(vec_dlib[None], vec_mfn[None])[0], chip
