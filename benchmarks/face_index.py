"""Face watchlist vector search: build time, single-probe search latency (p50/p99) and recall at 1M templates.

Templates are synthetic but shaped like dlib ResNet descriptors of a watchlist: identities drawn
at random (different people ~0.96 apart, like real impostor pairs), three templates each with
per-photo spread (~0.35 between photos of one person, like real genuine pairs). A probe is a new
noisy sample of an enrolled identity; recall@1 is how often the nearest template belongs to that
identity, compared with exact search. One query at a time (the patrol car asks per track).

    python benchmarks/face_index.py               # 1,000,000 templates
    python benchmarks/face_index.py --quick       # 100,000 templates
    python benchmarks/face_index.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from amane.watchlists.faces_index import FaceIndex

DIM = 128
PER_PERSON = 3
INTER_SIGMA = 0.06  # |c1 - c2| ~ 0.06 * sqrt(2 * 128) ~ 0.96
INTRA_SIGMA = 0.022  # |t1 - t2| ~ 0.35


def make_templates(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(templates, person of each template, identity centres)."""
    rng = np.random.default_rng(seed)
    persons = n // PER_PERSON
    centres = (rng.standard_normal((persons, DIM), dtype=np.float32) * INTER_SIGMA)
    owner = np.repeat(np.arange(persons), PER_PERSON)
    templates = centres[owner] + rng.standard_normal((len(owner), DIM), dtype=np.float32) * INTRA_SIGMA
    return templates.astype(np.float32), owner, centres


def bench(kind: str, templates: np.ndarray, owner: np.ndarray, centres: np.ndarray, queries: int,
          threads: int) -> dict[str, float | int | str]:
    t0 = time.perf_counter()
    ids = np.arange(len(templates), dtype=np.int64)
    index = FaceIndex.build(templates, ids, kind=kind, threads=threads)  # type: ignore[arg-type]
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    who = rng.choice(len(centres), queries, replace=False)
    noise = rng.standard_normal((queries, DIM), dtype=np.float32) * INTRA_SIGMA
    probes = (centres[who] + noise).astype(np.float32)
    for q in probes[:20]:  # warm-up
        index.search(q[None], 5)
    lat, cpu, hits = [], [], 0
    for q, person in zip(probes, who, strict=True):
        t, c = time.perf_counter(), time.thread_time()
        _, ids = index.search(q[None], 5)
        cpu.append((time.thread_time() - c) * 1000.0)
        lat.append((time.perf_counter() - t) * 1000.0)
        hits += int(ids[0, 0] >= 0 and owner[ids[0, 0]] == person)
    arr = np.array(lat)
    return {"index": index.kind, "build_s": round(build_s, 1),
            "search_p50_ms": round(float(np.percentile(arr, 50)), 3),
            "search_p99_ms": round(float(np.percentile(arr, 99)), 3),
            "search_p99_cpu_ms": round(float(np.percentile(cpu, 99)), 3), "recall_at_1": hits / queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 templates instead of 1,000,000")
    parser.add_argument("--n", type=int, default=None, help="Number of templates (overrides --quick)")
    parser.add_argument("--kinds", default=None, help="Comma-separated kinds (default: flat,ivf; ivf at 1M)")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2, help="faiss threads (build and search)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    n = args.n or (100_000 if args.quick else 1_000_000)
    kinds = (args.kinds or ("flat,ivf" if n <= 100_000 else "ivf")).split(",")
    templates, owner, centres = make_templates(n)
    rows = [bench(k, templates, owner, centres, args.queries, args.threads) for k in kinds]
    print(f"\n{n:,} templates x {DIM}-d, {args.queries} single-probe searches, {args.threads} faiss threads")
    print("(p99 CPU: the search's own CPU time, without waiting for a core on a shared machine)")
    print(f"{'index':<6} {'build s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 CPU ms':>10} {'recall@1':>9}")
    for r in rows:
        print(f"{r['index']:<6} {r['build_s']:>8} {r['search_p50_ms']:>8} {r['search_p99_ms']:>8} "
              f"{r['search_p99_cpu_ms']:>10} {r['recall_at_1']:>9.3f}")
    default = next((r for r in rows if r["index"] == ("ivf" if n > 100_000 else "flat")), rows[0])
    out = {"n_templates": n, "search_p99_ms": default["search_p99_ms"],
           "search_p99_cpu_ms": default["search_p99_cpu_ms"], "index": default["index"],
           "recall_at_1": default["recall_at_1"], "results": rows}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
