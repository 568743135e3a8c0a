"""Tesseract (the Debian ``tesseract-ocr`` binary) as a plate reader: a baseline only.

Runs ``tesseract`` in single-line mode with the plate alphabet as whitelist. :func:`available`
says whether the binary is installed; the class raises ``FileNotFoundError`` when it is not.

>>> available() in (True, False)
True
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from typing import Literal

import cv2
from pydantic import BaseModel, ConfigDict, Field

from amane.core.plates import CHARSET, DIGITS, LATIN, normalize_plate
from amane.vision.plates.base import Image, PlateRead

logger = logging.getLogger(__name__)


def available() -> bool:
    """Whether the ``tesseract`` binary is on PATH."""
    return shutil.which("tesseract") is not None


class TesseractOCRConfig(BaseModel):
    """Configuration of the Tesseract reader."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["tesseract"] = "tesseract"
    psm: int = Field(7, ge=3, le=13, description="Page segmentation mode (7: one text line, 11: sparse text)")
    timeout_s: float = Field(10.0, gt=0, le=120, description="Per-call time limit")
    min_height: int = Field(48, ge=8, le=400, description="Crops are upscaled to at least this height")


class TesseractPlateOCR:
    """Calls the tesseract binary on a PNG of the crop."""

    name = "tesseract"

    def __init__(self, config: TesseractOCRConfig | None = None) -> None:
        self.config = config or TesseractOCRConfig()
        binary = shutil.which("tesseract")
        if binary is None:
            raise FileNotFoundError("tesseract is not installed (Debian package tesseract-ocr)")
        self.binary = binary

    def read(self, crop: Image) -> PlateRead:
        """Read one crop (or a whole image with ``psm=11``)."""
        if crop.size == 0:
            return PlateRead.empty(self.name)
        if crop.shape[0] < self.config.min_height:
            f = self.config.min_height / crop.shape[0]
            crop = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
        ok, png = cv2.imencode(".png", crop)
        if not ok:
            return PlateRead.empty(self.name)
        cmd = [
            self.binary,
            "stdin",
            "stdout",
            "--psm",
            str(self.config.psm),
            "-l",
            "eng",
            "-c",
            f"tessedit_char_whitelist={DIGITS}{LATIN}",
        ]
        try:
            done = subprocess.run(
                cmd, input=png.tobytes(), capture_output=True, timeout=self.config.timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            logger.warning("tesseract timed out after %s s", self.config.timeout_s)
            return PlateRead.empty(self.name)
        lines = [ln for ln in done.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
        texts = ["".join(c for c in normalize_plate(ln) if c in CHARSET) for ln in lines]
        texts = [t for t in texts if t]
        if not texts:
            return PlateRead.empty(self.name)
        return PlateRead(max(texts, key=len), 0.5, (), self.name)

    def read_all(self, image: Image) -> list[str]:
        """Every text line in an image (sparse text mode), normalised."""
        ok, png = cv2.imencode(".png", image)
        if not ok:
            return []
        cmd = [
            self.binary,
            "stdin",
            "stdout",
            "--psm",
            "11",
            "-l",
            "eng",
            "-c",
            f"tessedit_char_whitelist={DIGITS}{LATIN}",
        ]
        try:
            done = subprocess.run(
                cmd, input=png.tobytes(), capture_output=True, timeout=self.config.timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return []
        out = [
            "".join(c for c in normalize_plate(ln) if c in CHARSET)
            for ln in done.stdout.decode("utf-8", "replace").splitlines()
        ]
        return [t for t in out if t]
