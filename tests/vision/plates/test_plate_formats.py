"""The Moroccan decoding format: which plates a read may become."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from amane.core.plates import CHARSET, parse_moroccan
from amane.vision.plates.formats import MOROCCO, constrained_decode


def frames(text: str) -> npt.NDArray[np.float64]:
    """CTC log-probabilities with one confident frame per character and blanks between."""
    p = np.full((2 * len(text) + 1, len(CHARSET) + 1), 1e-4)
    p[::2, 0] = 1.0
    for i, c in enumerate(text):
        p[2 * i + 1, CHARSET.index(c) + 1] = 1.0
    out: npt.NDArray[np.float64] = np.log(p / p.sum(axis=1, keepdims=True))
    return out


@pytest.mark.parametrize(
    ("text", "issued"),
    [
        ("57626ب8", True),
        ("609008WW", True),
        ("227709ش", True),
        ("46756ش", False),  # a police letter after five digits: a misread series letter and region
        ("60900WW", False),
        ("57626ش8", False),  # the police letter is no series letter
        ("57626ب", False),
    ],
)
def test_reading_format_takes_plates_as_issued(text: str, issued: bool) -> None:
    assert MOROCCO.accepts(text) is issued


def test_hotlist_parsing_stays_lenient() -> None:
    assert parse_moroccan("46756ش") is not None  # a hotlist may write a short police serial


def test_series_letter_and_region_beat_a_short_police_read() -> None:
    logp = frames("46756ش1")
    letter = 1 + 2 * 5
    logp[letter, CHARSET.index("ش") + 1] = np.log(0.6)
    logp[letter, CHARSET.index("ب") + 1] = np.log(0.3)
    logp[letter + 2, 0] = np.log(0.6)  # the region digit is faint
    logp[letter + 2, CHARSET.index("1") + 1] = np.log(0.4)
    text, _ = constrained_decode(logp, CHARSET, MOROCCO)
    assert text == "46756ب1"
