"""Plate text: normalisation, Moroccan parsing/transliteration, validity, confusion keys, distances."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.core.plates import (
    CHARSET,
    CONFUSION_KEY,
    MOROCCAN_LETTERS,
    MoroccanPlate,
    char_accuracy,
    confusion_key,
    is_valid_moroccan,
    normalize_plate,
    parse_moroccan,
    transliterate,
    weighted_distance,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("57626 | ب | 8", "57626ب8"),
        ("57626ب8", "57626ب8"),
        ("٥٧٦٢٦ب٨", "57626ب8"),
        ("۵۷۶۲۶ب۸", "57626ب8"),
        ("1234 هـ 6", "1234ه6"),
        ("1234 ة 6", "1234ه6"),
        ("12 ا 6", "12أ6"),
        ("12 إ 6", "12أ6"),
        ("609008 ww", "609008WW"),
        ("ab-123-cd", "AB123CD"),
        ("WA 56660", "WA56660"),
        ("M·5X:SX", "M5XSX"),
        ("", ""),
        ("  | - ", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "read", "latin", "kind"),
    [
        ("57626ب8", "57626ب8", "57626-B-8", "standard"),
        ("57626 | ب | 8", "57626ب8", "57626-B-8", "standard"),
        ("57626-B-8", "57626ب8", "57626-B-8", "standard"),
        ("1071أ72", "1071أ72", "1071-A-72", "standard"),
        ("3286د8", "3286د8", "3286-D-8", "standard"),
        ("49133ه6", "49133ه6", "49133-H-6", "standard"),
        ("52610و6", "52610و6", "52610-W-6", "standard"),
        ("12ط40", "12ط40", "12-T-40", "standard"),
        ("609008ww", "609008WW", "609008-WW", "temporary"),
        ("609008-WW", "609008WW", "609008-WW", "temporary"),
        ("227709ش", "227709ش", "227709-SH", "police"),
        ("227709-SH", "227709ش", "227709-SH", "police"),
        ("57626ب0", None, None, None),  # no region 0
        ("57626ب90", None, None, None),  # regions stop at 89
        ("057626ب8", None, None, None),  # serial too long / leading zero
        ("0762ب8", None, None, None),  # leading zero
        ("57626ب", None, None, None),  # standard plates carry a region
        ("57626ج8", None, None, None),  # not a series letter
        ("AB123CD", None, None, None),
        ("57626-X-8", None, None, None),
        ("", None, None, None),
    ],
)
def test_parse_moroccan(raw: str, read: str | None, latin: str | None, kind: str | None) -> None:
    p = parse_moroccan(raw)
    if read is None:
        assert p is None
    else:
        assert p is not None
        assert (p.as_read, p.transliterated, p.kind) == (read, latin, kind)


def test_transliterate_falls_back_to_normalised() -> None:
    assert transliterate("57626ب8") == "57626-B-8"
    assert transliterate("gw-agen") == "GWAGEN"


def test_letter_mapping_is_a_bijection() -> None:
    assert len(set(MOROCCAN_LETTERS.values())) == len(MOROCCAN_LETTERS)
    # the recognisers read every letter but the latest series letter, which is parsed all the same
    assert [c for c in MOROCCAN_LETTERS if c not in CHARSET] == ["ي"]
    assert all(c in MOROCCAN_LETTERS for c in CHARSET if not c.isascii())


def test_latest_series_letter() -> None:
    plate = parse_moroccan("12345 | ي | 6")
    assert plate is not None and plate.kind == "standard"
    assert plate.transliterated == "12345-Y-6" and parse_moroccan("12345-Y-6") == plate
    assert parse_moroccan("12345ى6") == plate  # alif maqsura, the dotless form, is the same letter


serials = st.integers(1, 99999).map(str)
regions = st.integers(1, 89)
letters = st.sampled_from([c for c in MOROCCAN_LETTERS if c != "ش"])


@settings(max_examples=200, deadline=None)
@given(serials, letters, regions)
def test_moroccan_roundtrip(serial: str, letter: str, region: int) -> None:
    plate = MoroccanPlate(serial, letter, region)
    assert is_valid_moroccan(plate)
    assert parse_moroccan(plate.as_read) == plate
    assert parse_moroccan(plate.transliterated) == plate
    assert parse_moroccan(f"{serial} | {letter} | {region}") == plate


texts = st.text(alphabet=CHARSET + " -|.", max_size=12)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_normalize_idempotent_and_separator_blind(text: str) -> None:
    n = normalize_plate(text)
    assert normalize_plate(n) == n
    assert normalize_plate(" - ".join(text)) == n
    assert all(c in CHARSET for c in n)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=CHARSET, min_size=1, max_size=9), st.data())
def test_confusion_key_and_distance(plate: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(plate) - 1))
    same_class = [
        c for c, k in CONFUSION_KEY.items() if k == CONFUSION_KEY.get(plate[i], plate[i]) and c in CHARSET
    ]
    swapped = plate[:i] + data.draw(st.sampled_from(same_class or [plate[i]])) + plate[i + 1 :]
    assert confusion_key(swapped) == confusion_key(plate)
    assert weighted_distance(plate, swapped) <= 0.3 + 1e-9
    other = data.draw(st.text(alphabet=CHARSET, max_size=9))
    d = weighted_distance(plate, other)
    assert d == pytest.approx(weighted_distance(other, plate))
    assert (d == 0) == (plate == other)
    assert d <= max(len(plate), len(other))
    assert 0.0 <= char_accuracy(plate, other) <= 1.0
