"""National formats of Latin-alphabet plates, and fixing a read's letter/digit confusions with them.

A general OCR reads ``RK340AO`` as ``RK340A0`` and ``BA268IM`` as ``BA2681M``: letters and
digits that look alike. Where a plate's country is unknown, the read is fitted to the national
formats (letter and digit positions, separators ignored) that ALPR systems use as post-processing
(openalpr's per-country patterns are the same idea). Each way of fitting is scored as a posterior:
how common plates of that pattern are on the road (the vehicle fleets of the countries that use
it, :data:`FLEET_MILLIONS`, shared evenly among a country's patterns) times how readily the OCR
makes each look-alike swap it needs (:data:`SWAP_PROBABILITY`); the best fit wins, the read itself
when it fits a common pattern and no swap does better. Reads with Arabic letters are left alone.

>>> fit_latin_format("RK340A0")
'RK340AO'
>>> fit_latin_format("8A268IM")
'BA268IM'
>>> fit_latin_format("BA2681M")   # a rare Polish pattern as read; one 1/I swap makes the common one
'BA268IM'
>>> fit_latin_format("WX12345")   # fits a Polish/Nordic pattern: no swap is likelier
'WX12345'
>>> fit_latin_format("4B04979")   # already a Czech plate (4B0 4979)
'4B04979'
>>> fit_latin_format("57626ب8")
'57626ب8'
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from amane.core.plates import normalize_plate


def _german() -> list[str]:
    # district 1-3 letters, 1-2 letters, 1-4 digits, at most 8 characters
    return [f"{'L' * a}{'N' * b}" for a in range(2, 6) for b in range(1, 5) if a + b <= 8]


FORMATS: dict[str, list[str]] = {
    "SK": ["LLNNNLL"],
    "CZ": ["NLNNNNN", "NLLNNNN"],
    "PL": ["LLNNNNN", "LLNNNNL", "LLNNNLL", "LLNLNNN", "LLNLLNN", "LLLLNNN", "LLLNNLL", "LLLNLNN"],
    "DE": _german(),
    "FR": ["LLNNNLL"],
    "IT": ["LLNNNLL"],
    "ES": ["NNNNLLL"],
    "PT": ["NNLLNN", "LLNNLL", "NNNNLL", "LLNNNN"],
    "NL": ["LLNNNN", "NNNNLL", "NNLLNN", "LLNNLL", "LLLLNN", "NNLLLL", "NNLLLN", "NLLLNN", "LLNNNL",
           "LNNNLL", "LLLNNL", "LNNLLL", "NLLNNN", "NNNLLN"],
    "BE": ["NLLLNNN", "LLLNNN"],
    "HU": ["LLLNNN", "LLLLNNN"],
    "RO": ["LLNNLLL", "LNNLLL", "LNNNLLL"],
    "HR": ["LLNNNLL", "LLNNNNLL", "LLNNNL", "LLNNNNL"],
    "LT": ["LLLNNN"],
    "LV": ["LLNNNN"],
    "EE": ["NNNLLL"],
    "SE": ["LLLNNN", "LLLNNL"],
    "NO": ["LLNNNNN"],
    "DK": ["LLNNNNN"],
    "GB": ["LLNNLLL"],
    "BG": ["LLNNNNLL", "LNNNNLL"],
    "UA": ["LLNNNNLL"],
    "BR": ["LLLNNNN", "LLLNLNN"],
}
"""Letter (L) / digit (N) positions of current national formats, separators left out."""

TO_DIGIT = {"O": "0", "D": "0", "Q": "0", "I": "1", "Z": "2", "A": "4", "S": "5", "G": "6", "T": "7",
            "B": "8"}
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B"}
SWAP_PROBABILITY = {"0O": 0.1, "1I": 0.1, "8B": 0.05, "5S": 0.05, "2Z": 0.05, "0D": 0.03, "0Q": 0.03,
                    "6G": 0.03, "7T": 0.02, "4A": 0.02}
"""How often a general OCR reads the one where the plate has the other (keyed digit + letter), roughly."""

FLEET_MILLIONS: dict[str, float] = {
    "SK": 2.5, "CZ": 6.5, "PL": 26.0, "DE": 49.0, "FR": 39.0, "IT": 40.0, "ES": 30.0, "PT": 6.5, "NL": 9.5,
    "BE": 6.5, "HU": 4.0, "RO": 8.0, "HR": 1.8, "LT": 1.3, "LV": 0.8, "EE": 0.8, "SE": 5.0, "NO": 3.0,
    "DK": 2.8, "GB": 35.0, "BG": 3.0, "UA": 9.0, "BR": 115.0,
}
"""Registered vehicles per country, millions (approximate public figures): how common each pattern is."""
EMBLEM_GAPS: dict[str, tuple[int, ...]] = {"CZ": (3,), "SK": (2,)}
"""Where a country's plate carries an emblem or stickers between two characters (Czech inspection
stickers after the third, the Slovak coat of arms after the district code): an OCR often reads
them as one more character there."""
EXTRA_PROBABILITY = {"edge": 0.03, "emblem": 0.1}
"""How often a read holds one character too many: at either end (a band letter, the plate's edge read
as ``I`` or ``1``) or at an emblem gap (:data:`EMBLEM_GAPS`), roughly."""
UNLISTED_MILLIONS = 0.1
"""Vehicles (millions, roughly) whose plate fits no listed format (personalised, old, rare series): a
read is trimmed only to a fit likelier than that it is such a plate, read right."""
MIN_TRIMMED = 6
"""A read is trimmed by a character only to a fit at least this long (short vanity plates stay as read)."""
_LATIN_READ = re.compile(r"^[A-Z0-9]+$")


@lru_cache(maxsize=16)
def _patterns(countries: tuple[str, ...] = ()) -> dict[int, dict[str, float]]:
    """Patterns by length (of ``countries``, default all), each with the log of its share of the road
    (see :data:`FLEET_MILLIONS`)."""
    weight: dict[str, float] = {}
    for country, patterns in FORMATS.items():
        if countries and country not in countries:
            continue
        for p in patterns:
            weight[p] = weight.get(p, 0.0) + FLEET_MILLIONS[country] / len(patterns)
    by_len: dict[int, dict[str, float]] = {}
    for p, w in weight.items():
        by_len.setdefault(len(p), {})[p] = math.log(w)
    return by_len


@lru_cache(maxsize=1024)
def _emblem_share(pattern: str, gap: int, countries: tuple[str, ...] = ()) -> float:
    """The share of ``pattern``'s plates (by fleet, of ``countries``) that have an emblem gap before
    position ``gap``."""
    total = with_gap = 0.0
    for country, patterns in FORMATS.items():
        if pattern not in patterns or (countries and country not in countries):
            continue
        share = FLEET_MILLIONS[country] / len(patterns)
        total += share
        with_gap += share if gap in EMBLEM_GAPS.get(country, ()) else 0.0
    return with_gap / total if total else 0.0


def classes(text: str) -> str:
    """The letter/digit pattern of a Latin read.

    >>> classes("AB123CD")
    'LLNNNLL'
    """
    return "".join("N" if c.isdigit() else "L" for c in text)


def _fit(text: str, pattern: str) -> str | None:
    out = []
    for c, want in zip(text, pattern, strict=True):
        if (want == "N") == c.isdigit():
            out.append(c)
            continue
        swapped = TO_DIGIT.get(c) if want == "N" else TO_LETTER.get(c)
        if swapped is None:
            return None
        out.append(swapped)
    return "".join(out)


def pattern_log_share(text: str, countries: tuple[str, ...] = ()) -> float:
    """Log of the road share (:data:`FLEET_MILLIONS`) of the pattern ``text`` has; ``-inf`` when it fits
    no format of ``countries`` (default all).

    >>> pattern_log_share("RK857AI") > pattern_log_share("RK857A")
    True
    """
    return _patterns(countries).get(len(text), {}).get(classes(text), -math.inf)


def fits_a_format(text: str) -> bool:
    """Whether a normalised Latin read has the letter/digit pattern of a known national format.

    >>> fits_a_format("AB123CD"), fits_a_format("AB12C3D")
    (True, False)
    """
    return classes(text) in _patterns().get(len(text), {})


def fit_latin_format(text: str, max_swaps: int = 2, countries: tuple[str, ...] = ()) -> str:
    """``text`` fitted to the likeliest national format (of ``countries``, default all), at most
    ``max_swaps`` look-alike swaps away (see the module); unchanged when no format is within reach.

    >>> fit_latin_format("1BI9839", countries=("CZ", "SK"))
    '1BI9839'
    """
    read = normalize_plate(text)
    if not _LATIN_READ.match(read):
        return read
    scores = _fits(read, max_swaps, countries)
    if not scores and len(read) > MIN_TRIMMED:  # fits nothing: a character too many (band letter, sticker)?
        for i in range(len(read)):
            shorter = read[:i] + read[i + 1 :]
            edge = i in (0, len(read) - 1)
            for fixed, score in _fits(shorter, max_swaps, countries).items():
                p = EXTRA_PROBABILITY["edge"] if edge else 0.0
                p += EXTRA_PROBABILITY["emblem"] * _emblem_share(classes(fixed), i, countries)
                if p > 0 and score + math.log(p) > math.log(UNLISTED_MILLIONS):
                    scores[fixed] = max(scores.get(fixed, -math.inf), score + math.log(p))
    return max(scores, key=lambda t: scores[t]) if scores else read


def _fits(read: str, max_swaps: int, countries: tuple[str, ...]) -> dict[str, float]:
    """Every format fit of ``read`` within ``max_swaps`` swaps, with its log score (see the module)."""
    scores: dict[str, float] = {}
    for pattern, log_share in _patterns(countries).get(len(read), {}).items():
        fixed = _fit(read, pattern)
        if fixed is None:
            continue
        swaps = [a + b if a.isdigit() else b + a for a, b in zip(read, fixed, strict=True) if a != b]
        if len(swaps) <= max_swaps:
            score = log_share + sum(math.log(SWAP_PROBABILITY[s]) for s in swaps)
            scores[fixed] = max(scores.get(fixed, -math.inf), score)
    return scores
