"""In-memory plate index: exact and OCR-confusion-aware fuzzy lookup in well under a millisecond.

Each normalised plate (up to :data:`MAX_LEN` characters) is packed into one ``uint64`` (7 bits a
character), and so is its confusion key (:func:`amane.core.plates.confusion_key`). The entries are
kept sorted by key, with the distinct keys in one sorted array, so a lookup is a binary search.

Fuzzy lookup searches the read's key and its whole edit-distance-1 neighbourhood in key space
(every substitution, insertion and deletion: about 700 keys). The neighbourhood comes from
precomputed per-length tables in two numpy operations; a bit set of the listed keys drops the
neighbours nobody holds before the binary search. Each listed plate found is scored with the
weighted edit distance under the alignment that found it (a confusable pair costs 0.3, any other
edit 1), counted with bit arithmetic on the packed codes; a plate found through several
alignments keeps its lowest cost. Results come by increasing cost, then row.

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
_KEY_CODE = {c: _CODE[CONFUSION_KEY.get(c, c)] for c in ALPHABET}
_SHIFTS = np.array([_BITS * (MAX_LEN - 1 - i) for i in range(MAX_LEN)], dtype=np.uint64)
_MASK7 = np.uint64(127)
_COST_CONFUSABLE = 0.3
NEVER = np.iinfo(np.int64).max
"""Expiry value of an entry that never expires."""

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def encode(plate: str, key: bool = False) -> int:
    """Pack a normalised plate (or its confusion key) into an integer; ``ValueError`` when it cannot.

    >>> encode("A") == (_CODE["A"] << 56)
    True
    >>> encode("0") == encode("O", key=True) == encode("Q", key=True)
    True
    """
    if not plate or len(plate) > MAX_LEN:
        raise ValueError(f"plate {plate!r} must have 1 to {MAX_LEN} characters")
    table = _KEY_CODE if key else _CODE
    code = 0
    for c in plate:
        sym = table.get(c)
        if sym is None:
            raise ValueError(f"plate {plate!r} holds {c!r}, which no plate format uses")
        code = (code << _BITS) | sym
    return code << (_BITS * (MAX_LEN - len(plate)))


def _pair_texts() -> list[str]:
    """Text of every 14-bit pair of symbols (a 0 symbol ends the plate; unused symbols read U+FFFD)."""
    chars = [""] + list(ALPHABET) + ["\ufffd"] * (127 - len(ALPHABET))
    return [chars[pair >> _BITS] + (chars[pair & 127] if pair >> _BITS else "") for pair in range(1 << 14)]


_PAIRS = _pair_texts()


def decode(code: int) -> str:
    """Inverse of :func:`encode` (for plates; keys decode to their representatives).

    >>> decode(encode("57626ب8"))
    '57626ب8'
    >>> decode(encode("AB123CD4"))
    'AB123CD4'
    """
    p = _PAIRS
    return (
        p[(code >> 49) & 0x3FFF]
        + p[(code >> 35) & 0x3FFF]
        + p[(code >> 21) & 0x3FFF]
        + p[(code >> 7) & 0x3FFF]
        + p[(code & 127) << _BITS]
    )


_ONE = np.uint64(1)
_ALL = np.uint64((1 << (_BITS * MAX_LEN)) - 1)
_SYMBOL_LOW = sum(1 << (_BITS * i) for i in range(MAX_LEN))  # bit 0 of every symbol
_LOW6 = np.uint64(63 * _SYMBOL_LOW)
_HIGH = np.uint64(64 * _SYMBOL_LOW)
_SUM = np.uint64(_SYMBOL_LOW)  # multiplier that adds the symbol slots into the top slot
_TOP = np.uint64(_BITS * (MAX_LEN - 1))
# Substitutions and insertions use the characters an OCR can output (the plate alphabet's key classes).
_EDIT_SYMBOLS = sorted({_KEY_CODE[c] for c in CHARSET})


def _clear(i: int) -> int:
    """Mask of every symbol but position ``i``."""
    return int(_ALL) & ~(127 << int(_SHIFTS[i]))


def _above(i: int) -> int:
    """Mask of the symbols before position ``i``."""
    return int(_ALL) & ~((1 << (int(_SHIFTS[i]) + _BITS)) - 1)


def _below(i: int) -> int:
    """Mask of the symbols after position ``i``."""
    return (1 << int(_SHIFTS[i])) - 1


def _from(i: int) -> int:
    """Mask of the symbols at position ``i`` and after."""
    return (1 << (int(_SHIFTS[i]) + _BITS)) - 1


@dataclass(frozen=True)
class _Generator:
    """One alignment of the read with a listed plate, and how its neighbour keys are made.

    A base value is ``(v & keep) | ((v & up) << 7) | ((v & down) >> 7)``, applied to the read's key
    (with the ``key_*`` masks) to make the neighbours and to the read's code (``code_*``) to make
    the target the plate is compared with; ``compare`` masks the symbols compared and ``indel``
    says whether the alignment costs one insertion or deletion.
    """

    key_keep: int
    key_up: int
    key_down: int
    code_keep: int
    code_up: int
    code_down: int
    compare: int
    indel: bool
    symbols: tuple[int, ...]  # each makes a neighbour, placed at ``place``; (0,): the base itself
    place: int


def _generators(n: int) -> list[_Generator]:
    """The alignments of a read of ``n`` characters: itself, substitutions, deletions, insertions."""
    full = int(_ALL)
    edit = tuple(_EDIT_SYMBOLS)
    gens = [_Generator(full, 0, 0, full, 0, 0, full, False, (0,), 0)]
    for i in range(n):  # the plate has another character at i (kept: the code is compared whole)
        gens.append(_Generator(_clear(i), 0, 0, full, 0, 0, full, False, edit, int(_SHIFTS[i])))
    for i in range(n):  # the plate is one shorter: the read has an extra character at i
        gens.append(_Generator(_above(i), _below(i), 0, _above(i), _below(i), 0, full, True, (0,), 0))
    if n < MAX_LEN:
        for i in range(n + 1):  # the plate is one longer: the read missed a character at i
            down = _from(i)
            gens.append(
                _Generator(_above(i), 0, down, _above(i), 0, down, _clear(i), True, edit, int(_SHIFTS[i]))
            )
    return gens


@dataclass(frozen=True)
class _Tables:
    """Per read length: generator masks (rows: key, code) and, per neighbour, its generator and the
    symbol it places."""

    keep: U64  # (2, G)
    up: U64
    down: U64
    compare: U64  # (G,)
    indel: npt.NDArray[np.bool_]  # (G,)
    gen: I64  # (K,)
    placed: U64  # (K,)

    @classmethod
    def of_length(cls, n: int) -> _Tables:
        """Tables for reads of ``n`` characters."""
        gens = _generators(n)

        def masks(key: str, code: str) -> U64:
            return np.array(
                [[getattr(g, key) for g in gens], [getattr(g, code) for g in gens]], dtype=np.uint64
            )

        gen = [j for j, g in enumerate(gens) for _ in g.symbols]
        placed = [s << g.place for g in gens for s in g.symbols]
        return cls(
            keep=masks("key_keep", "code_keep"),
            up=masks("key_up", "code_up"),
            down=masks("key_down", "code_down"),
            compare=np.array([g.compare for g in gens], dtype=np.uint64),
            indel=np.array([g.indel for g in gens]),
            gen=np.array(gen, dtype=np.int64),
            placed=np.array(placed, dtype=np.uint64),
        )

    def bases(self, key_code: int, code: int) -> U64:
        """(2, G): the neighbour base of each generator (row 0) and its comparison target (row 1)."""
        v = np.array([[key_code], [code]], dtype=np.uint64)
        seven = np.uint64(_BITS)
        out: U64 = (v & self.keep) | ((v & self.up) << seven) | ((v & self.down) >> seven)
        return out


_TABLES = [_Tables.of_length(n) if n else None for n in range(MAX_LEN + 1)]


def _tables(n: int) -> _Tables:
    tables = _TABLES[n]
    if tables is None:
        raise ValueError("a read has at least one character")
    return tables


def neighbourhood(key_code: int, length: int) -> U64:
    """The key itself and every key one substitution, insertion or deletion away (unique)."""
    tables = _tables(length)
    base = tables.bases(key_code, 0)[0]
    return np.unique(base[tables.gen] | tables.placed)


def _cost_of_tenths() -> npt.NDArray[np.float64]:
    """Cost of each integer cost code ``3 a + 10 b`` (``a`` confusable pairs, ``b`` other edits).

    The float is the sum in the order ``b`` then each 0.3, which is what a position-wise sum
    gives for every cost up to 1.
    """
    out = np.full(64, np.inf)
    for b in (0, 1):
        for a in range(MAX_LEN + 1):
            cost = float(b)
            for _ in range(a):
                cost += _COST_CONFUSABLE
            out[3 * a + 10 * b] = cost
    return out


_COST_OF = _cost_of_tenths()
_COST_LIST = _COST_OF.tolist()


def differing_symbols(x: U64) -> U64:
    """How many of the nine 7-bit symbols of each ``x`` are not zero (SWAR bit arithmetic).

    >>> differing_symbols(np.array([0, 1, 127 << 56, (1 << 63) - 1], dtype=np.uint64)).tolist()
    [0, 1, 1, 9]
    """
    flags = ((((x & _LOW6) + _LOW6) | x) & _HIGH) >> np.uint64(6)  # bit 0 of a symbol: it is not 0
    out: U64 = ((flags * _SUM) >> _TOP) & _MASK7  # the slots, summed into the top one
    return out


_HASH = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class IndexMatch:
    """A row of the index within the cost limit."""

    row: int
    plate: str
    cost: float


class PlateIndex:
    """Packed plates sorted by confusion key, with expiry; rows are the caller's entry numbers.

    Arrays (``N`` entries, ``U`` distinct keys): ``ukeys`` (U + 1, sorted, ending in a sentinel),
    ``ustart`` (U + 1: where each key's entries start in the key-sorted arrays ``kcodes``,
    ``krows``, ``kexpires``), and ``present``, a bit set of the keys (about 16 bits a key).
    """

    def __init__(self, codes: U64, expires: I64 | None = None) -> None:
        if codes.ndim != 1:
            raise ValueError(f"codes must have shape (N,), got {codes.shape}")
        codes = codes.astype(np.uint64, copy=False)
        expires = (
            np.full(len(codes), NEVER, np.int64) if expires is None else expires.astype(np.int64, copy=False)
        )
        if expires.shape != codes.shape:
            raise ValueError(f"expires must have shape {codes.shape}, got {expires.shape}")
        keys = _keys_of(codes)
        self.krows: I64 = np.argsort(keys, kind="stable").astype(np.int64)
        keys = keys[self.krows]
        self.kcodes: U64 = codes[self.krows]
        self.kexpires: I64 = expires[self.krows]
        self._soonest = int(expires.min()) if len(expires) else NEVER  # no entry has expired before
        starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        first = np.concatenate([[0], starts]) if len(keys) else np.zeros(0, np.int64)
        sentinel = np.array([np.iinfo(np.uint64).max], dtype=np.uint64)  # above every key
        self.ukeys: U64 = np.concatenate([keys[first], sentinel])
        self.ustart: I64 = np.concatenate([first, [len(keys)]]).astype(np.int64)
        self._bits = max(10, int(np.ceil(np.log2(16 * max(len(first), 1)))))
        self.present: U64 = _bit_set(self.ukeys[:-1], self._bits)

    @classmethod
    def build(cls, plates: Sequence[str], expires: Sequence[int] | None = None) -> PlateIndex:
        """Index plates given as text (normalised here); ``expires`` in epoch seconds or :data:`NEVER`."""
        codes = np.array([encode(normalize_plate(p)) for p in plates], dtype=np.uint64)
        return cls(codes, None if expires is None else np.asarray(expires, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.kcodes)

    @property
    def nbytes(self) -> int:
        """Memory the index arrays hold."""
        arrays = (self.krows, self.kcodes, self.kexpires, self.ukeys, self.ustart, self.present)
        return sum(a.nbytes for a in arrays)

    def lookup(
        self, read: str, *, fuzzy: bool = True, max_cost: float = 1.0, now: int = 0, limit: int = 10
    ) -> list[IndexMatch]:
        """Rows whose plate is within ``max_cost`` of ``read`` and not expired at ``now`` (epoch s)."""
        plate = normalize_plate(read)
        try:
            code = encode(plate)
        except ValueError:
            return []
        key = encode(plate, key=True)
        if not fuzzy:
            return self._exact(plate, code, key, now, limit)
        tables = _tables(len(plate))
        bases = tables.bases(key, code)
        found = self._hits(tables, bases[0], key)
        if found is None:
            return []
        pos, tenths = self._scores(tables, bases[1], key, found, now)
        return self._ranked(pos, tenths, max_cost, limit)

    def _ranked(self, pos: I64, tenths: I64, max_cost: float, limit: int) -> list[IndexMatch]:
        """The first ``limit`` entries within ``max_cost``, by cost, then row (rows are below 2**40)."""
        keep = _COST_OF[tenths] <= max_cost + 1e-9
        pos, tenths = pos[keep], tenths[keep]
        rows = self.krows[pos]
        order = np.argsort((tenths << 40) | rows)[:limit]
        return [
            IndexMatch(r, decode(c), _COST_LIST[t])
            for r, c, t in zip(
                rows[order].tolist(), self.kcodes[pos[order]].tolist(), tenths[order].tolist(), strict=True
            )
        ]

    def _hits(self, tables: _Tables, base: U64, key: int) -> tuple[U64, I64, I64] | None:
        """The read's neighbour keys that the index holds: (key, generator, index in ``ukeys``)."""
        cands = base[tables.gen] | tables.placed
        wanted = self._may_hold(cands) & (cands != np.uint64(key))  # a substitution by itself: no
        wanted[0] = True  # ... the read's own key, once
        held = np.flatnonzero(wanted)
        cands, gens = cands[held], tables.gen[held]
        at = np.searchsorted(self.ukeys, cands)
        hit = np.flatnonzero(self.ukeys[at] == cands)
        return (cands[hit], gens[hit], at[hit]) if len(hit) else None

    def _scores(
        self, tables: _Tables, targets: U64, key: int, found: tuple[U64, I64, I64], now: int
    ) -> tuple[I64, I64]:
        """Live entries of the hit keys (key-sorted positions) with their lowest integer cost code."""
        cands, gens, at = found
        # the cost code of the edit that is not a confusion: an indel, or a substitution across classes
        other = np.where(tables.indel[gens], 10, np.where(cands != np.uint64(key), 7, 0))
        pos, hit_of = self._entries(at)
        if now >= self._soonest:
            live = np.flatnonzero(self.kexpires[pos] > now)
            pos, hit_of = pos[live], hit_of[live]
        gens = gens[hit_of]
        diff = (self.kcodes[pos] ^ targets[gens]) & tables.compare[gens]
        tenths = 3 * differing_symbols(diff).astype(np.int64) + other[hit_of]
        if _repeats(cands):  # a key found through several alignments: its entries too
            pos, tenths = _lowest_per_entry(pos, tenths)
        return pos, tenths

    def _exact(self, plate: str, code: int, key: int, now: int, limit: int) -> list[IndexMatch]:
        """Live rows holding exactly ``code``, in row order."""
        u = int(np.searchsorted(self.ukeys, np.uint64(key)))
        if self.ukeys[u] != np.uint64(key):
            return []
        lo, hi = int(self.ustart[u]), int(self.ustart[u + 1])
        same = (self.kcodes[lo:hi] == np.uint64(code)) & (self.kexpires[lo:hi] > now)
        rows = self.krows[lo:hi][same]
        return [IndexMatch(r, plate, 0.0) for r in rows[:limit].tolist()]

    def _may_hold(self, keys: U64) -> npt.NDArray[np.bool_]:
        """False for keys surely not in the index (a bit-set test; true ones always pass)."""
        h = (keys * _HASH) >> np.uint64(64 - self._bits)
        words = self.present[h >> np.uint64(6)]
        out: npt.NDArray[np.bool_] = ((words >> (h & np.uint64(63))) & _ONE).astype(bool)
        return out

    def _entries(self, at: I64) -> tuple[I64, I64]:
        """Key-sorted positions of the entries of the distinct keys ``at``, and which ``at`` each is of."""
        lo = self.ustart[at]
        counts = self.ustart[at + 1] - lo
        hit_of = np.repeat(np.arange(len(at)), counts)
        before = np.cumsum(counts) - counts
        pos = np.arange(int(counts.sum())) + (lo - before)[hit_of]
        return pos, hit_of


def _repeats(values: U64) -> bool:
    """Whether a value occurs more than once (for short arrays)."""
    ordered = np.sort(values)
    return bool((ordered[1:] == ordered[:-1]).any())


def _lowest_per_entry(pos: I64, tenths: I64) -> tuple[I64, I64]:
    """Each entry once, with its lowest cost code (codes are below 64)."""
    packed = np.sort((pos << 6) | tenths)  # an entry's lowest cost comes first
    first = np.ones(len(packed), dtype=bool)
    first[1:] = (packed[1:] >> 6) != (packed[:-1] >> 6)
    packed = packed[first]
    return packed >> 6, packed & 63


def _bit_set(keys: U64, bits: int) -> U64:
    """A ``2**bits``-bit set (as uint64 words) with the hash bit of every key set."""
    h = (keys * _HASH) >> np.uint64(64 - bits)
    flags = np.zeros(1 << bits, dtype=bool)
    flags[h] = True
    words = np.packbits(flags, bitorder="little").view(np.dtype("<u8"))
    return words.astype(np.uint64, copy=False)


def _keys_of(codes: U64) -> U64:
    """Confusion keys of packed plates, vectorised through a per-symbol lookup table."""
    table = np.arange(128, dtype=np.uint64)
    for c, sym in _CODE.items():
        table[sym] = _KEY_CODE[c]
    keys = np.zeros_like(codes)
    for shift in _SHIFTS:
        keys |= table[(codes >> shift) & _MASK7] << shift
    return keys
