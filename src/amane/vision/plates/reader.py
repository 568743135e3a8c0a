"""Plate reading end to end: localise in a frame, rectify, read, keep the plausible reads.

>>> import numpy as np
>>> reader = PlateReader()
>>> reader.read_frame(np.zeros((240, 320, 3), np.uint8))
[]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from amane.core.plates import parse_moroccan
from amane.vision.plates.base import Image, PlateOCR, PlateRead
from amane.vision.plates.localize import LocalizerConfig, PlateLocalizer, Quad, rectify
from amane.vision.plates.ocr_crnn import CrnnOCRConfig, CrnnPlateOCR
from amane.vision.plates.ocr_rapid import RapidOCRConfig, RapidPlateOCR

logger = logging.getLogger(__name__)


class ReaderConfig(BaseModel):
    """How frames are read."""

    model_config = ConfigDict(extra="forbid")

    localizer: LocalizerConfig = Field(default_factory=LocalizerConfig)
    ocr: CrnnOCRConfig = Field(default_factory=CrnnOCRConfig)
    min_chars: int = Field(4, ge=1, le=9, description="Shortest read kept as a plate")
    max_chars: int = Field(9, ge=1, le=12, description="Longest read kept as a plate")
    min_confidence: float = Field(0.5, ge=0, le=1, description="Reads below this confidence are dropped")
    rectified_height: int = Field(64, ge=16, le=256, description="Height plates are warped to before OCR")
    second_opinion: RapidOCRConfig | None = Field(
        default_factory=lambda: RapidOCRConfig(use_det=False),
        description="Also read each localised plate with this engine (RapidOCR's recogniser on the rectified "
        "crop; None: off). The CRNN's read is kept when it is a valid Moroccan plate (its speciality), "
        "else this engine's read when plausible: it reads Latin plates better (docs/plates.md)",
    )


@dataclass(frozen=True)
class PlateDetection:
    """A plate found and read in a frame."""

    quad: Quad
    read: PlateRead
    crop: Image

    @property
    def box(self) -> tuple[float, float, float, float]:
        """``xyxy`` around the plate."""
        return (
            float(self.quad[:, 0].min()),
            float(self.quad[:, 1].min()),
            float(self.quad[:, 0].max()),
            float(self.quad[:, 1].max()),
        )


def plausibility(read: PlateRead) -> float:
    """Confidence, raised for reads that parse as a valid Moroccan plate.

    >>> plausibility(PlateRead("57626ب8", 0.8)) > plausibility(PlateRead("57626ب0", 0.8))
    True
    """
    bonus = 0.15 if parse_moroccan(read.text) is not None else 0.0
    return read.confidence + bonus


class PlateReader:
    """Localiser + rectification + OCR engine."""

    def __init__(
        self,
        config: ReaderConfig | None = None,
        ocr: PlateOCR | None = None,
        localizer: PlateLocalizer | None = None,
    ) -> None:
        self.config = config or ReaderConfig()
        self.ocr: PlateOCR = ocr or CrnnPlateOCR(self.config.ocr)
        self.localizer = localizer or PlateLocalizer(self.config.localizer)
        self.second: PlateOCR | None = None
        if self.config.second_opinion is not None:
            self.second = RapidPlateOCR(self.config.second_opinion)

    def read_crop(self, crop: Image) -> PlateRead:
        """Read a crop already cut around one plate."""
        return self.ocr.read(crop)

    def read_candidates(
        self, frame: Image, regions: list[tuple[float, float, float, float]] | None = None
    ) -> list[PlateDetection]:
        """Every localised candidate with its read (possibly empty or implausible), localiser order."""
        out = []
        for cand in self.localizer.find(frame, regions):
            crop = rectify(frame, cand.quad, self.config.rectified_height)
            read = self.ocr.read(crop)
            if self.second is not None:
                other = self.second.read(crop)
                if self._ok(other) and (not self._ok(read) or parse_moroccan(read.text) is None):
                    read = other
            out.append(PlateDetection(cand.quad, read, crop))
        return out

    def read_frame(
        self, frame: Image, regions: list[tuple[float, float, float, float]] | None = None
    ) -> list[PlateDetection]:
        """Plausible plates in ``frame`` (inside ``regions`` when given), most plausible first."""
        found: dict[str, PlateDetection] = {}
        for det in self.read_candidates(frame, regions):
            if not self._ok(det.read):
                continue
            best = found.get(det.read.text)
            if best is None or det.read.confidence > best.read.confidence:
                found[det.read.text] = det
        return sorted(found.values(), key=lambda d: -plausibility(d.read))

    def _ok(self, read: PlateRead) -> bool:
        n = len(read.text)
        return (
            self.config.min_chars <= n <= self.config.max_chars
            and read.confidence >= self.config.min_confidence
        )
