"""Plate text: normalisation, Moroccan parsing and transliteration, validity, OCR-confusion keys.

Pure functions, no I/O. Every reader, the hotlist and the evaluation compare plates through
:func:`normalize_plate`, so "57626 | ب | 8", "57626ب8" and "٥٧٦٢٦ب٨" are the same plate.

Moroccan plates read ``serial | letter | region`` (e.g. ``57626 | ب | 8``): a serial of 1 to 5
digits, one Arabic letter and the region (prefecture) code, 1 to 89. Temporary plates carry
``WW`` after a 6-digit serial (``599625 WW``); police plates (Sûreté nationale) carry ``ش`` after a
6-digit serial. The letter mapping used for the transliterated form (``57626-B-8``) is
:data:`MOROCCAN_LETTERS`:

======  =====  ======================================
Arabic  Latin  note
======  =====  ======================================
أ       A      alif (ا, إ, آ read as أ)
ب       B
د       D
ه       H      also written هـ (with tatweel)
و       W      (waw; some vendors write O or E)
ط       T
ي       Y      (ى read as ي) the latest series letter; not yet in the recognisers' alphabet
ش       SH     police (Sûreté nationale) series
======  =====  ======================================

>>> p = parse_moroccan("57626 | ب | 8")
>>> p.as_read, p.transliterated
('57626ب8', '57626-B-8')
>>> parse_moroccan("57626-B-8") == p
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

MOROCCAN_LETTERS: dict[str, str] = {
    "أ": "A",
    "ب": "B",
    "د": "D",
    "ه": "H",
    "و": "W",
    "ط": "T",
    "ي": "Y",
    "ش": "SH",
}
"""Arabic series letters of Moroccan plates and their Latin transliteration (documented above)."""

LATIN_TO_MOROCCAN: dict[str, str] = {v: k for k, v in MOROCCAN_LETTERS.items()}

DIGITS = "0123456789"
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CHARSET = DIGITS + LATIN + "أبدهوطش"
"""The OCR models' alphabet, in this order: every character of a plate read by a camera. The series
letter ``ي``, reached in some prefectures after the shipped models were trained, is parsed and
transliterated (:data:`MOROCCAN_LETTERS`) but not yet read."""

_ARABIC_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_ARABIC_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})
_LETTER_VARIANTS = {
    ord("ا"): "أ",
    ord("إ"): "أ",
    ord("آ"): "أ",
    ord("ٱ"): "أ",
    ord("ة"): "ه",
    ord("ھ"): "ه",
    ord("ۀ"): "ه",
    ord("ى"): "ي",
}
_SEPARATORS = re.compile(r"[\s\-|_.·•:/\\,'\"\u0640\u200c-\u200f\u202a-\u202e\u2066-\u2069]+")

MoroccanKind = Literal["standard", "temporary", "police"]


def normalize_plate(text: str) -> str:
    """Canonical plate text: no separators, Latin upper-case, Western digits, one form per letter.

    >>> normalize_plate("57626 | ب | 8")
    '57626ب8'
    >>> normalize_plate("٥٧٦٢٦ - ب - ٨")
    '57626ب8'
    >>> normalize_plate(" ab-123 cd ")
    'AB123CD'
    >>> normalize_plate("609008ww")
    '609008WW'
    >>> normalize_plate("1234 هـ 6")
    '1234ه6'
    """
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_DIGITS).translate(_LETTER_VARIANTS)
    return _SEPARATORS.sub("", text).upper()


@dataclass(frozen=True)
class MoroccanPlate:
    """A parsed Moroccan plate.

    >>> MoroccanPlate("599625", "WW", None, "temporary").transliterated
    '599625-WW'
    """

    serial: str
    letter: str
    """The Arabic letter (``ب``), or ``WW`` for temporary plates."""
    region: int | None
    kind: MoroccanKind = "standard"

    @property
    def as_read(self) -> str:
        """Left to right as on the plate, no separators: ``57626ب8``."""
        return f"{self.serial}{self.letter}{self.region if self.region is not None else ''}"

    @property
    def transliterated(self) -> str:
        """Latin form with dashes: ``57626-B-8`` (mapping in :data:`MOROCCAN_LETTERS`)."""
        parts = [self.serial, MOROCCAN_LETTERS.get(self.letter, self.letter)]
        if self.region is not None:
            parts.append(str(self.region))
        return "-".join(parts)


_LETTER_ALT = "|".join(sorted((re.escape(k) for k in MOROCCAN_LETTERS), key=len, reverse=True))
_READ = re.compile(rf"^(\d{{1,6}})({_LETTER_ALT}|WW)(\d{{0,2}})$")
_TRANSLIT = re.compile(r"^(\d{1,6})-(SH|WW|[ABDHWTY])(?:-(\d{1,2}))?$")


def parse_moroccan(text: str) -> MoroccanPlate | None:
    """Parse a read (``57626ب8``, with or without bars) or transliterated (``57626-B-8``) plate.

    Returns ``None`` when the text is not a valid Moroccan plate (see :func:`is_valid_moroccan`).

    >>> parse_moroccan("609008ww")
    MoroccanPlate(serial='609008', letter='WW', region=None, kind='temporary')
    >>> parse_moroccan("227709ش").kind
    'police'
    >>> parse_moroccan("57626ب0") is None  # region 0 does not exist
    True
    >>> parse_moroccan("AB123CD") is None
    True
    """
    stripped = unicodedata.normalize("NFKC", text).strip().upper()
    m = _TRANSLIT.match(stripped.replace(" ", ""))
    if m:
        letter = m.group(2)
        letter = letter if letter == "WW" else LATIN_TO_MOROCCAN[letter]
        region = m.group(3)
    else:
        m = _READ.match(normalize_plate(text))
        if not m:
            return None
        letter, region = m.group(2), m.group(3)
    plate = _build(m.group(1), letter, int(region) if region else None)
    return plate if plate is not None and is_valid_moroccan(plate) else None


def _build(serial: str, letter: str, region: int | None) -> MoroccanPlate | None:
    kind: MoroccanKind = "temporary" if letter == "WW" else "police" if letter == "ش" else "standard"
    return MoroccanPlate(serial, letter, region, kind)


def is_valid_moroccan(plate: MoroccanPlate) -> bool:
    """Whether the parts fit the Moroccan formats.

    Standard: serial of 1 to 5 digits not starting with 0, a series letter, region 1 to 89.
    Temporary (``WW``) and police (``ش``): a serial of up to 6 digits and no region.

    >>> is_valid_moroccan(MoroccanPlate("57626", "ب", 8))
    True
    >>> is_valid_moroccan(MoroccanPlate("57626", "ب", 90))
    False
    >>> is_valid_moroccan(MoroccanPlate("012", "ب", 8))
    False
    """
    if not plate.serial.isdigit() or plate.serial.startswith("0"):
        return False
    if plate.kind == "standard":
        return (
            len(plate.serial) <= 5
            and plate.letter in MOROCCAN_LETTERS
            and plate.region is not None
            and 1 <= plate.region <= 89
        )
    return len(plate.serial) <= 6 and plate.region is None


def transliterate(text: str) -> str:
    """Latin form of a plate: Moroccan plates get their dashed form, others are normalised.

    >>> transliterate("57626ب8")
    '57626-B-8'
    >>> transliterate("ab 123 cd")
    'AB123CD'
    """
    plate = parse_moroccan(text)
    return plate.transliterated if plate is not None else normalize_plate(text)


_CONFUSABLE_CLASSES = (
    "0ODQ",
    "1I7|أ",
    "8B",
    "5S",
    "2Z",
    "6G",
    "4A",
    "بتثني",
    "جحخ",
    "دذ",
    "رز",
    "سش",
    "صض",
    "طظ",
    "عغ",
    "فق",
    "هةو",
)
CONFUSION_KEY: dict[str, str] = {c: cls[0] for cls in _CONFUSABLE_CLASSES for c in cls}
"""Each character to the representative of its OCR-confusion class (0/O/D/Q -> 0, 8/B -> 8, ...)."""


def confusion_key(text: str) -> str:
    """Map a plate to its OCR-confusion key: plates an OCR may mix up share the key.

    >>> confusion_key("AB 8O1") == confusion_key("4880I")
    True
    >>> confusion_key("57626ب8") == confusion_key("S7626ت8")
    True
    """
    return "".join(CONFUSION_KEY.get(c, c) for c in normalize_plate(text))


def substitution_cost(a: str, b: str) -> float:
    """Cost of reading ``b`` where the plate has ``a``: 0 when equal, 0.3 inside a confusion class, else 1.

    >>> substitution_cost("0", "O"), substitution_cost("0", "X")
    (0.3, 1.0)
    """
    if a == b:
        return 0.0
    return 0.3 if CONFUSION_KEY.get(a, a) == CONFUSION_KEY.get(b, b) else 1.0


def weighted_distance(a: str, b: str, indel: float = 1.0) -> float:
    """Edit distance where confusable substitutions cost less (see :func:`substitution_cost`).

    >>> weighted_distance("57626ب8", "57626ب8")
    0.0
    >>> round(weighted_distance("AB123", "A8123"), 2)
    0.3
    >>> weighted_distance("AB123", "AB12")
    1.0
    """
    prev = [i * indel for i in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        cur = [i * indel]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + indel, cur[j - 1] + indel, prev[j - 1] + substitution_cost(ca, cb)))
        prev = cur
    return prev[-1]


def char_accuracy(truth: str, read: str) -> float:
    """1 - (plain edit distance / length of the truth), floored at 0, on normalised texts.

    >>> char_accuracy("57626ب8", "57626ب8")
    1.0
    >>> round(char_accuracy("AB123", "AB12"), 2)
    0.8
    """
    t, r = normalize_plate(truth), normalize_plate(read)
    if not t:
        return 1.0 if not r else 0.0
    prev = list(range(len(r) + 1))
    for i, ct in enumerate(t, 1):
        cur = [i]
        for j, cr in enumerate(r, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ct != cr)))
        prev = cur
    return max(0.0, 1.0 - prev[-1] / len(t))
