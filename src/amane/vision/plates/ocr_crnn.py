"""The project's own plate recogniser: a small CNN + CTC model trained on synthetic plates.

Reads Moroccan plates with their Arabic letter (``57626ب8``), ``WW`` temporary plates, police ``ش``
plates and Latin-alphabet plates (EU, Brazil, US). Two-row plates (square crops) are read top row,
then bottom row. The model (``models/plate_crnn.onnx``, a few hundred kB) and its metadata
(charset, input size, training seed and command) ship inside the package; see
:mod:`amane.vision.plates.train` to reproduce it.

>>> import numpy as np
>>> ocr = CrnnPlateOCR(CrnnOCRConfig())
>>> ocr.read(np.full((40, 160, 3), 255, np.uint8)).text  # a blank plate reads as nothing
''
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.core.plates import MOROCCAN_LETTERS, normalize_plate
from amane.vision.plates.base import Image, PlateRead
from amane.vision.plates.ctc import log_likelihoods
from amane.vision.plates.deskew import deskew, rotate, slant, unslant
from amane.vision.plates.formats import (
    MOROCCO,
    SQUARE_LAYOUTS,
    PlateFormat,
    SquareLayout,
    constrained_decode,
    join_rows,
    path_score,
)
from amane.vision.plates.letter_expert import LetterExpert, LetterExpertConfig
from amane.vision.plates.onnx_cpu import cpu_session, model_metadata
from amane.vision.plates.plate_quad import flat_plates
from amane.vision.plates.second_expert import SecondExpert, SecondExpertConfig
from amane.vision.plates.voting import vote

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "models"
_SERIAL = re.compile(r"^\d+")
_REGION = re.compile(r"\d+$")
_DIGITS = re.compile(r"\d+")
ROW_ASPECT = 3.0
"""Width / height of the rows of square plates the recogniser learnt (``PlateRenderer.moroccan_row``)."""
FORMATS: dict[str, PlateFormat] = {"MA": MOROCCO}


def _default_formats() -> list[Literal["MA"]]:
    return ["MA"]


class CrnnOCRConfig(BaseModel):
    """Configuration of the CRNN plate reader."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["crnn"] = "crnn"
    model_path: Path = Field(
        MODEL_DIR / "plate_crnn.onnx", description="ONNX model; metadata in the .json beside"
    )
    threads: int = Field(1, ge=1, le=16, description="onnxruntime intra-op threads")
    two_row_aspect: float = Field(
        2.3,
        ge=0.5,
        le=5.0,
        description="Crops narrower than this width/height ratio are also tried as "
        "two-row plates (top row, then bottom row)",
    )
    motorcycle_aspect: float = Field(
        1.4,
        ge=0.5,
        le=5.0,
        description="Crops narrower than this width/height ratio are also tried as a motorcycle's square "
        "plate (its region over a six-digit serial); wider ones only as a car's (a one-row plate rolled in "
        "a loose crop splits into two rows that fit a motorcycle's)",
    )
    two_row_max_roll: float = Field(
        20.0,
        ge=0.0,
        le=90.0,
        description="Crops rolled more than this (degrees) are not tried as two-row plates: a one-row "
        "plate rolled steeply fills a square crop, its letter and region in the top half",
    )
    loose_aspect: float = Field(
        3.2,
        ge=0.5,
        le=8.0,
        description="Crops narrower than this width/height ratio are also read cut down to their text band",
    )
    work_height: int = Field(
        192, ge=32, le=2048, description="Taller crops are scaled down to this height before reading"
    )
    deskew: bool = Field(True, description="Also read rolled crops levelled (projection-profile skew)")
    deslant: bool = Field(
        True,
        description="Also read the levelled crop's text band stood upright when its characters lean "
        "(a rolled plate seen from the side: projection-profile slant)",
    )
    deskew_min_degrees: float = Field(
        2.0, ge=0.0, le=20.0, description="Crops rolled less than this are read as they are"
    )
    flat_plate: bool = Field(
        True,
        description="Also read the plate's ground found in the crop warped flat (perspective undone, "
        "amane.vision.plates.plate_quad); the second expert reads this view first",
    )
    turns: list[float] = Field(
        default_factory=lambda: [-8.0, -4.0, 4.0, 8.0],
        description="The crop is also read turned by each of these angles (degrees, counter-clockwise): "
        "a roll the levelling missed, and one more look at a hesitant character",
    )
    formats: list[Literal["MA"]] = Field(
        default_factory=_default_formats,
        description="Country formats tried as decoding constraints (a valid plate of the format wins when "
        "it scores within format_margin of the unconstrained read)",
    )
    format_margin: float = Field(
        4.0,
        ge=0.0,
        le=50.0,
        description="Log-probability a format-constrained read may lose to the free read",
    )
    arabic_letter_margin: float = Field(
        1000.0,
        ge=0.0,
        le=1000.0,
        description="format_margin for a free read that holds an Arabic letter: such a plate is Moroccan, "
        "so a Latin letter read beside it (0/D, 2/Z, 8/B) is a misread digit",
    )
    evidence_floor: float = Field(
        12.0,
        ge=0.0,
        le=100.0,
        description="Views vote by CTC log-likelihood, each floored this far below its own best candidate "
        "(0: a character vote over each view's best path instead)",
    )
    second_expert: SecondExpertConfig | None = Field(
        default_factory=SecondExpertConfig,
        description="A general text recogniser that weighs the candidate plates when the views leave "
        "the CRNN unsure (its digits; see amane.vision.plates.second_expert). None: off",
    )
    letter_expert: LetterExpertConfig | None = Field(
        default_factory=LetterExpertConfig,
        description="A classifier of the series letter alone, on the flat plate, that weighs the "
        "candidates by their letter (amane.vision.plates.letter_expert). None: off",
    )
    extra_views_gate: float = Field(
        40.0,
        ge=0.0,
        le=1000.0,
        description="Extra views given lazily (the localiser's lines on a crop) are made and read only when "
        "the crop's own views leave the best candidate a lead under this (summed log-likelihood; "
        "1000: always)",
    )
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="Reads below this are returned empty")


_Decoded = tuple[PlateRead, dict[str, tuple[str, float]]]
"""A view's read and the format-constrained plates it weighed (:meth:`CrnnPlateOCR._decode`)."""


@dataclass(frozen=True)
class _Scored:
    """Candidate plates and their evidence: in each view (views, texts), that floored below each view's
    favourite, and the total each candidate is picked by (the floored sum, plus the expert's share)."""

    texts: list[str]
    ll: npt.NDArray[np.float64]
    rel: npt.NDArray[np.float64]
    total: npt.NDArray[np.float64]

    @property
    def lead(self) -> float:
        """How far the best candidate leads the next (infinite when it is the only one)."""
        if len(self.total) == 1:
            return math.inf
        ranked = np.sort(self.total)[::-1]
        return float(ranked[0] - ranked[1])


class CrnnPlateOCR:
    """ONNX CRNN reader; greedy CTC decoding with per-character confidences."""

    name = "crnn"

    def __init__(self, config: CrnnOCRConfig | None = None) -> None:
        self.config = config or CrnnOCRConfig()
        meta = model_metadata(self.config.model_path, "plate model")
        self.charset: str = meta["charset"]
        self.input_h, self.input_w = int(meta["input_h"]), int(meta["input_w"])
        self.session = cpu_session(self.config.model_path, self.config.threads)
        self.expert: SecondExpert | None = None
        if self.config.second_expert is not None and self.config.second_expert.gate > 0:
            self.expert = SecondExpert(self.config.second_expert)
        self.letter_expert: LetterExpert | None = None
        if self.config.letter_expert is not None and self.config.letter_expert.weight > 0:
            self.letter_expert = LetterExpert(self.config.letter_expert)

    def preprocess(self, crop: Image) -> npt.NDArray[np.float32]:
        """Grey, resized to the model input, scaled to [-1, 1]; shape (1, H, W)."""
        grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        resized = cv2.resize(
            grey,
            (self.input_w, self.input_h),
            interpolation=cv2.INTER_AREA if grey.shape[0] > self.input_h else cv2.INTER_LINEAR,
        )
        out: npt.NDArray[np.float32] = (resized.astype(np.float32) / 127.5 - 1.0)[None]
        return out

    def logp(self, crops: list[Image]) -> npt.NDArray[np.float32]:
        """Per-column log-probabilities for a batch of crops: (N, T, classes)."""
        batch = np.stack([self.preprocess(c) for c in crops])
        out: npt.NDArray[np.float32] = self.session.run(None, {"image": batch})[0]
        return out

    def constrained(
        self, logp: npt.NDArray[np.float32], greedy: str | None = None
    ) -> dict[str, tuple[str, float]]:
        """The best plate of each configured format in one (T, classes) array, and its log-probability.

        When the best path (``greedy``, its text when already known) reads a plate of the format, that
        plate is taken (scored by its best path, a lower bound) without the beam search: the search
        would almost always return it too."""
        if greedy is None:
            greedy = self._greedy(logp).text
        out: dict[str, tuple[str, float]] = {}
        for name in self.config.formats:
            fmt = FORMATS[name]
            if greedy and fmt.accepts(greedy):
                out[name] = (greedy, path_score(logp))
            else:
                out[name] = constrained_decode(logp, self.charset, fmt)
        return out

    def decode(self, logp: npt.NDArray[np.float32]) -> PlateRead:
        """CTC decoding of one (T, classes) array: greedy, unless a country format fits nearly as well."""
        return self._decode(logp)[0]

    def _decode(self, logp: npt.NDArray[np.float32]) -> tuple[PlateRead, dict[str, tuple[str, float]]]:
        """:meth:`decode`, and the :meth:`constrained` plates it weighed (for :meth:`pick`)."""
        read = self._greedy(logp)
        free = path_score(logp)
        fits = self.constrained(logp, read.text)
        for name in self.config.formats:
            margin = self.config.format_margin
            if name == "MA" and any(c in MOROCCAN_LETTERS for c in read.text):
                margin = self.config.arabic_letter_margin
            text, score = fits[name]
            if text and text != read.text and score >= free - margin:
                conf = float(min(1.0, math.exp(score / len(text))))
                read = PlateRead(text, conf, tuple(conf for _ in text), self.name)
                break
        if read.confidence < self.config.min_confidence:
            return PlateRead.empty(self.name), fits
        return read, fits

    def _greedy(self, logp: npt.NDArray[np.float32]) -> PlateRead:
        probs = np.exp(logp)
        best = probs.argmax(axis=1)
        chars: list[str] = []
        confs: list[float] = []
        prev = 0
        for t, k in enumerate(best):
            k = int(k)
            if k != 0 and k != prev:
                chars.append(self.charset[k - 1])
                confs.append(float(probs[t, k]))
            elif k != 0 and k == prev and confs:
                confs[-1] = max(confs[-1], float(probs[t, k]))
            prev = k
        text = "".join(chars)
        if text != normalize_plate(text):  # the charset is already normal; guard against a wrong model
            return PlateRead.empty(self.name)
        conf = float(np.exp(np.mean(np.log(np.clip(confs, 1e-6, 1.0))))) if confs else 0.0
        return PlateRead(text, conf, tuple(confs), self.name)

    def views(self, crop: Image) -> tuple[list[Image], list[Image], float]:
        """The crop, and where they differ from it: its text band (a loose crop, much taller than a
        plate line) and both levelled (a rolled crop, :mod:`~amane.vision.plates.deskew`), the levelled
        band also stood upright when its characters lean; the text bands (of the crop, and of the
        levelled crop when it differs), for the second expert; and the angle the crop was levelled by."""
        h, w = crop.shape[:2]
        out = [crop]
        bands = [text_band(crop)]
        angle = 0.0
        if w / h < self.config.loose_aspect:
            out.append(bands[0])
        if self.config.deskew:
            levelled, angle = deskew(crop, self.config.deskew_min_degrees)
            if angle:
                bands.append(text_band(levelled))
                out += [levelled, bands[-1]]
                shear = slant(bands[-1]) if self.config.deslant else 0.0
                if shear:
                    out.append(unslant(bands[-1], shear))
        return out, bands, angle

    def turned(self, crop: Image) -> list[Image]:
        """The crop turned by each of the ``turns`` angles."""
        small = shrink(crop, 2 * self.input_h)  # the model reads at input_h: turn a cheap copy
        return [rotate(small, a) for a in self.config.turns]

    def read(
        self,
        crop: Image,
        extra_views: list[Image] | Callable[[], list[Image]] | None = None,
        square: bool = False,
    ) -> PlateRead:
        """Read a crop: its :meth:`views` (and ``extra_views``, e.g. the localiser's rectified lines)
        are read and the candidate with the most evidence over all of them wins (:meth:`pick`); a
        square-ish crop is also read as two rows (top, then bottom), which
        wins when it is valid and the single-row read is not, or both are alike and it is the more
        confident. ``extra_views`` given as a function is called only when the crop's own views leave
        the best candidate a lead under ``extra_views_gate`` (they are costly to make). ``square``: the
        crop is known to hold a square plate (a found line and the row above it), so it is also read as
        a motorcycle's whatever its shape (``motorcycle_aspect``)."""
        if crop.size == 0 or min(crop.shape[:2]) < 4:
            return PlateRead.empty(self.name)
        crop = shrink(crop, self.config.work_height)
        h, w = crop.shape[:2]
        own, bands, angle = self.views(crop)
        flat = flat_plates(crop) if self.config.flat_plate else []  # read last, by the expert first
        own, bands = own + flat, bands + flat
        # a one-row plate's outline found in the crop (flat), or a steep roll: not a square plate
        two_row = (
            w / h < self.config.two_row_aspect and abs(angle) <= self.config.two_row_max_roll and not flat
        )
        rows = [crop[: int(h * 0.55)], crop[int(h * 0.42) :]] if two_row else []
        motorcycle = square or w / h < self.config.motorcycle_aspect
        layouts = SQUARE_LAYOUTS if motorcycle else SQUARE_LAYOUTS[:1]
        logps = self.logp(own + (self._row_views(rows, layouts) if two_row else []))
        single, decoded = logps[: len(own)], [self._decode(x) for x in logps[: len(own)]]
        turned: tuple[npt.NDArray[np.float32], list[_Decoded]] | None = None
        scored: _Scored | None = None  # the own views' candidates, kept when no extra view joins them
        extra: list[Image] = []
        if callable(extra_views) and self.config.extra_views_gate < 1000:
            if self._plate_read(decoded):
                turned = self._turned(crop)
            seen = decoded + (turned[1] if turned else [])
            scored = self._candidates(
                np.concatenate([single, turned[0]]) if turned else single,
                [r for r, _ in seen],
                [f for _, f in seen],
            )
            if (0.0 if scored is None else scored.lead) < self.config.extra_views_gate:
                extra, scored = extra_views(), None
        else:
            extra = extra_views() if callable(extra_views) else list(extra_views or [])
        if extra:
            more = self.logp(extra)
            single = np.concatenate([single, more])
            decoded += [self._decode(x) for x in more]
        if turned is None and self._plate_read(decoded):
            turned = self._turned(crop)
        if turned is not None:
            single = np.concatenate([single, turned[0]])
            decoded += turned[1]
        second = [*bands[::-1], *extra[:1]]  # the flat plate, else the levelled band first
        letter = (flat[0], logps[len(own) - 1]) if flat else None
        best = self.pick(single, [r for r, _ in decoded], [f for _, f in decoded], second, scored, letter)
        two = self._two_rows(logps[len(own) :], rows, best, layouts) if two_row else None
        return two or best

    @staticmethod
    def _top_row(rows: list[Image], layout: SquareLayout) -> Image:
        left, right = layout.top_span
        width = rows[0].shape[1]
        return rows[0][:, int(width * left) : max(int(width * left) + 1, int(width * right))]

    def _row_views(self, rows: list[Image], layouts: tuple[SquareLayout, ...]) -> list[Image]:
        """The views of a square plate's ``rows`` (top, bottom) read for the ``layouts``: the bottom row
        and the bottom row :func:`widened`, then for each layout its top row (its ``top_span``) and
        that widened."""
        tops = [self._top_row(rows, layout) for layout in layouts]
        return [view for row in (rows[1], *tops) for view in (row, widened(row, ROW_ASPECT))]

    def _two_rows(
        self,
        logps: npt.NDArray[np.float32],
        rows: list[Image],
        single: PlateRead,
        layouts: tuple[SquareLayout, ...] = SQUARE_LAYOUTS,
    ) -> PlateRead | None:
        """The read of a square plate's two rows (``rows``: top, bottom; ``logps`` of their
        :meth:`_row_views` for the ``layouts``), when it beats the ``single``-row read (valid first,
        then more confident); None when it does not. Each layout
        (:data:`~amane.vision.plates.formats.SQUARE_LAYOUTS`) reads each row to its format
        (:meth:`_row`), over the row and the row widened; a layout whose rows make a plate wins over
        one whose rows do not, then the one whose rows the CRNN finds likelier, and its rows are
        joined (:func:`~amane.vision.plates.formats.join_rows`). The second expert then also reads the
        digits of both rows (a car's region, right of its letter; a motorcycle's top row)."""
        seen: dict[str, list[tuple[PlateRead, set[str]]]] = {}
        best: tuple[tuple[bool, float], SquareLayout, PlateRead, PlateRead] | None = None
        for i, layout in enumerate(layouts):
            views = _layout_views(logps, i)
            formats = (layout.top, layout.bottom)
            seen[layout.kind] = [self._row_reads(x, fmt) for x, fmt in zip(views, formats, strict=True)]
            top, bottom = (
                self._row(x, fmt, *reads)
                for x, fmt, reads in zip(views, formats, seen[layout.kind], strict=True)
            )
            if not top.text or not bottom.text:
                continue
            score = sum(
                float(self._evidence(x, [r.text]).sum()) for x, r in zip(views, (top, bottom), strict=True)
            )
            key = (layout.valid(top.text, bottom.text), score)
            if best is None or key > best[0]:
                best = (key, layout, top, bottom)
        if best is None:
            return None
        (valid, _), layout, top, bottom = best
        two = self._joined(top, bottom, min(top.confidence, bottom.confidence))
        if (valid, two.confidence) <= (self._valid(single), single.confidence):
            return None
        if self.expert is not None:
            views = _layout_views(logps, layouts.index(layout))
            formats = (layout.top, layout.bottom)
            region = self._top_row(rows, layout)
            if layout.kind != "motorcycle":  # the region, right of the letter
                region = rows[0][:, rows[0].shape[1] * 2 // 5 :]
            top, bottom = (
                self._row(x, fmt, *reads, digits=view)
                for x, fmt, reads, view in zip(
                    views, formats, seen[layout.kind], (region, rows[1]), strict=True
                )
            )
            two = self._joined(top, bottom, two.confidence)
        return two

    def _joined(self, top: PlateRead, bottom: PlateRead, confidence: float) -> PlateRead:
        text = join_rows(top.text, bottom.text)
        first, second = (bottom, top) if text.startswith(bottom.text) else (top, bottom)
        return PlateRead(text, confidence, first.char_confidences + second.char_confidences, self.name)

    def _row_reads(self, logps: npt.NDArray[np.float32], fmt: PlateFormat) -> tuple[PlateRead, set[str]]:
        """A row's free read (in its first view), and the texts of the row's format its views (``logps``,
        (views, T, classes)) read: each view's free read when it fits, and its best read constrained to
        the format."""
        reads = [self._greedy(x) for x in logps]
        texts = {r.text for r in reads if r.text and fmt.accepts(r.text)}
        fits = {constrained_decode(x, self.charset, fmt)[0] for x in logps}
        return reads[0], texts | (fits - {""})

    def _row(
        self,
        logps: npt.NDArray[np.float32],
        fmt: PlateFormat,
        read: PlateRead,
        texts: set[str],
        digits: Image | None = None,
    ) -> PlateRead:
        """One row's read among its free ``read`` and the format's ``texts`` (:meth:`_row_reads`); given
        an image of the row's ``digits``, with the second expert (it reads digits well, the letter not
        at all), also the row with its longest run of digits there (the serial; the region, its last
        one or two digits after the letter), each weighed by both models' floored evidence, as
        :meth:`pick` weighs plates (the expert's on the digits alone)."""
        expert = self.expert if digits is not None else None
        probs = expert.probs([digits])[0] if expert is not None and digits is not None else None
        if expert is not None and probs is not None:
            runs = _DIGITS.findall(expert.greedy(probs))
            run = max(runs, key=len) if runs else ""
            letters = {_DIGITS.sub("", t) for t in texts} or {""}
            texts = texts | {
                letter + run[-n:] for letter in letters for n in ((1, 2) if letter else (len(run),)) if run
            }
        candidates = sorted(t for t in texts if fmt.accepts(t))
        if not candidates:
            return read
        ll = self._evidence(logps, candidates)
        total = np.maximum(ll - ll.max(axis=1, keepdims=True), -self.config.evidence_floor).sum(axis=0)
        if expert is not None and probs is not None:
            score = expert.log_likelihoods(probs, ["".join(_DIGITS.findall(t)) for t in candidates])
            total = total + expert.config.weight * np.maximum(score - score.max(), -expert.config.floor)
        k = int(total.argmax())
        text = candidates[k]
        if text == read.text:
            return read
        conf = float(min(1.0, math.exp(ll[:, k].max() / len(text))))
        return PlateRead(text, conf, tuple(conf for _ in text), self.name)

    def _plate_read(self, decoded: list[_Decoded]) -> bool:
        """Whether a view read a plate of the formats: then turned views add evidence on its hesitant
        characters (not read for other plates, where a turned view's format-constrained misread would
        be the only candidate)."""
        return bool(self.config.turns) and any(self._valid(r) for r, _ in decoded)

    def _turned(self, crop: Image) -> tuple[npt.NDArray[np.float32], list[_Decoded]]:
        logps = self.logp(self.turned(crop))
        return logps, [self._decode(x) for x in logps]

    def _valid(self, read: PlateRead) -> bool:
        return any(FORMATS[f].accepts(read.text) for f in self.config.formats)

    def pick(
        self,
        logps: npt.NDArray[np.float32],
        reads: list[PlateRead],
        constrained: list[dict[str, tuple[str, float]]] | None = None,
        second: list[Image] | None = None,
        scored: _Scored | None = None,
        letter: tuple[Image, npt.NDArray[np.float32]] | None = None,
    ) -> PlateRead:
        """One read from several views of a plate: among the valid plates the views read (freely or
        constrained to a format), the one with the most CTC evidence summed over all views, each view's
        support floored at ``evidence_floor`` below its own favourite (a view of the wrong text line
        cannot veto); with no valid candidate, a character vote (:meth:`combine`). ``constrained``:
        each view's :meth:`constrained` when already known. ``second``: views for the second expert,
        consulted when the best candidate's lead is under its gate (:meth:`_second_opinion`). ``scored``:
        the candidates of these views when already scored. ``letter``: the flat plate and its
        log-probabilities, for the letter expert (:mod:`~amane.vision.plates.letter_expert`)."""
        if scored is None:
            scored = self._candidates(logps, reads, constrained)
        if scored is None:  # no view read a plate of the formats: not one of theirs (e.g. a Latin plate)
            return self.combine(reads)
        if self.expert is not None and second:
            scored = self._second_opinion(logps, scored, second)
        expert = self.letter_expert
        # its support lies in [-weight x floor, 0]: a wider lead cannot change the pick, so spare the scan
        if (
            expert is not None
            and letter is not None
            and scored.lead <= expert.config.weight * expert.config.floor
        ):
            evidence = expert.evidence(*letter, self.charset)
            if evidence is not None and expert.config.propose:
                scored = self._letter_swaps(logps, scored, max(evidence, key=evidence.__getitem__))
            support = expert.weigh(evidence, scored.texts)
            scored = _Scored(scored.texts, scored.ll, scored.rel, scored.total + support)
        texts, ll, rel = scored.texts, scored.ll, scored.rel
        k = int(scored.total.argmax())
        text = texts[k]
        posterior = np.exp(rel - rel.max(axis=1, keepdims=True))
        posterior /= posterior.sum(axis=1, keepdims=True)
        conf = float(math.exp(ll[:, k].max() / len(text)) * posterior[:, k].mean())
        own = [r for r in reads if r.text == text and len(r.char_confidences) == len(text)]
        chars = own[0].char_confidences if own else tuple(conf for _ in text)
        return PlateRead(text, round(min(1.0, conf), 4), chars, self.name)

    def _letter_swaps(self, logps: npt.NDArray[np.float32], scored: _Scored, letter: str) -> _Scored:
        """The candidates with the three best ones' series letter replaced by ``letter`` (the letter
        expert's), when valid and new: the CRNN may not read the letter at all in any view (a hollow
        ``أ`` read as ``ه``), so the expert's letter would have no candidate to weigh. A swapped
        candidate keeps its source's second-expert share (that expert reads the letter as any
        character) and gains its own CTC evidence."""
        top = [scored.texts[i] for i in np.argsort(-scored.total)[:3]]
        source: dict[str, int] = {}
        for text in top:
            swapped = "".join(letter if c in MOROCCAN_LETTERS else c for c in text)
            if swapped not in scored.texts and swapped not in source and self._valid(PlateRead(swapped, 1.0)):
                source[swapped] = scored.texts.index(text)
        if not source:
            return scored
        new = list(source)
        shares = scored.total - scored.rel.sum(axis=0)  # what the second expert added
        rescored = self._scored(
            scored.texts + new, np.concatenate([scored.ll, self._evidence(logps, new)], axis=1)
        )
        shares = np.concatenate([shares, shares[list(source.values())]])
        return _Scored(rescored.texts, rescored.ll, rescored.rel, rescored.total + shares)

    def _candidates(
        self,
        logps: npt.NDArray[np.float32],
        reads: list[PlateRead],
        constrained: list[dict[str, tuple[str, float]]] | None = None,
    ) -> _Scored | None:
        """The valid plates the views read (freely or constrained), scored by their evidence; None when
        no view read a plate of the formats or the evidence vote is off (``evidence_floor`` 0)."""
        candidates = {r.text for r in reads if r.text and self._valid(r)}
        if not candidates or self.config.evidence_floor <= 0:
            return None
        fits = constrained if constrained is not None else [self.constrained(lp) for lp in logps]
        for fit in fits:
            candidates.update(text for text, _ in fit.values() if text)
        texts = sorted(candidates)
        return self._scored(texts, self._evidence(logps, texts))

    def _scored(self, texts: list[str], ll: npt.NDArray[np.float64]) -> _Scored:
        rel = np.maximum(ll - ll.max(axis=1, keepdims=True), -self.config.evidence_floor)
        return _Scored(texts, ll, rel, rel.sum(axis=0))

    def _evidence(self, logps: npt.NDArray[np.float32], texts: list[str]) -> npt.NDArray[np.float64]:
        """CTC log-likelihood of each text in each view: (views, texts)."""
        index = {c: i + 1 for i, c in enumerate(self.charset)}
        labels = [[index[c] for c in t] for t in texts]
        return log_likelihoods(logps, labels)

    def _second_opinion(self, logps: npt.NDArray[np.float32], scored: _Scored, views: list[Image]) -> _Scored:
        """When the CRNN's favourite leads another candidate by less than the expert's gate: the serials
        and regions the expert reads, each put in the CRNN's three best candidates, join the valid ones, and
        each candidate's total gains the expert's weighted, floored evidence over its ``views``: the first
        view alone when that brings the lead to the gate, else all of them (the same pick, for less work)."""
        assert self.expert is not None
        gate = self.expert.config.gate
        if scored.lead >= gate:  # every view agrees, or near enough
            return scored
        probs = [p for p in self.expert.probs(views[:1]) if self.expert.sees_text(p)]
        if probs:
            weighed = self._weighed(logps, scored, probs)
            if len(views) == 1 or weighed.lead >= gate:
                return weighed
        probs += [p for p in self.expert.probs(views[1:]) if self.expert.sees_text(p)]
        return self._weighed(logps, scored, probs) if probs else scored

    def _weighed(
        self, logps: npt.NDArray[np.float32], scored: _Scored, probs: list[npt.NDArray[np.float32]]
    ) -> _Scored:
        """The candidates with those the expert's reads (``probs``) add, their totals with its weighted,
        floored evidence."""
        assert self.expert is not None
        cfg = self.expert.config
        texts = scored.texts
        top = [texts[i] for i in np.argsort(-scored.total)[:3]]
        extra: set[str] = set()
        lengths = {m.end() for m in map(_SERIAL.match, top) if m}  # the serial lengths the CRNN reads
        for p in probs:
            serials, regions = self.expert.serials(p, lengths), self.expert.regions(p)
            for text in top:
                head, tail = _SERIAL.match(text), _REGION.search(text)
                if head:
                    extra.update(serial + text[head.end() :] for serial in serials)
                if tail:
                    extra.update(text[: tail.start()] + region for region in regions)
        new = sorted(t for t in extra - set(texts) if self._valid(PlateRead(t, 1.0)))
        if new:
            ll = np.concatenate([scored.ll, self._evidence(logps, new)], axis=1)
            scored = self._scored(texts + new, ll)
        widths = sorted({p.shape[0] for p in probs})  # views of one batch share a width: one pass each
        batches = [np.stack([p for p in probs if p.shape[0] == w]) for w in widths]
        score = np.concatenate([self.expert.log_likelihoods(b, scored.texts) for b in batches])
        support = np.maximum(score - score.max(axis=1, keepdims=True), -cfg.floor).sum(axis=0)
        return _Scored(scored.texts, scored.ll, scored.rel, scored.total + cfg.weight * support)

    def combine(self, reads: list[PlateRead]) -> PlateRead:
        """One read from the reads of several views of a plate (character-level vote)."""
        reads = [r for r in reads if r.text]
        if not reads:
            return PlateRead.empty(self.name)
        valid = [r for r in reads if self._valid(r)]
        voted = vote(valid or reads)
        return PlateRead(voted.text, voted.confidence, voted.char_confidences, self.name)


def shrink(crop: Image, height: int) -> Image:
    """``crop`` scaled down to ``height`` rows when it is taller (the model reads 32 rows; a loose crop's
    plate is a fraction of it), else the crop itself.

    >>> shrink(np.zeros((1000, 3000), np.uint8), 200).shape
    (200, 600)
    """
    h, w = crop.shape[:2]
    if h <= height:
        return crop
    out: Image = cv2.resize(crop, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)
    return out


def _layout_views(
    logps: npt.NDArray[np.float32], i: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The ``i``-th layout's top-row views and the bottom row's, in the logps of
    :meth:`CrnnPlateOCR._row_views` (the bottom row's two first, then two per layout)."""
    return logps[2 + 2 * i : 4 + 2 * i], logps[:2]


def widened(row: Image, aspect: float) -> Image:
    """``row`` padded left and right with its edge pixels to ``aspect`` (width / height) when narrower:
    a square plate's row is read in the proportions the recogniser learnt rows in, not stretched.

    >>> widened(np.zeros((10, 12), np.uint8), 3.0).shape
    (10, 30)
    """
    h, w = row.shape[:2]
    pad = max(0, round((aspect * h - w) / 2))
    return cv2.copyMakeBorder(row, 0, 0, pad, pad, cv2.BORDER_REPLICATE) if pad else row


def text_band(crop: Image, margin: float = 0.2) -> Image:
    """The horizontal band of a crop that holds the most vertical strokes (the text line), with a margin.

    >>> img = np.full((100, 120), 200, np.uint8)
    >>> img[40:60, 10:110:8] = 0  # strokes between rows 40 and 60
    >>> band = text_band(img)
    >>> 20 < band.shape[0] < 50
    True
    """
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    h = grey.shape[0]
    edges = np.abs(cv2.Sobel(grey.astype(np.float32), cv2.CV_32F, 1, 0, ksize=3)).sum(axis=1)
    k = max(3, h // 12) | 1
    profile = np.convolve(edges, np.ones(k) / k, mode="same")
    peak = int(profile.argmax())
    if profile[peak] <= 0:
        return crop
    above = profile > 0.35 * profile[peak]
    top = peak
    while top > 0 and above[top - 1]:
        top -= 1
    bottom = peak
    while bottom < h - 1 and above[bottom + 1]:
        bottom += 1
    pad = int((bottom - top + 1) * margin)
    return crop[max(0, top - pad) : min(h, bottom + 1 + pad)]


def load_default() -> CrnnPlateOCR:
    """The shipped model with default settings."""
    return CrnnPlateOCR(CrnnOCRConfig())


def describe() -> dict[str, Any]:
    """Model metadata (charset, input size, training seed and command)."""
    return model_metadata(MODEL_DIR / "plate_crnn.onnx", "plate model")
