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


SAME, LONGER, SHORTER = 0, 1, 2
"""Edit kinds of a neighbour: same length (substitution), the plate is one longer (the read missed a
character at ``pos``), the plate is one shorter (the read has an extra character at ``pos``)."""


_ONE = np.uint64(1)
_POS = np.arange(MAX_LEN)
_CLEAR = np.array([~(_MASK7 << sh) for sh in _SHIFTS], dtype=np.uint64)  # drop position i
_ABOVE = np.array([~((_ONE << (sh + np.uint64(_BITS))) - _ONE) for sh in _SHIFTS], dtype=np.uint64)  # < i
_BELOW = np.array([(_ONE << sh) - _ONE for sh in _SHIFTS], dtype=np.uint64)  # positions > i
_FROM = np.array([(_ONE << (sh + np.uint64(_BITS))) - _ONE for sh in _SHIFTS], dtype=np.uint64)  # >= i
# Substitutions and insertions use the characters an OCR can output (the plate alphabet's key classes).
_EDIT_SYMBOLS = np.array(sorted({_CODE[CONFUSION_KEY.get(c, c)] for c in CHARSET}), dtype=np.uint64)
_PLACED = _EDIT_SYMBOLS[None, :] << _SHIFTS[:, None]  # (MAX_LEN, K)


def neighbourhood_ops(key_code: int, length: int) -> tuple[U64, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every key one substitution, insertion or deletion from ``key_code`` (and itself), with the
    edit kind and position of each (see :data:`SAME`); vectorised, no loop over positions."""
    code = np.uint64(key_code)
    n, k = length, len(_EDIT_SYMBOLS)
    subs = ((code & _CLEAR[:n])[:, None] | _PLACED[:n]).ravel()
    dels = (code & _ABOVE[:n]) | ((code & _BELOW[:n]) << np.uint64(_BITS))
    parts = [np.array([code], dtype=np.uint64), subs, dels]
    kinds = [np.array([SAME]), np.full(n * k, SAME), np.full(n, SHORTER)]
    poss = [np.array([0]), np.repeat(_POS[:n], k), _POS[:n]]
    if n < MAX_LEN:
        ins = (
            ((code & _ABOVE[: n + 1]) | ((code & _FROM[: n + 1]) >> np.uint64(_BITS)))[:, None]
            | _PLACED[: n + 1]
        ).ravel()
        parts.append(ins)
        kinds.append(np.full((n + 1) * k, LONGER))
        poss.append(np.repeat(_POS[: n + 1], k))
    return np.concatenate(parts), np.concatenate(kinds), np.concatenate(poss)


def neighbourhood(key_code: int, length: int) -> U64:
    """The key itself and every key one substitution, insertion or deletion away (unique)."""
    return np.unique(neighbourhood_ops(key_code, length)[0])


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
        self.expires = (
            np.full(len(codes), NEVER, np.int64) if expires is None else expires.astype(np.int64, copy=False)
        )
        if self.expires.shape != self.codes.shape:
            raise ValueError(f"expires must have shape {self.codes.shape}, got {self.expires.shape}")
        self.exact_order = np.argsort(self.codes, kind="stable").astype(np.int64)
        self.exact_sorted = self.codes[self.exact_order]
        keys = _keys_of(self.codes)
        self.key_order = np.argsort(keys, kind="stable").astype(np.int64)
        self.key_sorted = keys[self.key_order]
        self.ukeys, self.ustart, self.ucount = np.unique(
            self.key_sorted, return_index=True, return_counts=True
        )

    @classmethod
    def build(cls, plates: Sequence[str], expires: Sequence[int] | None = None) -> PlateIndex:
        """Index plates given as text (normalised here); ``expires`` in epoch seconds or :data:`NEVER`."""
        codes = np.array([encode(normalize_plate(p)) for p in plates], dtype=np.uint64)
        return cls(codes, None if expires is None else np.asarray(expires, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.codes)

    def lookup(
        self, read: str, *, fuzzy: bool = True, max_cost: float = 1.0, now: int = 0, limit: int = 10
    ) -> list[IndexMatch]:
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
        cands, kinds, poss = neighbourhood_ops(encode(plate, key=True), len(plate))
        order = np.argsort(cands)  # sorted keys make numpy's binary search reuse its last position
        cands, kinds, poss = cands[order], kinds[order], poss[order]
        at = np.minimum(np.searchsorted(self.ukeys, cands), max(len(self.ukeys) - 1, 0))
        if len(self.ukeys) == 0:
            return []
        hit = self.ukeys[at] == cands
        if not hit.any():
            return []
        lo, counts = self.ustart[at], self.ucount[at]
        lo, counts = lo[hit], counts[hit]
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        rows = self.key_order[starts + np.arange(int(counts.sum()))]
        kind, pos = np.repeat(kinds[hit], counts), np.repeat(poss[hit], counts)
        live = self.expires[rows] > now
        rows, kind, pos = rows[live], kind[live], pos[live]
        if len(rows) == 0:
            return []
        costs = aligned_costs(plate, self.codes[rows], kind, pos)
        by_cost = np.lexsort((rows, costs))
        rows, costs = rows[by_cost], costs[by_cost]
        uniq = np.sort(np.unique(rows, return_index=True)[1])  # each row once, at its lowest cost
        rows, costs = rows[uniq], costs[uniq]
        keep = costs <= max_cost + 1e-9
        rows, costs = rows[keep][:limit], costs[keep][:limit]
        return [
            IndexMatch(int(r), decode(int(self.codes[r])), float(c)) for r, c in zip(rows, costs, strict=True)
        ]


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


def aligned_costs(
    plate: str, codes: U64, kind: npt.NDArray[np.int64], pos: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Weighted cost of each candidate under the single-edit alignment that found it."""
    n = len(plate)
    q = _symbols(np.array([encode(plate)], dtype=np.uint64))[0]
    cand = _symbols(codes)
    k = len(codes)
    cols = np.arange(MAX_LEN - 1)
    # the characters compared, as (k, MAX_LEN - 1) arrays padded with 0 (equal on both sides)
    a = np.zeros((k, MAX_LEN - 1), np.int64)
    b = np.zeros((k, MAX_LEN - 1), np.int64)
    same, longer, shorter = kind == SAME, kind == LONGER, kind == SHORTER
    if same.any():
        a_same = cand[same]
        b_same = np.broadcast_to(q, a_same.shape)
        out_same = _sub_cost(a_same, b_same)
    skip_c = cols[None, :] + (cols[None, :] >= pos[:, None])  # drop column pos
    if longer.any():
        a[longer] = np.take_along_axis(cand[longer], skip_c[longer], axis=1)
        b[longer] = q[: MAX_LEN - 1]
    if shorter.any():
        a[shorter] = cand[shorter][:, : MAX_LEN - 1]
        b[shorter] = q[skip_c[shorter]]
    out = _sub_cost(a, b) + 1.0
    if same.any():
        out[same] = out_same
    valid = (
        np.where(longer, (cand > 0).sum(axis=1) == n + 1, True)
        & np.where(shorter, (cand > 0).sum(axis=1) == n - 1, True)
        & np.where(same, (cand > 0).sum(axis=1) == n, True)
    )
    return np.where(valid, out, np.inf)


def _sub_cost(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    diff = a != b
    conf = _KEY_TABLE[a] == _KEY_TABLE[b]
    out: npt.NDArray[np.float64] = np.where(diff, np.where(conf, _COST_CONFUSABLE, 1.0), 0.0).sum(axis=-1)
    return out


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
