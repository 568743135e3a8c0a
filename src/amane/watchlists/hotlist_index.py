"""In-memory plate index: exact and OCR-confusion-aware fuzzy lookup in well under a millisecond.

Each normalised plate (up to :data:`MAX_LEN` characters) is packed into one ``uint64`` (7 bits a
character), once as read and once as its confusion key (:func:`amane.core.plates.confusion_key`).
Both are kept sorted, so a lookup is a binary search. Fuzzy lookup searches the read's key and its
whole edit-distance-1 neighbourhood in key space (every substitution, insertion and deletion,
generated with integer arithmetic in one numpy call), then scores the candidates with the weighted
edit distance (a confusable pair costs 0.3, any other edit 1). Memory: 28 bytes an entry.

>>> idx = PlateIndex.build(["57626ب8", "AB123CD", "609008WW"])
>>> [(m.row, round(m.cost, 1)) for m in idx.lookup("57626ب8")]
[(0, 0.0)]
>>> [(m.row, round(m.cost, 1)) for m in idx.lookup("A8I23CD")]
[(1, 0.6)]
>>> [(m.row, round(m.cost, 1)) for m in idx.lookup("5762ب8")]
[(0, 1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from amane.core.plates import CHARSET, CONFUSION_KEY, normalize_plate

MAX_LEN = 9
"""Longest plate the index holds (7 bits x 9 characters fit in 63 bits)."""
_BITS = 7
_EXTRA = "تثجحخذرزسصضظعغفقكلمنيةء"
ALPHABET = CHARSET + "".join(c for c in _EXTRA if c not in CHARSET)
"""Characters a plate in the index may hold; code of a character = its position + 1 (0 = empty)."""
_CODE = {c: i + 1 for i, c in enumerate(ALPHABET)}
_KEY_SYMBOLS = np.array(sorted({_CODE[CONFUSION_KEY.get(c, c)] for c in ALPHABET}), dtype=np.uint64)
_SHIFTS = np.array([_BITS * (MAX_LEN - 1 - i) for i in range(MAX_LEN)], dtype=np.uint64)
_MASK7 = np.uint64(127)
_COST_CONFUSABLE = 0.3
NEVER = np.iinfo(np.int64).max
"""Expiry value of an entry that never expires."""

U64 = npt.NDArray[np.uint64]


def encode(plate: str, key: bool = False) -> int:
    """Pack a normalised plate (or its confusion key) into an integer; ``ValueError`` when it cannot.

    >>> encode("A") == (_CODE["A"] << 56)
    True
    >>> encode("0") == encode("O", key=True) == encode("Q", key=True)
    True
    """
    if not plate or len(plate) > MAX_LEN:
        raise ValueError(f"plate {plate!r} must have 1 to {MAX_LEN} characters")
    code = 0
    for i, c in enumerate(plate):
        if key:
            c = CONFUSION_KEY.get(c, c)
        if c not in _CODE:
            raise ValueError(f"plate {plate!r} holds {c!r}, which no plate format uses")
        code |= _CODE[c] << (_BITS * (MAX_LEN - 1 - i))
    return code


def decode(code: int) -> str:
    """Inverse of :func:`encode` (for plates; keys decode to their representatives).

    >>> decode(encode("57626ب8"))
    '57626ب8'
    """
    out = []
    for i in range(MAX_LEN):
        sym = (code >> (_BITS * (MAX_LEN - 1 - i))) & 127
        if sym == 0:
            break
        out.append(ALPHABET[sym - 1])
    return "".join(out)


def neighbourhood(key_code: int, length: int) -> U64:
    """The key itself and every key one substitution, insertion or deletion away (unsorted, unique)."""
    code = np.uint64(key_code)
    parts = [np.array([code], dtype=np.uint64)]
    for i in range(length):
        shift = _SHIFTS[i]
        cleared = code & ~(_MASK7 << shift)
        parts.append(cleared | (_KEY_SYMBOLS << shift))                      # substitutions at i
        high = code & ~((np.uint64(1) << (shift + np.uint64(_BITS))) - np.uint64(1)) if i else np.uint64(0)
        low = code & ((np.uint64(1) << shift) - np.uint64(1))
        parts.append(np.array([high | (low << np.uint64(_BITS))], dtype=np.uint64))  # deletion at i
    if length < MAX_LEN:
        for i in range(length + 1):
            shift = _SHIFTS[i]
            above = shift + np.uint64(_BITS)
            high = code & ~((np.uint64(1) << above) - np.uint64(1)) if i else np.uint64(0)
            rest = (code & ((np.uint64(1) << above) - np.uint64(1))) >> np.uint64(_BITS)
            parts.append(high | (_KEY_SYMBOLS << shift) | rest)               # insertions at i
    return np.unique(np.concatenate(parts))


@dataclass(frozen=True)
class IndexMatch:
    """A row of the index within the cost limit."""

    row: int
    plate: str
    cost: float


class PlateIndex:
    """Sorted packed plates and keys, with expiry; rows are the caller's entry numbers."""

    def __init__(self, codes: U64, expires: npt.NDArray[np.int64] | None = None) -> None:
        if codes.ndim != 1:
            raise ValueError(f"codes must have shape (N,), got {codes.shape}")
        self.codes = codes.astype(np.uint64, copy=False)
        self.expires = (np.full(len(codes), NEVER, np.int64) if expires is None
                        else expires.astype(np.int64, copy=False))
        if self.expires.shape != self.codes.shape:
            raise ValueError(f"expires must have shape {self.codes.shape}, got {self.expires.shape}")
        self.exact_order = np.argsort(self.codes, kind="stable").astype(np.int64)
        self.exact_sorted = self.codes[self.exact_order]
        keys = _keys_of(self.codes)
        self.key_order = np.argsort(keys, kind="stable").astype(np.int64)
        self.key_sorted = keys[self.key_order]

    @classmethod
    def build(cls, plates: Sequence[str], expires: Sequence[int] | None = None) -> PlateIndex:
        """Index plates given as text (normalised here); ``expires`` in epoch seconds or :data:`NEVER`."""
        codes = np.array([encode(normalize_plate(p)) for p in plates], dtype=np.uint64)
        return cls(codes, None if expires is None else np.asarray(expires, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.codes)

    def lookup(self, read: str, *, fuzzy: bool = True, max_cost: float = 1.0, now: int = 0,
               limit: int = 10) -> list[IndexMatch]:
        """Rows whose plate is within ``max_cost`` of ``read`` and not expired at ``now`` (epoch s)."""
        plate = normalize_plate(read)
        try:
            code = encode(plate)
        except ValueError:
            return []
        if not fuzzy:
            first = int(np.searchsorted(self.exact_sorted, np.uint64(code), side="left"))
            last = int(np.searchsorted(self.exact_sorted, np.uint64(code), side="right"))
            exact_rows = self.exact_order[first:last]
            exact_rows = exact_rows[self.expires[exact_rows] > now]
            return [IndexMatch(int(r), plate, 0.0) for r in exact_rows[:limit]]
        cands = neighbourhood(encode(plate, key=True), len(plate))
        lo = np.searchsorted(self.key_sorted, cands, side="left")
        hi = np.searchsorted(self.key_sorted, cands, side="right")
        hit = hi > lo
        if not hit.any():
            return []
        rows = np.concatenate([self.key_order[a:b] for a, b in zip(lo[hit], hi[hit], strict=True)])
        rows = rows[self.expires[rows] > now]
        if len(rows) == 0:
            return []
        costs = weighted_costs(plate, self.codes[rows])
        keep = costs <= max_cost + 1e-9
        rows, costs = rows[keep], costs[keep]
        order = np.argsort(costs, kind="stable")[:limit]
        return [IndexMatch(int(rows[i]), decode(int(self.codes[rows[i]])), float(costs[i])) for i in order]


def _keys_of(codes: U64) -> U64:
    """Confusion keys of packed plates, vectorised through a per-symbol lookup table."""
    table = np.arange(128, dtype=np.uint64)
    for c, sym in _CODE.items():
        table[sym] = _CODE[CONFUSION_KEY.get(c, c)]
    keys = np.zeros_like(codes)
    for shift in _SHIFTS:
        keys |= table[(codes >> shift) & _MASK7] << shift
    return keys


def _symbols(codes: U64) -> npt.NDArray[np.int64]:
    return np.stack([((codes >> s) & _MASK7).astype(np.int64) for s in _SHIFTS], axis=1)


_KEY_TABLE = np.arange(128, dtype=np.int64)
for _c, _sym in _CODE.items():
    _KEY_TABLE[_sym] = _CODE[CONFUSION_KEY.get(_c, _c)]


def weighted_costs(plate: str, codes: U64) -> npt.NDArray[np.float64]:
    """Weighted edit distance (confusable 0.3, other 1) from ``plate`` to each packed candidate.

    Exact for candidates that differ by substitutions only, or by one insertion or deletion plus
    substitutions (all the neighbourhood search returns); larger differences come out as ``inf``.
    """
    q = _symbols(np.array([encode(plate)], dtype=np.uint64))[0]
    n = len(plate)
    cand = _symbols(codes)
    lens = (cand > 0).sum(axis=1)
    out = np.full(len(codes), np.inf)

    def sub_cost(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        diff = a != b
        conf = _KEY_TABLE[a] == _KEY_TABLE[b]
        return np.where(diff, np.where(conf, _COST_CONFUSABLE, 1.0), 0.0).sum(axis=-1)  # type: ignore[no-any-return]

    same = lens == n
    if same.any():
        out[same] = sub_cost(cand[same][:, :n], q[:n])
    longer = lens == n + 1
    if longer.any():  # the read missed one character: delete each position of the candidate in turn
        c = cand[longer][:, : n + 1]
        best = np.min([sub_cost(np.delete(c, j, axis=1), q[:n]) for j in range(n + 1)], axis=0)
        out[longer] = best + 1.0
    shorter = lens == n - 1
    if shorter.any() and n > 1:  # the read has one character too many
        c = cand[shorter][:, : n - 1]
        best = np.min([sub_cost(c, np.delete(q[:n], j)) for j in range(n)], axis=0)
        out[shorter] = best + 1.0
    return out
