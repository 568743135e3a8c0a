"""Per-track voting of plate reads."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.core.plates import CHARSET
from amane.vision.plates.base import PlateRead
from amane.vision.plates.voting import align, vote


def R(text: str, conf: float = 0.8) -> PlateRead:
    return PlateRead(text, conf)


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        ([R("57626ب8")], "57626ب8"),
        ([R("57626ب8"), R("57626ب8"), R("S7626ب8", 0.5)], "57626ب8"),
        ([R("57626ب8", 0.9), R("5762ب8", 0.7), R("57626ب8", 0.6)], "57626ب8"),  # a missed digit
        ([R("57626ب8", 0.9), R("576266ب8", 0.5), R("57626ب8", 0.6)], "57626ب8"),  # an extra digit
        ([R("AB123CD", 0.9), R("A8123CD", 0.4), R("AB12JCD", 0.4)], "AB123CD"),
        ([R("AB123CD", 0.3), R("AB128CD", 0.9), R("AB128CD", 0.9)], "AB128CD"),  # weight wins over count
        ([R("", 0.0), R("", 0.0)], ""),
        ([], ""),
    ],
)
def test_vote(reads: list[PlateRead], expected: str) -> None:
    assert vote(reads).text == expected


def test_vote_confidence_tracks_agreement() -> None:
    agree = vote([R("AB123CD", 0.9)] * 4)
    split = vote([R("AB123CD", 0.9), R("XY987ZW", 0.9), R("AB123CD", 0.9), R("XY987ZW", 0.9)])
    assert agree.confidence > 0.8 > split.confidence
    assert len(agree.char_confidences) == len(agree.text)


def test_char_confidences_decide() -> None:
    a = PlateRead("AB123CD", 0.8, (0.9, 0.9, 0.9, 0.9, 0.2, 0.9, 0.9))
    b = PlateRead("AB128CD", 0.8, (0.9, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9))
    assert vote([a, b]).text == "AB128CD"


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=CHARSET, min_size=1, max_size=9), st.integers(1, 6))
def test_unanimous_reads_vote_themselves(text: str, n: int) -> None:
    v = vote([R(text, 0.9)] * n)
    assert v.text == text and v.confidence == pytest.approx(0.9, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=CHARSET, min_size=1, max_size=9), st.text(alphabet=CHARSET, max_size=9))
def test_align_maps_into_pivot(pivot: str, other: str) -> None:
    mapping = align(pivot, other)
    assert len(mapping) == len(other)
    placed = [p for p in mapping if p is not None]
    assert placed == sorted(placed) and len(set(placed)) == len(placed)
    assert all(0 <= p < len(pivot) for p in placed)
