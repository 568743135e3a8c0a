"""RapidOCR (PP-OCRv4 det + rec, ONNX models shipped in ``rapidocr-onnxruntime``) as a plate reader.

A general text reader: a baseline for the plate models, and a second opinion on Latin plates.
Text lines it finds in the crop are joined left to right and normalised; characters outside the
plate alphabet are dropped.

>>> import numpy as np
>>> RapidPlateOCR(RapidOCRConfig()).read(np.full((40, 160, 3), 255, np.uint8)).text
''
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from amane.core.plates import CHARSET, normalize_plate
from amane.vision.plates.base import Image, PlateRead

logger = logging.getLogger(__name__)


class RapidOCRConfig(BaseModel):
    """Configuration of the RapidOCR reader."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["rapidocr"] = "rapidocr"
    use_det: bool = Field(True, description="Run the text detector first (else recognise the whole crop)")
    threads: int = Field(1, ge=1, le=16, description="onnxruntime intra-op threads")
    det_limit_type: Literal["max", "min"] = Field(
        "max",
        description="'max': images are shrunk so the long side is at most 736 px (RapidOCR 1.4.4 ignores "
        "det_limit_side_len in this mode); 'min': RapidOCR's default, small images are enlarged so the "
        "short side is 736 px (slow on large plate crops)",
    )


class RapidPlateOCR:
    """Wraps :class:`rapidocr_onnxruntime.RapidOCR`."""

    name = "rapidocr"

    def __init__(self, config: RapidOCRConfig | None = None) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.config = config or RapidOCRConfig()
        self.engine = RapidOCR(
            intra_op_num_threads=self.config.threads,
            inter_op_num_threads=1,
            det_limit_type=self.config.det_limit_type,
        )

    def lines(self, image: Image) -> list[tuple[list[list[float]], str, float]]:
        """Raw text lines: (quad, text, score)."""
        result: Any
        result, _ = self.engine(image, use_det=self.config.use_det, use_cls=False, use_rec=True)
        if not result:
            return []
        if not self.config.use_det:
            h, w = image.shape[:2]
            quad = [[0.0, 0.0], [float(w), 0.0], [float(w), float(h)], [0.0, float(h)]]
            return [(quad, str(t), float(s)) for t, s in result]
        return [(q, str(t), float(s)) for q, t, s in result]

    def read(self, crop: Image) -> PlateRead:
        """Join the lines top to bottom, left to right; keep plate characters only."""
        lines = self.lines(crop)
        if not lines:
            return PlateRead.empty(self.name)
        lines.sort(
            key=lambda ln: (
                round(min(p[1] for p in ln[0]) / max(crop.shape[0] * 0.3, 1)),
                min(p[0] for p in ln[0]),
            )
        )
        text = "".join(c for c in normalize_plate("".join(t for _, t, _ in lines)) if c in CHARSET)
        if not text:
            return PlateRead.empty(self.name)
        conf = min(max(0.0, min(s for _, _, s in lines)), 1.0)
        return PlateRead(text, conf, (), self.name)
