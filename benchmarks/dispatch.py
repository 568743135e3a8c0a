"""Dispatch figures: recommendation latency on a generated city; KPI time over a million incidents.

    python benchmarks/dispatch.py [--quick] [--json PATH]

Recommendation: a generated street grid (180 x 180 junctions, about 104,000 directed edges, one street
in three one-way, 3 % of blocks missing) and 500 units at random places off the graph. Each sample is
what ``recommend`` does once it has the units: snap units and incident to the graph (KD-tree), one
Dijkstra from the incident over the reversed graph (its horizon guessed from the straight-line distance
of the 10th nearest unit, widened until 10 units are reached), the kind/priority rules and the sort.
``recommend_p99_ms`` is its 99th percentile (target <= 20 ms); ``full_search_p99_ms`` the same with an
unbounded search; ``recommend_cpu_p99_ms`` the CPU time of the same samples (what it costs on a core of
its own: wall-clock percentiles on a shared, loaded machine also measure its scheduler);
``service_p99_ms`` the whole service call on a migrated SQLite centre with the 500 units registered
(reading units, roster and assignments included).

KPIs: one million incidents with realistic intervals, missing dispatches and arrivals, 4 priorities,
20 regions, 3 unit kinds; ``kpi_1m_s`` is the time of the per-priority report (median, p90, share within
target of three intervals); the per-region and per-kind reports are given beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from amane.center.dispatch import kpi
from amane.center.dispatch import recommend as recommending
from amane.center.dispatch.rules import Candidate, RuleConfig, rank
from amane.center.dispatch.state import DispatchSettings, DispatchState
from amane.routing import RoadGraph, city_grid


def _units(graph: RoadGraph, n: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, graph.node_count, n)
    jitter = rng.normal(0, 0.0002, size=(n, 2))  # ~20 m off the junction
    out: np.ndarray = np.c_[graph.lat[idx], graph.lon[idx]] + jitter
    return out


def bench_recommend(
    graph: RoadGraph, samples: int, *, bounded: bool, seed: int = 1, cpu: list[float] | None = None
) -> list[float]:
    rng = np.random.default_rng(seed)
    units = _units(graph, 500, rng)
    kinds = rng.choice(["car", "car", "car", "motorcycle", "drone"], 500)
    candidates = [
        Candidate(f"U{i}", str(k), "r", float(u[0]), float(u[1]))
        for i, (u, k) in enumerate(zip(units, kinds, strict=True))
    ]
    rules = RuleConfig()
    out = []
    for _ in range(samples):
        i = int(rng.integers(0, graph.node_count))
        target = (float(graph.lat[i]), float(graph.lon[i]))
        start, start_cpu = time.perf_counter(), time.thread_time()
        need = 10 if bounded else None
        etas = graph.times_to(target, units, need=need)
        dense = graph.density(target) >= rules.dense_nodes_300m
        ranked = rank(candidates, list(etas), priority=1, dense=dense, config=rules)
        out.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.thread_time() - start_cpu) * 1000)
        assert ranked
    return out


def bench_service(graph: RoadGraph, samples: int) -> list[float]:
    """The whole ``service.recommend`` on a migrated SQLite centre with 500 registered units."""
    from amane.center.dispatch.models import Incident
    from amane.center.runtime import Center
    from amane.center.units.service import register_unit
    from amane.config import CenterSettings

    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory() as tmp:
        settings = CenterSettings(database_url=f"sqlite:///{tmp}/c.db", data_dir=Path(tmp) / "data")
        center = Center(settings)
        center.migrate()
        state = DispatchState(DispatchSettings(), travel=graph)
        positions = _units(graph, 500, rng)
        now = datetime.now(UTC)
        with center.db.writing() as session:
            for i, (lat, lon) in enumerate(positions):
                unit, _ = register_unit(session=session, callsign=f"U{i}", kind="car", region="r")
                unit.last_lat, unit.last_lon, unit.last_seen_at = float(lat), float(lon), now
            ids: list[Any] = []
            for _ in range(samples):
                j = int(rng.integers(0, graph.node_count))
                incident = Incident(
                    id=uuid.uuid4(),
                    number=f"B-{len(ids)}",
                    nature_code="FIGHT",
                    priority=2,
                    lat=float(graph.lat[j]),
                    lon=float(graph.lon[j]),
                    created_at=now,
                    status="open",
                    address="",
                    region="r",
                    notes="",
                    source="bench",
                )
                session.add(incident)
                ids.append(incident.id)
        out = []
        with center.db.session() as session:
            for incident_id in ids:
                start = time.perf_counter()
                recommending.recommend(
                    session=session,
                    incident_id=incident_id,
                    state=state,
                    online_within=timedelta(minutes=5),
                    actor="bench",
                    record=False,
                )
                out.append((time.perf_counter() - start) * 1000)
        center.db.dispose()
    return out


def incidents(n: int, seed: int = 3) -> kpi.IncidentTimes:
    rng = np.random.default_rng(seed)
    received = 1.7e9 + rng.uniform(0, 365 * 86400, n)
    priority = rng.choice([1, 2, 3, 4], n, p=[0.15, 0.35, 0.35, 0.15])
    to_dispatch = rng.lognormal(np.log(60 * priority), 0.6)
    to_arrive = rng.lognormal(np.log(240 + 60 * priority), 0.5)
    dispatched = received + to_dispatch
    arrived = dispatched + to_arrive
    dispatched[rng.random(n) < 0.03] = np.nan
    arrived[rng.random(n) < 0.08] = np.nan
    return kpi.IncidentTimes(
        received=received,
        dispatched=dispatched,
        arrived=arrived,
        priority=priority.astype(np.int64),
        region=rng.integers(0, 20, n),
        unit_kind=rng.choice(3, n, p=[0.7, 0.28, 0.02]),
        region_names=tuple(f"region-{i:02d}" for i in range(20)),
        unit_kind_names=("car", "motorcycle", "drone"),
    )


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (CI smoke run)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    samples = 100 if args.quick else 1000

    start = time.perf_counter()
    graph = city_grid(side=180, seed=0)
    build_s = time.perf_counter() - start
    bench_recommend(graph, 10, bounded=True)  # warm-up
    cpu: list[float] = []
    bounded = bench_recommend(graph, samples, bounded=True, cpu=cpu)
    full = bench_recommend(graph, max(samples // 4, 25), bounded=False, seed=5)
    via_service = bench_service(graph, 30 if args.quick else 200)

    times = incidents(1_000_000)
    kpi_priority = min(
        timed(lambda: kpi.compute(times, group_by="priority")) for _ in range(1 if args.quick else 3)
    )
    kpi_region = timed(lambda: kpi.compute(times, group_by="region"))
    kpi_kind = timed(lambda: kpi.compute(times, group_by="unit_kind"))

    def pct(values: list[float], q: float) -> float:
        return round(float(np.percentile(values, q)), 3)

    figures = {
        "graph_nodes": graph.node_count,
        "graph_edges": graph.edge_count,
        "graph_build_s": round(build_s, 3),
        "units": 500,
        "samples": samples,
        "recommend_p50_ms": pct(bounded, 50),
        "recommend_p99_ms": pct(bounded, 99),
        "recommend_max_ms": pct(bounded, 100),
        "recommend_cpu_p99_ms": pct(cpu, 99),
        "full_search_p50_ms": pct(full, 50),
        "full_search_p99_ms": pct(full, 99),
        "service_p50_ms": pct(via_service, 50),
        "service_p99_ms": pct(via_service, 99),
        "kpi_incidents": 1_000_000,
        "kpi_1m_s": round(kpi_priority, 3),
        "kpi_1m_by_region_s": round(kpi_region, 3),
        "kpi_1m_by_unit_kind_s": round(kpi_kind, 3),
        "recommend_target_ms": 20.0,
        "recommend_meets_target": pct(bounded, 99) <= 20.0,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }
    width = max(len(k) for k in figures)
    print(f"dispatch benchmark ({'quick' if args.quick else 'full'})")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
