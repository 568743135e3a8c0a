"""PP-OCRv4's text recogniser as a second expert on the digits of a Moroccan plate.

The project's CRNN is the only reader here that knows the Arabic letter, but it is small and learnt
from renders; PP-OCRv4's recogniser (the ONNX model shipped inside ``rapidocr-onnxruntime``) was
trained on a great deal of real text and reads digits well, though not the letter, and it takes the
separator bars for ``1``, ``|`` or ``丨``. So it does not read the plate: it weighs the CRNN's
candidate reads. Each candidate is scored under its CTC output as a sequence of *slots*: the serial
and region digits as themselves, the Arabic letter as any one character, and each separator bar as
one of the characters a bar is read as; the letter and bars may also be missing (the best of these
variants counts). Digits it reads at the start of the line also become candidates, with the
CRNN's letter and region (a dropped or misread digit of the serial is the CRNN's commonest error on
real plates, docs/plates.md), and so do the digits it reads at the end, as the region.

>>> import numpy as np
>>> expert = SecondExpert(SecondExpertConfig())
>>> probs = expert.probs([np.full((40, 180, 3), 255, np.uint8)])[0]
>>> probs.shape[1] == len(expert.classes)
True
>>> ll = expert.log_likelihoods(probs, ["57626ب8", "WW123456"])
>>> ll.shape
(2,)
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from amane.core.plates import MOROCCAN_LETTERS
from amane.vision.plates.base import Image
from amane.vision.plates.ctc import forward_views
from amane.vision.plates.onnx_cpu import cpu_session

_PLATE = re.compile(r"^(\d+)(\D+)(\d+)$")
_LEADING_DIGITS = re.compile(r"\d+")
_ANY = -1  # slot: any character but the blank
Probs = npt.NDArray[np.floating[Any]]
"""Per-column class probabilities of one view, (T, classes)."""
#: what a separator bar is read as
BAR_READS = "1|丨一-·.:!/Il[]()i"


class SecondExpertConfig(BaseModel):
    """How the second expert weighs the CRNN's candidates."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["ppocr"] = "ppocr"
    model_path: Path | None = Field(
        None, description="Recogniser ONNX (None: PP-OCRv4's, shipped in rapidocr-onnxruntime)"
    )
    threads: int = Field(1, ge=1, le=16, description="onnxruntime intra-op threads")
    weight: float = Field(
        3.0, ge=0.0, le=50.0, description="Weight of its evidence beside the CRNN's (summed over views)"
    )
    floor: float = Field(
        12.0,
        ge=0.0,
        le=100.0,
        description="Each of its views' support for a candidate is floored this far below its favourite",
    )
    gate: float = Field(
        40.0,
        ge=0.0,
        le=1000.0,
        description="Consulted only when the CRNN's best candidate leads the next by less than this "
        "(summed log-likelihood; 0: never, 1000: always)",
    )
    min_digits: int = Field(
        3, ge=0, le=9, description="A view it reads fewer digits in than this is not weighed"
    )
    height: int = Field(48, ge=16, le=128, description="Input height of the recogniser")
    min_width: int = Field(
        240,
        ge=16,
        le=2048,
        description="Narrower inputs are padded to this width (a plate's text band at 48 px high is about "
        "220 px wide; PaddleOCR pads to 320, which costs a third more for the same reads here)",
    )
    serial_lengths: list[int] = Field(
        default_factory=lambda: [5, 6],
        description="A longer first run of digits it reads is cut to each of these lengths as a serial "
        "(standard plates have up to 5 digits, WW and police plates 6)",
    )


def _default_model() -> Path:
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"


class SecondExpert:
    """The recogniser, its classes (0 = blank), and the slot scoring of candidate reads."""

    def __init__(self, config: SecondExpertConfig | None = None) -> None:
        self.config = config or SecondExpertConfig()
        path = self.config.model_path or _default_model()
        if not path.exists():
            raise FileNotFoundError(f"second-expert recogniser not found: {path}")
        self.session = cpu_session(path, self.config.threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise ValueError(f"{path}: no 'character' list in the model metadata")
        # PaddleOCR's convention: blank first, the dictionary, then a space
        self.classes: list[str] = ["", *meta["character"].splitlines(), " "]
        self.index = {c: i for i, c in enumerate(self.classes) if c}
        self.bar = np.array(sorted({self.index[c] for c in BAR_READS if c in self.index}))

    def probs(self, images: list[Image]) -> list[npt.NDArray[np.float32]]:
        """Per-column class probabilities (T, classes) of each image (BGR or grey), one batch."""
        if not images:
            return []
        h = self.config.height
        widths = [max(1, math.ceil(h * im.shape[1] / max(im.shape[0], 1))) for im in images]
        width = max(self.config.min_width, *widths)
        batch = np.zeros((len(images), 3, h, width), np.float32)
        for i, (im, w) in enumerate(zip(images, widths, strict=True)):
            bgr = im if im.ndim == 3 else cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)
            resized = cv2.resize(bgr, (w, h))  # bilinear, as PaddleOCR feeds it
            batch[i, :, :, :w] = resized.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0
        out: npt.NDArray[np.float32] = self.session.run(None, {"x": batch})[0]
        return [out[i] for i in range(len(images))]

    def greedy(self, probs: Probs) -> str:
        """Its best-path read of one image."""
        out, prev = [], 0
        for k in probs.argmax(axis=1):
            if k != 0 and k != prev:
                out.append(self.classes[int(k)])
            prev = int(k)
        return "".join(out)

    def sees_text(self, probs: Probs) -> bool:
        """Whether its read of a view holds at least ``min_digits`` digits: a view where it reads
        (almost) nothing says nothing of the candidates (and would favour the shortest)."""
        return sum(c.isdigit() for c in self.greedy(probs)) >= self.config.min_digits

    def serials(self, probs: Probs, lengths: set[int] | None = None) -> set[str]:
        """Serial numbers its read starts with: the first run of digits, cut to each of the
        ``serial_lengths`` and the ``lengths`` given when longer (and the same without its first digit
        when that is a ``1``, the plate's edge)."""
        runs = _LEADING_DIGITS.findall(self.greedy(probs))
        if not runs:
            return set()
        run = runs[0]
        starts = (0, 1) if len(run) > 1 and run[0] == "1" else (0,)
        cuts = set(self.config.serial_lengths) | (lengths or set())
        return {run[i:][:n] for i in starts for n in cuts}

    def regions(self, probs: Probs) -> set[str]:
        """Region numbers its read ends with: the last one or two digits of its last run of digits."""
        runs = _LEADING_DIGITS.findall(self.greedy(probs))
        if not runs:
            return set()
        return {runs[-1][-1:], runs[-1][-2:]}

    def _variants(self, text: str) -> list[list[int | npt.NDArray[np.int64]]]:
        """The slot sequences ``text`` may be read as: a class, :data:`_ANY` (a character its classes
        lack), or a set of classes (a bar). A Moroccan plate's letter and bars may also be unread."""
        m = _PLATE.match(text)
        if m and all(c in MOROCCAN_LETTERS for c in m.group(2)):
            serial = [self.index.get(c, _ANY) for c in m.group(1)]
            letters = [self.index.get(c, _ANY) for c in m.group(2)]  # an Arabic-reading model knows it
            region = [self.index.get(c, _ANY) for c in m.group(3)]
            out: list[list[int | npt.NDArray[np.int64]]] = []
            for bar1, letter, bar2 in itertools.product((False, True), repeat=3):
                middle: list[int | npt.NDArray[np.int64]] = []
                middle += [self.bar] if bar1 else []
                middle += letters if letter else []
                middle += [self.bar] if bar2 else []
                out.append([*serial, *middle, *region])
            return out
        return [[self.index.get(c, _ANY) for c in text]]

    def log_likelihoods(self, probs: Probs, texts: list[str]) -> npt.NDArray[np.float64]:
        """Log-likelihood of each text under one image's output (T, classes): the best of its slot
        variants. ``probs`` may also be several images' outputs of one batch (views, T, classes),
        scored in one pass: then (views, texts)."""
        p = np.asarray(probs)
        views = p[None] if p.ndim == 2 else p
        if not texts:
            return np.zeros(0) if p.ndim == 2 else np.zeros((len(views), 0))
        owner: list[int] = []
        variants: list[list[int | npt.NDArray[np.int64]]] = []
        for i, text in enumerate(texts):
            for v in self._variants(text):
                owner.append(i)
                variants.append(v)
        n_classes = views.shape[2]
        anything_col, bar_col, none_col = n_classes, n_classes + 1, n_classes + 2
        longest = max(1, max(len(v) for v in variants))
        slots = np.full((len(variants), longest), none_col, dtype=np.int64)
        skip = np.zeros((len(variants), longest), dtype=bool)
        for i, v in enumerate(variants):
            for j, slot in enumerate(v):
                if isinstance(slot, np.ndarray):
                    slots[i, j] = bar_col if self.bar.size else anything_col
                else:
                    slots[i, j] = anything_col if slot == _ANY else slot
                if j:
                    skip[i, j] = _disjoint(v[j - 1], slot)
        # each view's columns: the blank and the classes the slots name (not all 6,000 of them), "any
        # character", "a bar", and "nothing" (padding)
        used = np.unique(np.concatenate([[0], slots[slots < n_classes]]))
        logp = np.log(views[:, :, used].astype(np.float64) + 1e-12)
        anything = np.log(np.clip(1.0 - views[:, :, 0].astype(np.float64), 1e-12, None))
        bar = (
            np.log(views[:, :, self.bar].astype(np.float64).sum(axis=2) + 1e-12)
            if self.bar.size
            else anything
        )
        cols = np.concatenate(
            [logp, anything[:, :, None], bar[:, :, None], np.full((*anything.shape, 1), -1e30)], axis=2
        )
        remap = np.empty(n_classes + 3, dtype=np.int64)
        remap[used] = np.arange(len(used))
        remap[n_classes:] = len(used) + np.arange(3)
        em = np.transpose(cols[:, :, remap[slots]], (0, 2, 1, 3))  # (views, variants, T, slots)
        scores = forward_views(logp[:, :, 0], em, np.array([len(v) for v in variants]), skip)
        best = np.full((len(views), len(texts)), -1e30)
        np.maximum.at(best, (np.arange(len(views))[:, None], np.array(owner)[None, :]), scores)
        return best[0] if p.ndim == 2 else best


def _disjoint(a: int | npt.NDArray[np.int64], b: int | npt.NDArray[np.int64]) -> bool:
    """Two slots that can never be the same class (CTC then needs no blank between them)."""
    if isinstance(a, int) and isinstance(b, int):
        return a != b and a != _ANY and b != _ANY
    if isinstance(a, int) or isinstance(b, int):
        one, many = (a, b) if isinstance(a, int) else (b, a)
        assert isinstance(many, np.ndarray)
        return one != _ANY and int(one) not in set(many.tolist())
    return False
