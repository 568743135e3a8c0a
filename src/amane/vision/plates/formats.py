"""Country formats as constraints on OCR decoding: a CTC prefix beam search that only grows prefixes a
format allows, so a Moroccan plate cannot come out as ``6S48746`` when ``65487ه6`` is almost as likely.

A format is a pair of functions on plate prefixes: ``allows(prefix)`` (can still become a plate) and
``accepts(text)`` (is a complete, valid plate). :data:`MOROCCO` covers standard (``57626ب8``),
temporary (``609008WW``) and police (``227709ش``) plates.

>>> import numpy as np
>>> charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZأبدهوطش"
>>> def frames(text):  # one confident frame per character, blanks between
...     p = np.full((2 * len(text) + 1, len(charset) + 1), 1e-4)
...     p[::2, 0] = 1.0
...     for i, c in enumerate(text):
...         p[2 * i + 1, charset.index(c) + 1] = 1.0
...     return np.log(p / p.sum(axis=1, keepdims=True))
>>> logp = frames("5G626ب8")   # "6" misread as "G"
>>> logp[3, charset.index("6") + 1] = np.log(0.3)  # the model gave "6" some weight there
>>> text, score = constrained_decode(logp, charset, MOROCCO)
>>> text
'56626ب8'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from amane.core.plates import MOROCCAN_LETTERS, parse_moroccan


@dataclass(frozen=True)
class PlateFormat:
    """A country's plate formats as prefix/complete predicates."""

    name: str
    allows: Callable[[str], bool]
    accepts: Callable[[str], bool]


_MA_SERIES = "".join(c for c in MOROCCAN_LETTERS if c != "ش")
_MA_PREFIX = re.compile(rf"^(\d{{0,6}}|\d{{1,5}}[{_MA_SERIES}]\d{{0,2}}|\d{{6}}W{{1,2}}|\d{{6}}ش)$")
_MA_ISSUED = re.compile(rf"^(\d{{1,5}}[{_MA_SERIES}]\d{{1,2}}|\d{{6}}(WW|ش))$")


@lru_cache(maxsize=65536)
def _ma_allows(prefix: str) -> bool:
    return _MA_PREFIX.match(prefix) is not None


@lru_cache(maxsize=65536)
def _ma_accepts(text: str) -> bool:
    """A valid plate as issued: a standard series letter (not the police ``ش``) before a region, and
    temporary and police serials of six digits (:func:`parse_moroccan` also takes shorter ones, as a
    hotlist may write them)."""
    return _MA_ISSUED.match(text) is not None and parse_moroccan(text) is not None


MOROCCO = PlateFormat("MA", allows=_ma_allows, accepts=_ma_accepts)
"""Moroccan standard, temporary (WW) and police plates."""

_TOP_PREFIX = re.compile(rf"^[{_MA_SERIES}]?\d{{0,2}}$")
_TOP_ROW = re.compile(rf"^[{_MA_SERIES}]?[1-9]\d?$")
_BOTTOM_ROW = re.compile(r"^\d{1,6}$")

MOROCCO_TOP_ROW = PlateFormat(
    "MA-top",
    allows=lambda prefix: _TOP_PREFIX.match(prefix) is not None,
    accepts=lambda text: _TOP_ROW.match(text) is not None and int(text.lstrip(_MA_SERIES)) <= 89,
)
"""The top row of a square Moroccan plate: ``letter region`` (a car), or the region alone (a motorcycle)."""
MOROCCO_BOTTOM_ROW = PlateFormat(
    "MA-bottom",
    allows=lambda prefix: _BOTTOM_ROW.match(prefix) is not None or prefix == "",
    accepts=lambda text: _BOTTOM_ROW.match(text) is not None,
)
"""The bottom row of a square Moroccan plate: the serial (six digits on a motorcycle)."""

_MOTORCYCLE_TOP = re.compile(r"^[1-9]\d?$")
_MOTORCYCLE_BOTTOM = re.compile(r"^\d{6}$")

MOTORCYCLE_TOP_ROW = PlateFormat(
    "MA-motorcycle-top",
    allows=lambda prefix: (len(prefix) <= 2 and prefix.isdigit()) or prefix == "",
    accepts=lambda text: _MOTORCYCLE_TOP.match(text) is not None and int(text) <= 89,
)
"""The top row of a Moroccan motorcycle's square plate: the region alone (1 to 89)."""
MOTORCYCLE_BOTTOM_ROW = PlateFormat(
    "MA-motorcycle-bottom",
    allows=lambda prefix: (len(prefix) <= 6 and prefix.isdigit()) or prefix == "",
    accepts=lambda text: _MOTORCYCLE_BOTTOM.match(text) is not None,
)
"""The bottom row of a Moroccan motorcycle's square plate: a serial of six digits, leading zeros printed."""


def join_rows(top: str, bottom: str) -> str:
    """One plate from the rows of a square Moroccan plate. A car's ``letter region`` over its serial is
    the same registration as the one-row plate: written as that (``59017أ40``, so a hotlist finds it);
    other rows (a motorcycle's region over its six-digit serial) top row, then bottom row.

    >>> join_rows("أ40", "59017"), join_rows("7", "016023")
    ('59017أ40', '7016023')
    """
    joined = bottom + top
    if top[:1] in _MA_SERIES and _ma_accepts(joined):
        return joined
    return top + bottom


def motorcycle_rows(text: str) -> tuple[str, str] | None:
    """The rows (region, serial) of a Moroccan motorcycle plate written top row then bottom row, or None.

    >>> motorcycle_rows("7016023"), motorcycle_rows("49000580"), motorcycle_rows("95000580")
    (('7', '016023'), ('49', '000580'), None)
    """
    top, bottom = text[:-6], text[-6:]
    return (top, bottom) if _motorcycle(top, bottom) else None


def _motorcycle(top: str, bottom: str) -> bool:
    return MOTORCYCLE_TOP_ROW.accepts(top) and MOTORCYCLE_BOTTOM_ROW.accepts(bottom)


@dataclass(frozen=True)
class SquareLayout:
    """How the rows of one kind of square Moroccan plate read: each row's format, and whether a pair of
    rows read to those formats is a plate (``valid``, given top and bottom)."""

    kind: str
    top: PlateFormat
    bottom: PlateFormat
    valid: Callable[[str, str], bool]
    top_span: tuple[float, float] = (0.0, 1.0)
    """The share of the top row's width its text lies in (left, right)."""


SQUARE_LAYOUTS = (
    SquareLayout(
        "any",
        MOROCCO_TOP_ROW,
        MOROCCO_BOTTOM_ROW,
        lambda top, bottom: _ma_accepts(join_rows(top, bottom)),
    ),
    SquareLayout(
        "motorcycle",
        MOTORCYCLE_TOP_ROW,
        MOTORCYCLE_BOTTOM_ROW,
        _motorcycle,
        (0.25, 0.75),  # the region, centred between the bolt holes in the top corners
    ),
)
"""Square Moroccan plates: either row read freely to its format (valid when a car's ``letter region``
over its serial makes a one-row plate), and a motorcycle's region over its six-digit serial (its top
row read between the bolt holes, which a free read takes for letters)."""


def constrained_decode(
    logp: npt.NDArray[np.floating],
    charset: str,
    fmt: PlateFormat,
    beam: int = 8,
    top_k: int = 6,
    blank_skip: float = 0.995,
    min_char: float = 1e-4,
) -> tuple[str, float]:
    """Best complete plate of ``fmt`` under CTC (T, 1 + len(charset)) log-probabilities, blank = 0.

    Returns ``("", -inf)`` when no complete plate survives the beam.
    """
    probs = np.exp(logp.astype(np.float64))
    beams: dict[str, tuple[float, float]] = {
        "": (1.0, 0.0)
    }  # prefix -> (p ending in blank, p ending in char)
    log_scale = 0.0
    for t in range(probs.shape[0]):
        row = probs[t]
        if row[0] > blank_skip:  # a (nearly) pure blank frame: every prefix just ends in blank
            log_scale += math.log(row[0])
            beams = {k: (v[0] + v[1], 0.0) for k, v in beams.items()}
            continue
        # characters the column gives almost nothing cannot change which plate wins: skip them
        cands = [int(k) for k in np.argsort(row[1:])[-top_k:] + 1 if row[k] >= min_char]
        nxt: dict[str, list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            entry = nxt.setdefault(prefix, [0.0, 0.0])
            entry[0] += (pb + pnb) * row[0]
            last = prefix[-1] if prefix else ""
            for k in cands:
                c = charset[k - 1]
                if c == last:
                    entry[1] += pnb * row[k]
                    grow = pb * row[k]
                else:
                    grow = (pb + pnb) * row[k]
                if grow <= 0.0:
                    continue
                new = prefix + c
                if not fmt.allows(new):
                    continue
                e2 = nxt.setdefault(new, [0.0, 0.0])
                e2[1] += grow
        ranked = sorted(nxt.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam]
        total = sum(v[0] + v[1] for _, v in ranked) or 1.0
        log_scale += math.log(total)
        beams = {k: (v[0] / total, v[1] / total) for k, v in ranked}
    done = [(k, v[0] + v[1]) for k, v in beams.items() if fmt.accepts(k) and v[0] + v[1] > 0]
    if not done:
        return "", -math.inf
    text, p = max(done, key=lambda kv: kv[1])
    return text, math.log(p) + log_scale


def path_score(logp: npt.NDArray[np.floating]) -> float:
    """Log-probability of the best (greedy) CTC path: what an unconstrained read scores."""
    return float(logp.max(axis=1).sum())
