"""Fitting Latin reads to national formats: table of reads, and properties over random reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amane.core.latin_formats import (
    FLEET_MILLIONS,
    FORMATS,
    MIN_TRIMMED,
    TO_DIGIT,
    TO_LETTER,
    fit_latin_format,
    fits_a_format,
)


@pytest.mark.parametrize(
    ("read", "fitted"),
    [
        ("RK340A0", "RK340AO"),  # Slovak / French / Italian LLNNNLL
        ("AB-123-CD", "AB123CD"),  # separators go, the read fits
        ("AYO9034", "AYO9034"),  # Brazilian LLLNNNN
        ("1234BCD", "1234BCD"),  # Spanish, as read
        ("I234BCD", "1234BCD"),
        ("B4123CD", "BA123CD"),
        ("57626ب8", "57626ب8"),  # Moroccan: not a Latin read
        ("", ""),
        ("XQ", "XQ"),  # no format of that length
        ("QQQQQQQQQQ", "QQQQQQQQQQ"),
    ],
)
def test_fit(read: str, fitted: str) -> None:
    assert fit_latin_format(read) == fitted


def test_countries_restrict_the_formats() -> None:
    assert fit_latin_format("1BI9839") == "IBI9839"  # Brazil's many cars outweigh Czechia's
    assert fit_latin_format("1BI9839", countries=("CZ",)) == "1BI9839"


def test_every_country_has_a_fleet() -> None:
    assert set(FORMATS) == set(FLEET_MILLIONS)
    assert all(set(p) <= {"L", "N"} for ps in FORMATS.values() for p in ps)


reads = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=9)


def _look_alike(a: str, b: str) -> bool:
    return TO_DIGIT.get(a) == b or TO_LETTER.get(a) == b


def _swaps(read: str, fitted: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(read, fitted, strict=True) if a != b]


@given(reads)
def test_fit_swaps_only_look_alikes(read: str) -> None:
    """A fit swaps at most two look-alikes, after dropping at most one character (only from a read that
    fits nothing, leaving at least MIN_TRIMMED); whatever it changes ends on a format."""
    fitted = fit_latin_format(read)
    if len(fitted) == len(read):
        swaps = _swaps(read, fitted)
    else:
        assert len(fitted) == len(read) - 1 >= MIN_TRIMMED
        assert not fits_a_format(read)
        options = [_swaps(read[:i] + read[i + 1 :], fitted) for i in range(len(read))]
        swaps = min(options, key=lambda sw: (not all(_look_alike(a, b) for a, b in sw), len(sw)))
    assert len(swaps) <= 2
    assert all(_look_alike(a, b) for a, b in swaps)
    if fitted != read:
        assert fits_a_format(fitted)


@pytest.mark.parametrize(
    ("read", "fitted"),
    [
        ("1Z785233", "1Z75233"),  # a Czech inspection sticker read as 8, between the groups
        ("LRK485AF", "RK485AF"),  # the band's edge read as L
        ("RK857A1", "RK857AI"),
        ("BIMMIAN", "BIMMIAN"),  # a personalised plate: no trimmed fit is likelier than the read
        ("M5XSX", "M5XSX"),  # too short to trim
    ],
)
def test_one_character_too_many(read: str, fitted: str) -> None:
    assert fit_latin_format(read) == fitted


@given(reads)
def test_a_fitting_read_stays_fitting(read: str) -> None:
    """The fit may move a read to a likelier pattern (it is not idempotent), never off every pattern."""
    if fits_a_format(read):
        assert fits_a_format(fit_latin_format(read))
