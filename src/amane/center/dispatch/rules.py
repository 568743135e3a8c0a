"""Ranking rules: road travel time first, adjusted by unit kind and priority.

* Ground units (cars, motorcycles) are ranked by their *score*: travel time times a kind factor.
* Motorcycles are preferred for the most urgent calls in a dense street grid (they filter through
  traffic the graph's free-flow speeds do not show): their time counts ``motorcycle_dense_factor``.
* Drones are never sent alone: they are listed as *support* after the ground units and may only be
  dispatched to an incident that already has a ground unit.

>>> cfg = RuleConfig()
>>> units = [Candidate("CAR-1", "car", "a"), Candidate("MOTO-1", "motorcycle", "a"),
...          Candidate("UAV-1", "drone", "a")]
>>> ranked = rank(units, [100.0, 120.0, 30.0], priority=1, dense=True, config=cfg)
>>> [(r.callsign, r.role, r.rank) for r in ranked]
[('MOTO-1', 'primary', 1), ('CAR-1', 'primary', 2), ('UAV-1', 'support', 3)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

GROUND_KINDS = frozenset({"car", "motorcycle"})


class RuleConfig(BaseModel):
    """How unit kind and priority adjust the ranking."""

    model_config = ConfigDict(extra="forbid")
    motorcycle_dense_factor: float = Field(
        default=0.75,
        ge=0.3,
        le=1.0,
        description="Multiplier on a motorcycle's travel time for preferred priorities in a dense grid",
    )
    motorcycle_priorities: list[int] = Field(
        default=[1], description="Priorities for which motorcycles are preferred in a dense grid"
    )
    dense_nodes_300m: int = Field(
        default=40,
        ge=1,
        le=10_000,
        description="Road-graph nodes within 300 m of the incident from which the area counts as dense",
    )
    drone_support_only: bool = Field(default=True, description="Drones are never sent alone")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A unit that may be sent."""

    callsign: str
    kind: str
    region: str
    lat: float = 0.0
    lon: float = 0.0
    rostered: bool = False
    distance_m: float = 0.0
    """Straight-line metres: orders the units the road search did not reach (farther than those it did)."""


@dataclass(slots=True)
class Ranked:
    """A candidate's place in the recommendation."""

    callsign: str
    kind: str
    region: str
    eta_s: float | None
    score_s: float | None
    role: str
    rank: int = 0
    reasons: list[str] = field(default_factory=list)


def rank(
    candidates: Sequence[Candidate],
    etas: Sequence[float],
    *,
    priority: int,
    dense: bool,
    config: RuleConfig,
) -> list[Ranked]:
    """Candidates in recommendation order (primary ground units by score, then support)."""
    if len(candidates) != len(etas):
        raise ValueError(f"{len(candidates)} candidates but {len(etas)} travel times")
    out = []
    for cand, eta in zip(candidates, etas, strict=True):
        reachable = math.isfinite(eta)
        reasons = [] if reachable else ["not reached by the road search: farther than every unit with a time"]
        factor = 1.0
        if cand.kind == "motorcycle" and dense and priority in config.motorcycle_priorities:
            factor = config.motorcycle_dense_factor
            reasons.append(f"motorcycle preferred for P{priority} in a dense area (x{factor:g})")
        role = "primary" if cand.kind in GROUND_KINDS or not config.drone_support_only else "support"
        if role == "support":
            reasons.append("drone: support only, never sent alone")
        out.append(
            Ranked(
                callsign=cand.callsign,
                kind=cand.kind,
                region=cand.region,
                eta_s=float(eta) if reachable else None,
                score_s=float(eta) * factor if reachable else None,
                role=role,
                reasons=reasons,
            )
        )
    distance = {c.callsign: c.distance_m for c in candidates}
    out.sort(
        key=lambda r: (r.role != "primary", r.score_s is None, r.score_s or distance[r.callsign], r.callsign)
    )
    for i, item in enumerate(out, start=1):
        item.rank = i
    return out
