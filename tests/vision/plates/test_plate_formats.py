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


def test_square_plate_rows() -> None:
    """A square car plate's rows (letter and region over the serial) join into the one-row plate;
    a motorcycle's region over its six-digit serial stays top row, then bottom row."""
    from amane.vision.plates.formats import MOROCCO_BOTTOM_ROW, MOROCCO_TOP_ROW, join_rows

    assert MOROCCO_TOP_ROW.accepts("أ40") and MOROCCO_TOP_ROW.accepts("7")
    assert (
        not MOROCCO_TOP_ROW.accepts("أ90")
        and not MOROCCO_TOP_ROW.accepts("أ")
        and not MOROCCO_TOP_ROW.accepts("ش7")
    )
    assert MOROCCO_TOP_ROW.allows("أ") and not MOROCCO_TOP_ROW.allows("4أ")
    assert MOROCCO_BOTTOM_ROW.accepts("016023") and not MOROCCO_BOTTOM_ROW.accepts("0160234")
    assert join_rows("أ40", "59017") == "59017أ40"
    assert join_rows("ب1", "52547") == "52547ب1"
    assert join_rows("أ40", "590171") == "أ40590171"  # six digits and a series letter: no plate
    assert join_rows("7", "016023") == "7016023"


def test_motorcycle_rows() -> None:
    """A motorcycle's square plate: its region (1 to 89) over six digits, written top row then bottom
    row; a pair of rows is valid in the layout it fits."""
    from amane.vision.plates.formats import (
        MOTORCYCLE_BOTTOM_ROW,
        MOTORCYCLE_TOP_ROW,
        SQUARE_LAYOUTS,
        motorcycle_rows,
    )

    assert MOTORCYCLE_TOP_ROW.accepts("7") and MOTORCYCLE_TOP_ROW.accepts("89")
    assert not any(MOTORCYCLE_TOP_ROW.accepts(t) for t in ("0", "90", "ب7", "123", ""))
    assert MOTORCYCLE_TOP_ROW.allows("4") and not MOTORCYCLE_TOP_ROW.allows("ب")
    assert MOTORCYCLE_BOTTOM_ROW.accepts("016023") and not MOTORCYCLE_BOTTOM_ROW.accepts("16023")
    assert MOTORCYCLE_BOTTOM_ROW.allows("0160") and not MOTORCYCLE_BOTTOM_ROW.allows("0160234")
    assert motorcycle_rows("7016023") == ("7", "016023")
    assert motorcycle_rows("49000580") == ("49", "000580")
    assert motorcycle_rows("016023") is None and motorcycle_rows("123016023") is None
    assert motorcycle_rows("57626ب8") is None
    layouts = {layout.kind: layout for layout in SQUARE_LAYOUTS}
    assert layouts["any"].valid("أ40", "59017") and not layouts["any"].valid("7", "016023")
    assert layouts["motorcycle"].valid("7", "016023") and not layouts["motorcycle"].valid("أ40", "59017")
