"""Response-time KPIs over incident times, vectorised (numpy): a million incidents in well under a second.

Three intervals per incident, in seconds: call-to-dispatch (call received -> first unit dispatched),
dispatch-to-arrival (first dispatched -> first unit on scene) and total response (call received ->
first on scene). Each is summarised per group by its count, median and 90th percentile (numpy's
linear interpolation); the share of incidents whose total response met the target of their priority
is reported beside them. An interval that is missing (no dispatch recorded, no arrival) or negative
(clock trouble) is left out of that interval's figures, never counted as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

DEFAULT_TARGETS_S: dict[int, float] = {1: 600.0, 2: 1200.0, 3: 2400.0, 4: 3600.0}
"""Total-response targets per priority (P1 10 min, P2 20 min, P3 40 min, P4 60 min)."""

GroupBy = Literal["overall", "priority", "region", "unit_kind"]
INTERVALS = ("call_to_dispatch", "dispatch_to_arrival", "total")


@dataclass(frozen=True, slots=True)
class Stat:
    """Count, median and 90th percentile of one interval (seconds; None when count is 0)."""

    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class KpiRow:
    """The figures of one group."""

    group: str
    incidents: int
    call_to_dispatch: Stat
    dispatch_to_arrival: Stat
    total: Stat
    within_target: float | None
    """Share (0..1) of incidents with a measured total and a target whose total met it."""
    with_target: int


@dataclass(frozen=True, slots=True)
class IncidentTimes:
    """Struct of arrays, one entry per incident: times as epoch seconds (NaN when missing), the priority,
    and region and unit kind as codes into ``region_names`` / ``unit_kind_names`` (categoricals: grouping
    a million rows by an integer code is cheap, by text it is not). Build from labels with
    :meth:`from_labels`.
    """

    received: NDArray[np.float64]
    dispatched: NDArray[np.float64]
    arrived: NDArray[np.float64]
    priority: NDArray[np.int64]
    region: NDArray[np.intp]
    unit_kind: NDArray[np.intp]
    region_names: tuple[str, ...]
    unit_kind_names: tuple[str, ...]

    def __post_init__(self) -> None:
        n = self.received.shape[0]
        for name in ("dispatched", "arrived", "priority", "region", "unit_kind"):
            shape = getattr(self, name).shape
            if shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {shape}")
        for codes, names in ((self.region, self.region_names), (self.unit_kind, self.unit_kind_names)):
            if n and (codes.min() < 0 or codes.max() >= len(names)):
                raise ValueError(f"codes must index the {len(names)} names given")

    @classmethod
    def from_labels(
        cls,
        *,
        received: NDArray[np.float64],
        dispatched: NDArray[np.float64],
        arrived: NDArray[np.float64],
        priority: NDArray[np.int64],
        region: Sequence[str],
        unit_kind: Sequence[str],
    ) -> IncidentTimes:
        """From per-incident region and unit-kind labels (text)."""
        region_names, region_codes = factorize(region)
        kind_names, kind_codes = factorize(unit_kind)
        return cls(
            received=received,
            dispatched=dispatched,
            arrived=arrived,
            priority=priority,
            region=region_codes,
            unit_kind=kind_codes,
            region_names=tuple(region_names),
            unit_kind_names=tuple(kind_names),
        )

    def intervals(self) -> dict[str, NDArray[np.float64]]:
        """Seconds per interval; NaN where an end is missing or the interval is negative."""
        with np.errstate(invalid="ignore"):
            out = {
                "call_to_dispatch": self.dispatched - self.received,
                "dispatch_to_arrival": self.arrived - self.dispatched,
                "total": self.arrived - self.received,
            }
            for values in out.values():
                values[values < 0] = np.nan
        return out


def stat(values: NDArray[np.float64]) -> Stat:
    """Summary of the finite values of one interval.

    >>> s = stat(np.array([60.0, 120.0, np.nan, 180.0, 600.0]))
    >>> s.count, s.median_s, round(s.p90_s or 0, 3)
    (4, 150.0, 474.0)
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Stat(0, None, None)
    median, p90 = np.percentile(finite, [50, 90])
    return Stat(int(finite.size), float(median), float(p90))


def _target_per_incident(priority: NDArray[np.int64], targets: dict[int, float]) -> NDArray[np.float64]:
    lookup = np.full(max([*targets, int(priority.max(initial=0))]) + 2, np.nan)
    for p, seconds in targets.items():
        if p >= 0:
            lookup[p] = seconds
    clipped = np.clip(priority, 0, len(lookup) - 1)
    return np.asarray(lookup[clipped], dtype=np.float64)


def factorize(values: Sequence[str]) -> tuple[list[str], NDArray[np.intp]]:
    """Distinct labels (first-seen order) and each entry's index among them.

    >>> factorize(["b", "a", "b"])
    (['b', 'a'], array([0, 1, 0]))
    """
    seen: dict[str, int] = {}
    codes = np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.intp, count=len(values))
    return list(seen), codes


def compute(
    times: IncidentTimes, *, group_by: GroupBy = "priority", targets: dict[int, float] | None = None
) -> list[KpiRow]:
    """KPI rows per group (sorted by group name; ``overall`` gives one row)."""
    targets = DEFAULT_TARGETS_S if targets is None else targets
    spans = times.intervals()
    target = _target_per_incident(times.priority, targets)
    total = spans["total"]
    measured = np.isfinite(total) & np.isfinite(target)
    met = measured & (total <= target)
    if group_by == "overall":
        names, codes = ["all"], np.zeros(total.shape[0], dtype=np.intp)
    elif group_by == "priority":
        clipped = np.clip(times.priority, 0, None)
        present = np.flatnonzero(np.bincount(clipped))
        lookup = np.zeros(int(present[-1]) + 1 if present.size else 1, dtype=np.intp)
        lookup[present] = np.arange(present.size)
        names, codes = [f"P{p}" for p in present.tolist()], lookup[clipped]
    elif group_by == "region":
        names, codes = list(times.region_names), times.region
    else:
        names, codes = list(times.unit_kind_names), times.unit_kind
    if len(names) < 65_536:  # numpy sorts 16-bit integers by radix: linear time
        codes = codes.astype(np.uint16)
    order = np.argsort(codes, kind="stable")  # groups become contiguous runs: gather once, slice per group
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    sorted_spans = {key: values_[order] for key, values_ in spans.items()}
    sorted_measured, sorted_met = measured[order], met[order]
    rows = []
    for g, name in enumerate(names):
        part = slice(int(bounds[g]), int(bounds[g + 1]))
        n_measured = int(np.count_nonzero(sorted_measured[part]))
        rows.append(
            KpiRow(
                group=name,
                incidents=part.stop - part.start,
                call_to_dispatch=stat(sorted_spans["call_to_dispatch"][part]),
                dispatch_to_arrival=stat(sorted_spans["dispatch_to_arrival"][part]),
                total=stat(sorted_spans["total"][part]),
                within_target=(np.count_nonzero(sorted_met[part]) / n_measured) if n_measured else None,
                with_target=n_measured,
            )
        )
    return sorted(rows, key=lambda r: r.group)
