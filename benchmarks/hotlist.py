"""Hotlist lookup latency: exact + OCR-confusion-aware fuzzy match in a 10-million-entry hotlist.

Builds a :class:`~amane.watchlists.hotlist_index.PlateIndex` of random plates (Moroccan
``serial letter region`` and EU-like ``AB123CD``), then times lookups of reads that are exact hits,
one-confusion variants (``5`` read as ``S``), one-edit variants (a missed digit) and misses.
Each query set runs twice: back to back, and paced (``--pause-ms`` of sleep before each lookup, as
reads arrive from cameras; caches are colder, but a busy machine's scheduler preempts a paced
lookup far less often than a loop that never yields).
Keys: ``entries``, ``lookups``, ``p50_ms``, ``p99_ms``, ``max_ms`` (wall clock), ``cpu_p50_ms``,
``cpu_p99_ms`` (process CPU time per lookup: what one uncontended core takes; on a shared machine
the wall-clock p99 measures the scheduler), the same with a ``paced_`` prefix, ``pause_ms``,
``build_s``, ``memory_mb`` (every index array), ``loadavg`` and
``found_in_top10_{exact,confusion,missed}`` (share of reads whose listed plate is among the first
10 results; in a dense random hotlist many other plates are one edit from a read).

    .venv/bin/python benchmarks/hotlist.py --json .bench/hotlist.json          # 10 M entries
    .venv/bin/python benchmarks/hotlist.py --quick --json .bench/hotlist.json  # 1 M entries
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from amane.watchlists.hotlist_index import _CODE, _SHIFTS, PlateIndex, decode

DIGITS = np.array([_CODE[c] for c in "0123456789"], dtype=np.uint64)
LETTERS_MA = np.array([_CODE[c] for c in "أبدهوط"], dtype=np.uint64)
LATIN = np.array([_CODE[c] for c in "ABCDEFGHJKLMNPRSTVWXYZ"], dtype=np.uint64)


def random_plates(n: int, rng: np.random.Generator) -> np.ndarray:
    """Packed random plates: 70 % Moroccan (5-digit serial, letter, 1-2 digit region), 30 % EU-like."""
    syms = np.zeros((n, 9), dtype=np.uint64)
    ma = rng.random(n) < 0.7
    k = int(ma.sum())
    syms[ma, 0] = DIGITS[rng.integers(1, 10, k)]
    syms[ma, 1:5] = DIGITS[rng.integers(0, 10, (k, 4))]
    syms[ma, 5] = LETTERS_MA[rng.integers(0, len(LETTERS_MA), k)]
    two = rng.random(k) < 0.5
    region = syms[ma]
    region[:, 6] = DIGITS[rng.integers(1, 10, k)]
    region[two, 7] = DIGITS[rng.integers(0, 10, int(two.sum()))]
    syms[ma] = region
    e = ~ma
    m = int(e.sum())
    syms[e, 0:2] = LATIN[rng.integers(0, len(LATIN), (m, 2))]
    syms[e, 2:5] = DIGITS[rng.integers(0, 10, (m, 3))]
    syms[e, 5:7] = LATIN[rng.integers(0, len(LATIN), (m, 2))]
    codes = np.zeros(n, dtype=np.uint64)
    for i, shift in enumerate(_SHIFTS):
        codes |= syms[:, i] << shift
    return codes


CONFUSE = {"5": "S", "0": "O", "8": "B", "1": "I", "2": "Z", "B": "8", "S": "5", "O": "0", "ب": "ت", "د": "ذ"}


def variants(plates: list[str], rng: np.random.Generator) -> tuple[list[tuple[str, str]], list[str]]:
    """(read with one confusion, plate) where the plate has a confusable character; one missed character."""
    confused: list[tuple[str, str]] = []
    missed: list[str] = []
    for p in plates:
        idx = [i for i, c in enumerate(p) if c in CONFUSE]
        if idx:
            i = int(rng.choice(idx))
            confused.append((p[:i] + CONFUSE[p[i]] + p[i + 1 :], p))
        j = int(rng.integers(0, len(p)))
        missed.append(p[:j] + p[j + 1 :])
    return confused, missed


Query = tuple[str, str | None, str]  # read, the listed plate it comes from (None: a miss), kind
KINDS = ("exact", "confusion", "missed")


def make_queries(codes: np.ndarray, lookups: int, rng: np.random.Generator) -> list[Query]:
    """A quarter each: listed plates, one-confusion reads, one-missed-character reads, misses."""
    listed = [decode(int(c)) for c in codes[rng.integers(0, len(codes), lookups // 4)]]
    confused, missed = variants(listed, rng)
    misses = [decode(int(c)) for c in random_plates(lookups // 4, np.random.default_rng(99))]
    return (
        [(q, p, "exact") for q, p in zip(listed, listed, strict=True)]
        + [(q, p, "confusion") for q, p in confused]
        + [(q, p, "missed") for q, p in zip(missed, listed, strict=True)]
        + [(q, None, "miss") for q in misses]
    )


def time_lookups(
    index: PlateIndex, queries: list[Query], pause_s: float
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Wall and CPU ms of each lookup (``pause_s`` of sleep before each), and the top-10 recall per kind."""
    wall, cpu = [], []
    found = dict.fromkeys(KINDS, 0)
    tried = dict.fromkeys(KINDS, 0)
    for q, p, kind in queries:
        if pause_s:
            time.sleep(pause_s)
        c0, t0 = time.process_time(), time.perf_counter()
        res = index.lookup(q, max_cost=1.0, limit=10)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        if p is not None:
            tried[kind] += 1
            found[kind] += any(r.plate == p for r in res)
    recall = {k: round(found[k] / max(tried[k], 1), 4) for k in KINDS}
    return np.array(wall), np.array(cpu), recall


def percentiles(prefix: str, wall: np.ndarray, cpu: np.ndarray) -> dict[str, float]:
    """p50/p99/max wall and p50/p99 CPU, in ms, under keys starting with ``prefix``."""

    def r(x: np.floating) -> float:
        return round(float(x), 4)

    return {
        f"{prefix}p50_ms": r(np.percentile(wall, 50)),
        f"{prefix}p99_ms": r(np.percentile(wall, 99)),
        f"{prefix}max_ms": r(wall.max()),
        f"{prefix}cpu_p50_ms": r(np.percentile(cpu, 50)),
        f"{prefix}cpu_p99_ms": r(np.percentile(cpu, 99)),
    }


def report(out: dict[str, float | int]) -> None:
    """Print the figures as a small table."""
    print(f"hotlist of {out['entries']:,} entries ({out['memory_mb']} MB index, built in {out['build_s']} s)")
    print(f"{'run':>14} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'cpu p50':>8} {'cpu p99':>8}")
    for name, prefix in (("back-to-back", ""), (f"paced {out['pause_ms']} ms", "paced_")):
        values = [out[f"{prefix}{k}"] for k in ("p50_ms", "p99_ms", "max_ms", "cpu_p50_ms", "cpu_p99_ms")]
        print(f"{name:>14} " + " ".join(f"{v:>8}" for v in values))
    print(f"load average {out['loadavg']}, {out['lookups']} lookups a run")
    print("found in the top 10: " + ", ".join(f"{k} {out['found_in_top10_' + k]}" for k in KINDS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 M entries, fewer lookups")
    ap.add_argument("--entries", type=int, default=0)
    ap.add_argument("--pause-ms", type=float, default=1.0, help="sleep before each lookup of the paced run")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    n = args.entries or (1_000_000 if args.quick else 10_000_000)
    rng = np.random.default_rng(7)
    t = time.perf_counter()
    codes = random_plates(n, rng)
    index = PlateIndex(codes)
    build_s = time.perf_counter() - t
    queries = make_queries(codes, 600 if args.quick else 3000, rng)
    for q, _, _ in queries[:50]:  # warm up
        index.lookup(q)
    wall, cpu, recall = time_lookups(index, queries, 0.0)
    paced_wall, paced_cpu, _ = time_lookups(index, queries, args.pause_ms / 1000)
    out: dict[str, float | int] = {
        "entries": n,
        "lookups": len(wall),
        **percentiles("", wall, cpu),
        "pause_ms": args.pause_ms,
        **percentiles("paced_", paced_wall, paced_cpu),
        "build_s": round(build_s, 2),
        "memory_mb": round(index.nbytes / 2**20, 1),
        "loadavg": round(os.getloadavg()[0], 1),
        **{f"found_in_top10_{k}": v for k, v in recall.items()},
    }
    report(out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
