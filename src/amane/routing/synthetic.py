"""A generated city road graph for benchmarks and tests: a jittered street grid with one-way streets.

Every street of the ``side x side`` grid is two-way except one in ``oneway_every`` (alternating
direction, like a downtown grid); a few blocks are missing (parks, rail yards) so shortest paths must
go around. Deterministic for a given seed.

>>> g = city_grid(side=20, seed=1)
>>> g.node_count, g.edge_count > 1000
(400, True)
"""

from __future__ import annotations

import numpy as np

from amane.routing.graph import RoadGraph, haversine_m


def city_grid(
    *,
    side: int = 180,
    block_m: float = 90.0,
    oneway_every: int = 3,
    missing_share: float = 0.03,
    origin: tuple[float, float] = (34.0, -6.85),
    seed: int = 0,
) -> RoadGraph:
    """A ``side x side`` street grid (180 gives about 125,000 directed edges)."""
    if side < 2:
        raise ValueError(f"side must be >= 2, got {side}")
    if not 0 <= missing_share < 0.5:
        raise ValueError(f"missing_share must be in [0, 0.5), got {missing_share}")
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    jitter = rng.normal(0.0, block_m * 0.08, size=(2, side, side))
    dlat = (ii * block_m + jitter[0]) / 111_195.0
    dlon = (jj * block_m + jitter[1]) / (111_195.0 * np.cos(np.radians(origin[0])))
    lat, lon = (origin[0] + dlat).ravel(), (origin[1] + dlon).ravel()
    node = np.arange(side * side).reshape(side, side)
    pairs = []
    for axis in (0, 1):  # avenues (along j) and streets (along i)
        a = node[:, :-1] if axis == 0 else node[:-1, :]
        b = node[:, 1:] if axis == 0 else node[1:, :]
        line = np.broadcast_to(np.arange(side)[:, None] if axis == 0 else np.arange(side)[None, :], a.shape)
        street_kind = line % oneway_every  # 0: one-way (direction alternates by line), else two-way
        forward = (line // oneway_every) % 2 == 0
        for a_, b_, k_, f_ in zip(a.ravel(), b.ravel(), street_kind.ravel(), forward.ravel(), strict=True):
            if k_ != 0 or f_:
                pairs.append((a_, b_))
            if k_ != 0 or not f_:
                pairs.append((b_, a_))
    arr = np.asarray(pairs, dtype=np.intp)
    keep = rng.random(len(arr)) >= missing_share
    arr = arr[keep]
    speed = np.where(rng.random(len(arr)) < 0.2, 50 / 3.6, 30 / 3.6)  # some arterials
    seconds = haversine_m(lat[arr[:, 0]], lon[arr[:, 0]], lat[arr[:, 1]], lon[arr[:, 1]]) / speed
    edges = np.column_stack([arr[:, 0], arr[:, 1], seconds])
    return RoadGraph.from_edges(lat=lat, lon=lon, edges=edges, source=f"grid:{side}x{side}:seed{seed}")
