"""Plate reading end to end: localise in a frame, rectify, read, keep the plausible reads.

>>> import numpy as np
>>> reader = PlateReader()
>>> reader.read_frame(np.zeros((240, 320, 3), np.uint8))
[]
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
from pydantic import BaseModel, ConfigDict, Field, field_validator

from amane.core.latin_formats import FORMATS as LATIN_FORMATS
from amane.core.latin_formats import fit_latin_format, fits_a_format, pattern_log_share
from amane.core.plates import parse_moroccan
from amane.vision.plates.base import Image, PlateOCR, PlateRead
from amane.vision.plates.emblems import mask_emblems
from amane.vision.plates.formats import motorcycle_rows
from amane.vision.plates.localize import LocalizerConfig, PlateLocalizer, Quad, above, rectify, widen
from amane.vision.plates.ocr_crnn import CrnnOCRConfig, CrnnPlateOCR, shrink
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
    crop_lines: int = Field(
        2, ge=0, le=8, description="On crops: also read the widest text lines the localiser finds (0: off)"
    )
    crop_side: int = Field(256, ge=96, le=1024, description="On crops: long side the localiser works at")
    rectified_height: int = Field(64, ge=16, le=256, description="Height plates are warped to before OCR")
    read_margin: float = Field(
        0.04,
        ge=0.0,
        le=0.3,
        description="The second opinion also reads a localised plate with this fraction of its width "
        "added on each side",
    )
    second_opinion: RapidOCRConfig | None = Field(
        default_factory=lambda: RapidOCRConfig(use_det=False),
        description="Also read each localised plate with this engine (RapidOCR's recogniser on the rectified "
        "crop; None: off). The CRNN's read is kept when it is a valid Moroccan plate (its speciality), "
        "else this engine's read when plausible: it reads Latin plates better (docs/plates.md)",
    )
    square_plates: bool = Field(
        True,
        description="A localised line that reads as a bare serial is also read with the row above it, as a "
        "square Moroccan plate (letter and region over the serial); kept when that reads a valid plate "
        "with the same serial",
    )
    mask_emblems: bool = Field(
        True,
        description="Paint out coloured emblems, stickers and bands (EU band, coats of arms, inspection "
        "stickers) before the second opinion reads a plate (they read as characters); both views are "
        "read, the one fitting a national format wins",
    )
    fit_latin_formats: bool = Field(
        True,
        description="Fix the second opinion's letter/digit look-alikes (0/O, 1/I, 8/B, ...) with the fewest "
        "swaps that fit a national plate format (amane.core.latin_formats)",
    )
    latin_countries: list[str] = Field(
        default_factory=list,
        description="Countries whose Latin plate formats are expected on the road (ISO codes of "
        "amane.core.latin_formats.FORMATS; empty: all, weighted by fleet size)",
    )

    @field_validator("latin_countries")
    @classmethod
    def _known_countries(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(LATIN_FORMATS))
        if unknown:
            raise ValueError(f"latin_countries: no formats for {unknown}; known: {sorted(LATIN_FORMATS)}")
        return value


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


_DIGIT_LOOKALIKES = str.maketrans("OQDIZSBGTA", "0001258674")
"""Latin letters a reader may put for a digit."""


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
        """Read a crop already cut around one plate (loosely, tilted, with some car around it).

        The crop is read as it is, and the text lines the localiser finds in it are read rectified
        (tight and level); the reads of all these views vote (:meth:`CrnnPlateOCR.read`)."""
        if crop.size:
            crop = shrink(crop, self.config.ocr.work_height)
        if isinstance(self.ocr, CrnnPlateOCR):  # it makes the lines only when its own views are unsure
            return self.ocr.read(crop, lambda: self._crop_lines(crop))
        return max([self.ocr.read(x) for x in [crop, *self._crop_lines(crop)]], key=plausibility)

    def _crop_lines(self, crop: Image) -> list[Image]:
        """The widest text lines the localiser finds in a crop, rectified (at most ``crop_lines``)."""
        if self.config.crop_lines <= 0 or not crop.size or min(crop.shape[:2]) < 8:
            return []
        h, w = crop.shape[:2]
        pad = max(2, int(0.12 * max(h, w)))
        padded = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        found = self.localizer.lines(padded, self.config.crop_side)
        widest = sorted(found, key=lambda c: -c.width)[: self.config.crop_lines]
        return [rectify(padded, cand.quad, self.config.rectified_height) for cand in widest]

    def read_candidates(
        self, frame: Image, regions: list[tuple[float, float, float, float]] | None = None
    ) -> list[PlateDetection]:
        """Every localised candidate with its read (possibly empty or implausible), localiser order."""
        out = []
        for cand in self.localizer.find(frame, regions):
            crop = rectify(frame, cand.quad, self.config.rectified_height)
            read = self.ocr.read(crop)
            if self.second is not None and (not self._ok(read) or parse_moroccan(read.text) is None):
                wide = None
                if self.config.read_margin > 0:
                    wide = rectify(
                        frame, widen(cand.quad, self.config.read_margin), self.config.rectified_height
                    )
                other = self._second_opinion(crop, wide)
                if self._ok(other):
                    read = other
            square = self._square_plate(frame, cand.quad, read) if self.config.square_plates else None
            out.append(square or PlateDetection(cand.quad, read, crop))
        return out

    def _square_plate(self, frame: Image, quad: Quad, read: PlateRead) -> PlateDetection | None:
        """The square Moroccan plate a line that reads as a bare serial may be the bottom row of: the
        line with a row as tall above it, read by the CRNN (its two-row reading), when that is a valid
        standard plate whose serial is the line's read, or a motorcycle's whose six-digit serial it is
        (Latin look-alikes of digits allowed: a bare serial is often read by the second opinion,
        ``ZT069`` for ``27069``). None otherwise."""
        serial = read.text.translate(_DIGIT_LOOKALIKES)
        if not isinstance(self.ocr, CrnnPlateOCR) or not serial.isdigit() or not 1 <= len(serial) <= 6:
            return None
        square = above(quad, 1.1, 0.1)
        crop = rectify(frame, square, 2 * self.config.rectified_height)
        whole = self.ocr.read(crop, square=len(serial) == 6)
        plate = parse_moroccan(whole.text)
        car = plate is not None and plate.kind == "standard" and plate.serial == serial
        rows = motorcycle_rows(whole.text)
        if not car and (rows is None or rows[1] != serial):
            return None
        return PlateDetection(square, whole, crop)

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

    def _second_opinion(self, crop: Image, wide: Image | None = None) -> PlateRead:
        """The second engine's read of a (Latin) plate: of the crop as it is, with its emblems painted
        out and cut wider (a localised line may clip the first or last character), fitted to the
        national formats; a read that fits one wins, the likelier pattern (road share x confidence)
        first."""
        assert self.second is not None
        views = [crop]
        if self.config.mask_emblems:
            masked = mask_emblems(crop)
            if masked is not crop:
                views.append(masked)
        if wide is not None:
            views.append(wide)
        reads = []
        for view in views:
            r = self.second.read(view)
            text = r.text
            if self.config.fit_latin_formats:
                text = fit_latin_format(r.text, countries=tuple(self.config.latin_countries))
            reads.append(PlateRead(text, r.confidence, r.char_confidences, r.engine) if text != r.text else r)
        countries = tuple(self.config.latin_countries)
        return max(
            reads,
            key=lambda r: (
                self._ok(r),
                fits_a_format(r.text),
                pattern_log_share(r.text, countries) + math.log(max(r.confidence, 1e-6)),
            ),
        )

    def _ok(self, read: PlateRead) -> bool:
        n = len(read.text)
        return (
            self.config.min_chars <= n <= self.config.max_chars
            and read.confidence >= self.config.min_confidence
        )
