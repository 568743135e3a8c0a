"""``onnx-yolo``: a YOLO-family detector exported to ONNX (YOLOv5/v7/X, YOLOv8/v11, end-to-end NMS-free).

The image is letterboxed to the model's input size, the output decoded according to its layout, and
the boxes mapped back to image pixels:

* ``v5``: (1, N, 5 + C) rows of cx, cy, w, h, objectness, class scores (YOLOv5, v7, YOLOX decoded);
* ``v8``: (1, 4 + C, N) columns of cx, cy, w, h, class scores (YOLOv8, v9, v11);
* ``end2end``: (1, N, 6) rows of x1, y1, x2, y2, score, class (YOLOv10 and NMS-exported models).

``auto`` picks by shape. Then a confidence threshold, class-wise NMS and a class map (model class ->
COCO id). onnxruntime uses TensorRT or CUDA when available, else the CPU.

>>> lb = Letterbox.fit((720, 1280), (640, 640))
>>> lb.scale, lb.pad_x, lb.pad_y
(0.5, 0, 140)
>>> lb.unmap(np.array([[0.0, 140.0, 640.0, 500.0]]), (720, 1280)).tolist()
[[0.0, 0.0, 1280.0, 720.0]]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.core.detections import Detections
from amane.vision.detect.base import Box, Image, nms

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
PREFERRED_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


class OnnxYoloConfig(BaseModel):
    """A YOLO-family ONNX model file."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["onnx-yolo"]
    path: Path = Field(description="The .onnx file.")
    input_size: tuple[int, int] | None = Field(
        None, description="(width, height) the model takes; None: read from the model (640x640 if dynamic)."
    )
    layout: Literal["auto", "v5", "v8", "end2end"] = Field("auto", description="Output layout (see module).")
    num_classes: int = Field(
        80, ge=1, le=10_000, description="Classes the model predicts (to tell v5 from v8 rows)."
    )
    confidence: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Minimum score kept (objectness x class "
        "for v5). Keep it low: the tracker uses weak boxes to continue tracks.",
    )
    nms_iou: float = Field(0.45, ge=0.0, le=1.0, description="Class-wise NMS IoU.")
    classes: list[int] | None = Field(
        [0, 1, 2, 3, 5, 7], description="Output classes kept, after the class map (None: all)."
    )
    class_map: dict[int, int] = Field(
        default_factory=dict,
        description="Model class id -> COCO id for models not trained on COCO (unmapped ids pass through).",
    )
    rgb: bool = Field(True, description="Feed RGB (True for Ultralytics/YOLOX exports) rather than BGR.")
    normalize: bool = Field(True, description="Scale pixels to [0, 1] (False for YOLOX, which wants 0-255).")
    pad_value: int = Field(114, ge=0, le=255, description="Letterbox border grey level.")
    skip_when_still: bool = Field(
        True, description="Return nothing at once when the motion gate saw no motion (regions == [])."
    )
    providers: list[str] | None = Field(
        None,
        description="onnxruntime providers in order (None: TensorRT, CUDA, CPU, whichever are available).",
    )
    threads: int = Field(0, ge=0, le=64, description="CPU intra-op threads (0: onnxruntime's default).")


@dataclass(frozen=True)
class Letterbox:
    """Resize keeping the aspect ratio, then pad to the model's input size (Ultralytics' rounding)."""

    scale: float
    pad_x: int
    pad_y: int
    new_w: int
    new_h: int
    out_w: int
    out_h: int

    @classmethod
    def fit(cls, image_hw: tuple[int, int], input_wh: tuple[int, int]) -> Letterbox:
        """The letterbox that fits an (h, w) image into a (w, h) model input."""
        h, w = image_hw
        out_w, out_h = input_wh
        scale = min(out_w / w, out_h / h)
        new_w, new_h = round(w * scale), round(h * scale)
        pad_x = round((out_w - new_w) / 2 - 0.1)
        pad_y = round((out_h - new_h) / 2 - 0.1)
        return cls(scale, pad_x, pad_y, new_w, new_h, out_w, out_h)

    def apply(self, image: Image, pad_value: int) -> Image:
        """The letterboxed image."""
        resized = cv2.resize(image, (self.new_w, self.new_h), interpolation=cv2.INTER_LINEAR)
        right = self.out_w - self.new_w - self.pad_x
        bottom = self.out_h - self.new_h - self.pad_y
        return np.asarray(
            cv2.copyMakeBorder(
                resized,
                self.pad_y,
                bottom,
                self.pad_x,
                right,
                cv2.BORDER_CONSTANT,
                value=(pad_value, pad_value, pad_value),
            ),
            np.uint8,
        )

    def unmap(self, xyxy: FloatArray, image_hw: tuple[int, int]) -> FloatArray:
        """Boxes in model-input pixels -> image pixels, clipped to the image."""
        pad = np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y], dtype=np.float64)
        out: FloatArray = (xyxy - pad) / self.scale
        h, w = image_hw
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, w)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, h)
        return out


def decode(
    output: npt.NDArray[Any], layout: str, num_classes: int, min_score: float = 0.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A raw YOLO output -> (xyxy in model pixels, score, class id) of candidates scoring ``min_score`` up.

    Candidates are filtered before anything else is computed (8400 of them, a handful kept).

    >>> v8 = np.zeros((1, 6, 3)); v8[0, :4, 0] = [50, 50, 20, 40]; v8[0, 5, 0] = 0.9   # 2 classes
    >>> boxes, score, cls = decode(v8, "auto", 2, min_score=0.25)
    >>> boxes.tolist(), score.round(2).tolist(), cls.tolist()
    ([[40.0, 30.0, 60.0, 70.0]], [0.9], [1.0])
    """
    out = np.asarray(output)
    if out.ndim == 3:
        if out.shape[0] != 1:
            raise ValueError(f"expected a batch of one, got output shape {out.shape}")
        out = out[0]
    if out.ndim != 2:
        raise ValueError(f"expected a (1, rows, cols) output, got shape {np.shape(output)}")
    if layout == "auto":
        layout = _guess_layout(out.shape, num_classes)
    if layout == "v8":
        if out.shape[0] == 4 + num_classes or out.shape[1] != 4 + num_classes:
            out = out.T  # (4 + C, N) -> (N, 4 + C); some exports are already transposed
        best = out[:, 4:].max(axis=1)
        rows = out[best >= min_score].astype(np.float64)
        cls = rows[:, 4:].argmax(axis=1)
        return _cxcywh_to_xyxy(rows[:, :4]), rows[np.arange(len(rows)), 4 + cls], cls.astype(np.float64)
    if layout == "v5":
        rows = out[out[:, 4] >= min_score].astype(np.float64)  # objectness bounds the final score
        class_scores = rows[:, 5:]
        if class_scores.shape[1]:
            cls = class_scores.argmax(axis=1)
            score = rows[:, 4] * class_scores[np.arange(len(rows)), cls]
        else:
            cls, score = np.zeros(len(rows), dtype=np.int64), rows[:, 4]
        keep = score >= min_score
        return _cxcywh_to_xyxy(rows[keep, :4]), score[keep], cls[keep].astype(np.float64)
    if layout == "end2end":
        rows = out[out[:, 4] >= min_score].astype(np.float64)
        return rows[:, :4].copy(), rows[:, 4].copy(), rows[:, 5].copy()
    raise ValueError(f"unknown layout {layout!r}: use auto, v5, v8 or end2end")


def _guess_layout(shape: tuple[int, ...], num_classes: int) -> str:
    rows, cols = shape
    if cols == 5 + num_classes:
        return "v5"
    if rows == 4 + num_classes or cols == 4 + num_classes:
        return "v8"
    if cols == 6:
        return "end2end"
    raise ValueError(
        f"cannot tell the layout of a {shape} output with num_classes={num_classes}: expected (N, "
        f"{5 + num_classes}) for v5, ({4 + num_classes}, N) for v8 or (N, 6) for end2end; set layout"
    )


def _cxcywh_to_xyxy(b: FloatArray) -> FloatArray:
    half = b[:, 2:4] / 2
    out: FloatArray = np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)
    return out


def choose_providers(wanted: list[str] | None = None) -> list[str]:
    """The onnxruntime providers to use: ``wanted`` (or TensorRT, CUDA, CPU) filtered to those present.

    >>> choose_providers(["CPUExecutionProvider"])
    ['CPUExecutionProvider']
    """
    import onnxruntime as ort

    available = set(ort.get_available_providers())
    chosen = [p for p in (wanted or PREFERRED_PROVIDERS) if p in available]
    return chosen or ["CPUExecutionProvider"]


class OnnxYoloDetector:
    """Runs a YOLO-family ONNX model with onnxruntime."""

    def __init__(self, config: OnnxYoloConfig) -> None:
        import onnxruntime as ort

        self.config = config
        if not config.path.is_file():
            raise FileNotFoundError(f"ONNX model not found: {config.path}")
        options = ort.SessionOptions()
        if config.threads:
            options.intra_op_num_threads = config.threads
        providers = choose_providers(config.providers)
        self.session = ort.InferenceSession(str(config.path), options, providers=providers)
        logger.info("onnx-yolo %s on %s", config.path.name, self.session.get_providers())
        model_input = self.session.get_inputs()[0]
        self._input_name = model_input.name
        self.input_size = config.input_size or self._static_size(model_input.shape)
        self._input_dtype = np.float16 if "float16" in model_input.type else np.float32

    @staticmethod
    def _static_size(shape: list[Any]) -> tuple[int, int]:
        if len(shape) == 4 and isinstance(shape[2], int) and isinstance(shape[3], int):
            return int(shape[3]), int(shape[2])
        return 640, 640

    def detect(self, image: Image, regions: list[Box] | None = None) -> Detections:
        """Objects in ``image``; nothing when ``regions == []`` and ``skip_when_still``."""
        cfg = self.config
        if regions is not None and not regions and cfg.skip_when_still:
            return Detections.empty()
        hw = (int(image.shape[0]), int(image.shape[1]))
        box = Letterbox.fit(hw, self.input_size)
        blob = self._preprocess(box.apply(image, cfg.pad_value))
        output = self.session.run(None, {self._input_name: blob})[0]
        xyxy, score, cls = decode(output, cfg.layout, cfg.num_classes, cfg.confidence)
        return self._postprocess(box.unmap(xyxy, hw) if len(xyxy) else xyxy, score, cls.astype(np.int64))

    def _preprocess(self, padded: Image) -> npt.NDArray[Any]:
        """HWC BGR uint8 -> NCHW float (RGB and /255 as configured), in one OpenCV pass."""
        scale = 1.0 / 255.0 if self.config.normalize else 1.0
        blob = cv2.dnn.blobFromImage(padded, scalefactor=scale, swapRB=self.config.rgb)
        return np.asarray(blob).astype(self._input_dtype, copy=False)

    def _postprocess(self, xyxy: FloatArray, score: FloatArray, cls: npt.NDArray[np.int64]) -> Detections:
        cfg = self.config
        keep = score >= cfg.confidence
        xyxy, score, cls = xyxy[keep], score[keep], cls[keep]
        if cfg.class_map:
            cls = np.array([cfg.class_map.get(int(c), int(c)) for c in cls], dtype=np.int64)
        if cfg.classes is not None:
            wanted = np.isin(cls, cfg.classes)
            xyxy, score, cls = xyxy[wanted], score[wanted], cls[wanted]
        valid = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        xyxy, score, cls = xyxy[valid], score[valid], cls[valid]
        if len(score) == 0:
            return Detections.empty()
        order = nms(xyxy, score, cls, cfg.nms_iou)
        return Detections(xyxy[order], score[order].clip(0.0, 1.0), cls[order])
