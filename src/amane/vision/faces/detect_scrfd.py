"""``onnx-scrfd``: a user-supplied SCRFD face detector (InsightFace ``det_*.onnx``, ``scrfd_*_kps.onnx``).

Pre-processing as InsightFace: the image letterboxed into ``input_size`` at the top-left corner
(aspect kept, zero padding), RGB, ``(x - 127.5) / 128``, NCHW. The model has, per stride (8, 16,
32 for the usual 3-level models; 5 levels also read), a score map, box distances (left, top, right,
bottom, in strides) and optionally 5 landmark offsets, ``anchors`` anchors per cell. Decoded boxes
are thresholded, merged with NMS and mapped back to image pixels; the 5 landmarks are in ArcFace
order, which the ``onnx-arcface`` embedder uses directly.

>>> blob, scale = prepare(np.full((240, 320, 3), 255, np.uint8), (640, 640))
>>> blob.shape, scale, float(blob[0, 0, 0, 0]), float(blob[0, 0, 639, 639])
((1, 3, 640, 640), 2.0, 0.99609375, -0.99609375)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.faces.types import FaceBox, Image

logger = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]


class ScrfdConfig(BaseModel):
    """An SCRFD face detector exported to ONNX (user-supplied)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["onnx-scrfd"]
    path: Path = Field(description="The .onnx file.")
    input_size: tuple[int, int] = Field((640, 640), description="(width, height) the image is fitted into.")
    score_threshold: float = Field(0.5, ge=0.0, le=1.0, description="Minimum face score.")
    nms_threshold: float = Field(0.4, ge=0.0, le=1.0, description="IoU above which boxes are merged.")
    anchors: int = Field(2, ge=1, le=8, description="Anchors per feature-map cell.")
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads.")


def prepare(image: Image, size: tuple[int, int]) -> tuple[F32, float]:
    """(NCHW blob, scale): the BGR image letterboxed top-left into ``size`` (w, h), normalised."""
    h, w = image.shape[:2]
    scale = min(size[0] / w, size[1] / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = np.zeros((size[1], size[0], 3), np.float32)
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas[:nh, :nw] = resized[:, :, ::-1]
    canvas[:nh, :nw] = (canvas[:nh, :nw] - 127.5) / 128.0
    canvas[nh:, :] = -127.5 / 128.0
    canvas[:, nw:] = -127.5 / 128.0
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)[None]), scale


def anchor_centres(height: int, width: int, stride: int, anchors: int) -> F32:
    """(H*W*anchors, 2) x, y centres of a stride's cells, each repeated per anchor.

    >>> anchor_centres(2, 2, 8, 2)[:4].tolist()
    [[0.0, 0.0], [0.0, 0.0], [8.0, 0.0], [8.0, 0.0]]
    """
    ys, xs = np.mgrid[:height, :width]
    centres = (np.stack([xs, ys], axis=-1).reshape(-1, 2) * stride).astype(np.float32)
    return np.repeat(centres, anchors, axis=0) if anchors > 1 else centres


def decode(outputs: list[F32], size: tuple[int, int], anchors: int, threshold: float
           ) -> tuple[F32, F32, F32 | None]:
    """(scores (N,), boxes (N, 4) x1y1x2y2, landmarks (N, 5, 2) or None) in letterbox pixels."""
    outs = [o.reshape(-1, o.shape[-1]) for o in outputs]
    levels = 5 if len(outs) in (10, 15) else 3
    strides = [8, 16, 32, 64, 128][:levels]
    with_kps = len(outs) == 3 * levels
    scores_all, boxes_all, kps_all = [], [], []
    for i, stride in enumerate(strides):
        scores = outs[i][:, 0]
        dist = outs[i + levels] * stride
        h, w = -(-size[1] // stride), -(-size[0] // stride)
        centres = anchor_centres(h, w, stride, anchors)
        if len(centres) != len(scores):
            raise ValueError(f"stride {stride}: {len(scores)} scores for {len(centres)} anchors; "
                             "check input_size and anchors")
        keep = scores >= threshold
        c = centres[keep]
        d = dist[keep]
        boxes_all.append(np.stack([c[:, 0] - d[:, 0], c[:, 1] - d[:, 1],
                                   c[:, 0] + d[:, 2], c[:, 1] + d[:, 3]], axis=-1))
        scores_all.append(scores[keep])
        if with_kps:
            k = outs[i + 2 * levels][keep] * stride
            kps_all.append((k.reshape(-1, 5, 2) + c[:, None, :]).astype(np.float32))
    kps = np.concatenate(kps_all).astype(np.float32) if with_kps else None
    return (np.concatenate(scores_all).astype(np.float32), np.concatenate(boxes_all).astype(np.float32), kps)


class ScrfdDetector:
    """Faces with ArcFace-order landmarks, largest first."""

    name = "onnx-scrfd"

    def __init__(self, config: ScrfdConfig) -> None:
        import onnxruntime as ort

        if not config.path.is_file():
            raise FileNotFoundError(f"SCRFD model not found: {config.path}")
        self.config = config
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = config.threads
        self._session = ort.InferenceSession(str(config.path), opts, providers=ort.get_available_providers())
        self._input = self._session.get_inputs()[0].name

    def detect(self, image: Image) -> list[FaceBox]:
        """Detect faces in a BGR image."""
        blob, scale = prepare(image, self.config.input_size)
        outputs = [np.asarray(o, np.float32) for o in self._session.run(None, {self._input: blob})]
        scores, boxes, kps = decode(outputs, self.config.input_size, self.config.anchors,
                                    self.config.score_threshold)
        if len(scores) == 0:
            return []
        xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]])
        keep = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), self.config.score_threshold,
                                self.config.nms_threshold)
        faces = []
        for i in np.asarray(keep).reshape(-1):
            b = boxes[i] / scale
            lm = None if kps is None else (kps[i] / scale).astype(np.float32)
            faces.append(FaceBox((float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(scores[i]), lm))
        faces.sort(key=lambda f: -f.area)
        return faces
