"""A third opinion on the one character the other readers find hardest: the Moroccan series letter.

The recogniser reads the whole plate at 32 rows, where a hamza is a few pixels and a separator bar
with its bolt head can pass for a letter; PP-OCRv4 cannot read Arabic at all. This classifier looks
at the letter alone: a square window of the flat plate (:mod:`~amane.vision.plates.plate_quad`),
centred on the column where the recogniser puts its letter, read by a small CNN trained on rendered
windows (:mod:`~amane.vision.plates.letter_synth`, :mod:`~amane.vision.plates.train_letters`). Its
log-probabilities, floored, weigh the candidate plates by their letter.

>>> import numpy as np
>>> expert = LetterExpert(LetterExpertConfig())
>>> scores = expert.classify(np.full((64, 300), 230, np.uint8), 150.0)
>>> sorted(scores) == sorted(expert.classes)
True
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.vision.plates.base import Image
from amane.vision.plates.letter_synth import NONE, SERIES_LETTERS, WINDOW, letter_window
from amane.vision.plates.onnx_cpu import cpu_session, model_metadata

MODEL_DIR = Path(__file__).parent / "models"


class LetterExpertConfig(BaseModel):
    """Configuration of the series-letter classifier."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["letter-cnn"] = "letter-cnn"
    model_path: Path = Field(
        MODEL_DIR / "plate_letter.onnx", description="ONNX model; metadata in the .json beside"
    )
    weight: float = Field(
        8.0, ge=0.0, le=20.0, description="Weight of its log-probability against the recogniser's"
    )
    floor: float = Field(
        6.0, ge=0.0, le=50.0, description="A letter's evidence is floored this far below the favourite's"
    )
    min_letter_mass: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="The recogniser must give a column at least this probability of some series letter "
        "on the flat plate, else the window would be a guess",
    )
    offsets: list[float] = Field(
        default_factory=lambda: [-0.12, 0.0, 0.12],
        description="Windows read around the letter's column (plate heights); their log-probabilities "
        "are averaged",
    )

    scan_step: float = Field(
        0.35,
        ge=0.0,
        le=5.0,
        description="Windows are also read across the whole flat plate this far apart (plate heights; "
        "0: only at the recogniser's letter column), and the one where a letter is surest is read "
        "(LetterExpert.evidence)",
    )
    propose: bool = Field(
        True,
        description="Also try the best candidates with their letter replaced by the expert's favourite "
        "(the recogniser may read the plate's letter in none of its views)",
    )
    widths: list[float] = Field(
        default_factory=lambda: [0.8, 1.2],
        description="Window widths read at each offset (plate heights: the flat plate's outline may hold "
        "more or less than the plate)",
    )


class LetterExpert:
    """ONNX letter classifier."""

    def __init__(self, config: LetterExpertConfig | None = None) -> None:
        self.config = config or LetterExpertConfig()
        meta = model_metadata(self.config.model_path, "letter model")
        self.classes: str = meta["classes"]
        self.window: int = int(meta.get("window", WINDOW))
        self.session = cpu_session(self.config.model_path)

    def classify(self, flat: Image, centre_x: float) -> dict[str, float]:
        """Log-probability of each class for the letter around ``centre_x`` of a flat plate."""
        return dict(zip(self.classes, self.classify_at(flat, [centre_x])[0].tolist(), strict=True))

    def classify_at(
        self, flat: Image, xs: list[float], offsets: list[float] | None = None
    ) -> npt.NDArray[np.float64]:
        """Log-probabilities (len(xs), classes) of windows around each of ``xs``, each the mean over the
        ``offsets`` (plate heights; default: the configured ones) and the configured widths; one batch."""
        grey: Any = flat if flat.ndim == 2 else cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY)
        h = grey.shape[0]
        windows = [
            letter_window(grey, x + dx * h, width, self.window)
            for x in xs
            for dx in (self.config.offsets if offsets is None else offsets)
            for width in self.config.widths
        ]
        batch = (np.stack(windows).astype(np.float32) / 127.5 - 1.0)[:, None]
        logp: npt.NDArray[np.float32] = self.session.run(None, {"window": batch})[0]
        out: npt.NDArray[np.float64] = (
            logp.reshape(len(xs), -1, logp.shape[1]).mean(axis=1).astype(np.float64)
        )
        return out

    def letter_column(self, logp: npt.NDArray[np.float32], charset: str) -> float | None:
        """Where the recogniser (per-column log-probabilities ``logp``, (T, classes), blank 0) puts the
        series letter, as a fraction of the width; None when no column holds enough letter mass."""
        index = [charset.index(c) + 1 for c in SERIES_LETTERS if c in charset]
        mass = np.exp(logp[:, index]).sum(axis=1)
        t = int(mass.argmax())
        if mass[t] < self.config.min_letter_mass:
            return None
        lo, hi = max(0, t - 1), min(len(mass), t + 2)  # the mass-weighted centre of the peak
        centre = float((np.arange(lo, hi) * mass[lo:hi]).sum() / mass[lo:hi].sum())
        return (centre + 0.5) / len(mass)

    def evidence(self, flat: Image, logp: npt.NDArray[np.float32], charset: str) -> dict[str, float] | None:
        """Each series letter's log-probability on the flat plate; None when the recogniser (per-column
        log-probabilities ``logp`` of the flat plate) sees no letter there.

        The letter is read in the window where some letter is surest, among the one at the recogniser's
        letter column and those read across the plate ``scan_step`` apart: a
        separator bar with its bolt head may have taken the recogniser's letter column (the real letter
        then reads as a ``1`` beside it). (The least "no letter" picked worse: a window half on a bar
        and half on the letter, a place no training window was centred, can look more letter-like than
        the letter itself.)"""
        where = self.letter_column(logp, charset)
        if where is None:
            return None
        width, step = flat.shape[1], self.config.scan_step * flat.shape[0]
        scores = self.classify_at(flat, [where * width])
        if step > 0 and NONE in self.classes:
            across = self.classify_at(flat, list(np.arange(step / 2, width, step)), offsets=[0.0])
            scores = np.concatenate([scores, across])
        scores -= np.logaddexp.reduce(scores, axis=1, keepdims=True)  # each window's mean, renormalised
        letters = [c for c in self.classes if c in SERIES_LETTERS]
        columns = [self.classes.index(c) for c in letters]
        at = int(scores[:, columns].max(axis=1).argmax())
        return {c: float(scores[at, k]) for c, k in zip(letters, columns, strict=True)}

    def support(
        self, flat: Image, logp: npt.NDArray[np.float32], charset: str, texts: list[str]
    ) -> npt.NDArray[np.float64]:
        """Each candidate's weighted letter :meth:`evidence`, floored below the best letter's (the floor
        for a candidate without a series letter; 0 for all when the recogniser sees no letter on the
        flat plate)."""
        return self.weigh(self.evidence(flat, logp, charset), texts)

    def weigh(self, evidence: dict[str, float] | None, texts: list[str]) -> npt.NDArray[np.float64]:
        """:meth:`support` from letter ``evidence`` already read."""
        out = np.zeros(len(texts))
        if evidence is None:
            return out
        best = max(evidence.values())
        for i, text in enumerate(texts):
            letter = next((c for c in text if c in evidence), None)
            gap = best - evidence[letter] if letter is not None else math.inf
            out[i] = -self.config.weight * min(gap, self.config.floor)
        return out
