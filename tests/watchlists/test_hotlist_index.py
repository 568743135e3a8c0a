"""PlateIndex against a straightforward reference: same rows, costs and ranking on random small hotlists."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.core.plates import CHARSET, CONFUSION_KEY, substitution_cost
from amane.watchlists.hotlist_index import _COST_OF, MAX_LEN, NEVER, PlateIndex, differing_symbols, encode

# confusable classes (0/O/D, 8/B, 5/S, 1/I, ب/ت, د/ذ) and a letter no OCR outputs (ك, indexable only)
DENSE = "0OD8B5S1Iبتدذك"
EDIT_CLASSES = {CONFUSION_KEY.get(c, c) for c in CHARSET}
Listed = tuple[int, str, int]  # row, plate, expiry


def key(plate: str) -> str:
    return "".join(CONFUSION_KEY.get(c, c) for c in plate)


def sub_sum(a: str, b: str) -> float:
    return sum(substitution_cost(x, y) for x, y in zip(a, b, strict=True))


def alignment_costs(plate: str, read: str) -> list[float]:
    """Costs of the single-edit alignments the neighbourhood search knows, written out plainly:
    substitutions (at most one across confusion classes, to a class an OCR outputs), one missed
    character of such a class, or one extra character; confusable pairs cost 0.3 each on top."""
    k, rk, n = key(plate), key(read), len(read)
    out = []
    if len(plate) == n:
        across = [i for i in range(n) if k[i] != rk[i]]
        if not across or (len(across) == 1 and k[across[0]] in EDIT_CLASSES):
            out.append(sub_sum(plate, read))
    if len(plate) == n + 1:
        for i in range(n + 1):
            if k[:i] + k[i + 1 :] == rk and k[i] in EDIT_CLASSES:
                out.append(1 + sub_sum(plate[:i] + plate[i + 1 :], read))
    if len(plate) == n - 1:
        for i in range(n):
            if rk[:i] + rk[i + 1 :] == k:
                out.append(1 + sub_sum(plate, read[:i] + read[i + 1 :]))
    return out


def reference(
    listed: list[Listed], read: str, fuzzy: bool, max_cost: float, now: int, limit: int
) -> list[tuple[int, str, float]]:
    """What a lookup returns, by scanning every listed plate."""
    found: list[tuple[int, str, float]] = []
    for row, plate, expires in listed:
        if expires <= now:
            continue
        costs = alignment_costs(plate, read) if fuzzy else [0.0] if plate == read else []
        if costs and min(costs) <= max_cost + 1e-9:
            found.append((row, plate, min(costs)))
    return sorted(found, key=lambda f: (round(f[2], 9), f[0]))[:limit]


def edited(plate: str, ops: list[tuple[int, int, str]]) -> str:
    """``plate`` after up to a few substitutions (0), insertions (1), deletions (2) and doublings (3:
    a character of the same confusion class inserted next to one, so two alignments find the plate)."""
    for op, at, c in ops:
        i = at % (len(plate) + 1)
        if op == 0 and i < len(plate):
            plate = plate[:i] + c + plate[i + 1 :]
        elif op == 1 and len(plate) < MAX_LEN:
            plate = plate[:i] + c + plate[i:]
        elif op == 2 and len(plate) > 1 and i < len(plate):
            plate = plate[:i] + plate[i + 1 :]
        elif op == 3 and len(plate) < MAX_LEN and i < len(plate):
            same = [d for d in DENSE if key(d) == key(plate[i])]
            plate = plate[:i] + same[at % len(same)] + plate[i:]
    return plate


edits = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2 * MAX_LEN), st.sampled_from(DENSE)), max_size=3
)


@settings(max_examples=300, deadline=None)
@given(
    read=st.text(alphabet=DENSE, min_size=1, max_size=MAX_LEN),
    plate_edits=st.lists(st.tuples(edits, st.sampled_from([NEVER, NEVER, 10])), min_size=1, max_size=40),
    fuzzy=st.sampled_from([True, True, True, False]),
    max_cost=st.sampled_from([0.0, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.3, 1.6, 2.0, 3.0]),
    now=st.sampled_from([0, 20]),
    limit=st.sampled_from([1, 3, 10, 100]),
)
def test_lookup_matches_reference(
    read: str,
    plate_edits: list[tuple[list[tuple[int, int, str]], int]],
    fuzzy: bool,
    max_cost: float,
    now: int,
    limit: int,
) -> None:
    listed = [(row, edited(read, ops), exp) for row, (ops, exp) in enumerate(plate_edits)]
    index = PlateIndex(
        np.array([encode(p) for _, p, _ in listed], dtype=np.uint64),
        np.array([exp for _, _, exp in listed], dtype=np.int64),
    )
    got = [
        (m.row, m.plate, m.cost)
        for m in index.lookup(read, fuzzy=fuzzy, max_cost=max_cost, now=now, limit=limit)
    ]
    want = reference(listed, read, fuzzy, max_cost, now, limit)
    assert [g[:2] for g in got] == [w[:2] for w in want]
    if max_cost <= 1.0:  # every cost up to 1 comes out as the same float
        assert [g[2] for g in got] == [w[2] for w in want]
    else:
        assert [g[2] for g in got] == pytest.approx([w[2] for w in want], abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 127), min_size=9, max_size=9))
def test_differing_symbols_counts_nonzero_symbols(symbols: list[int]) -> None:
    packed = 0
    for s in symbols:
        packed = (packed << 7) | s
    assert differing_symbols(np.array([packed], dtype=np.uint64)).tolist() == [sum(s > 0 for s in symbols)]


def test_empty_index_finds_nothing() -> None:
    index = PlateIndex(np.zeros(0, dtype=np.uint64))
    assert len(index) == 0
    assert index.lookup("57626ب8") == [] and index.lookup("57626ب8", fuzzy=False) == []


def test_cost_codes_rank_like_their_costs() -> None:
    """Results are ranked by integer cost code 3 a + 10 b: the floats keep that order and read 0.3 a + b."""
    pairs = sorted(
        ((a, b) for a in range(MAX_LEN + 1) for b in (0, 1)), key=lambda ab: 3 * ab[0] + 10 * ab[1]
    )
    costs = [float(_COST_OF[3 * a + 10 * b]) for a, b in pairs]
    assert costs == sorted(costs) and len(set(costs)) == len(costs)
    assert costs == pytest.approx([0.3 * a + b for a, b in pairs], abs=1e-9)
    assert [float(_COST_OF[c]) for c in (0, 3, 6, 9, 10)] == [0.0, 0.3, 0.6, 0.3 + 0.3 + 0.3, 1.0]
