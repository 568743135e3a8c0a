"""A directed road graph with travel times, ranked by one Dijkstra search from the incident.

Nodes are kept as arrays (lat, lon, local metres); edges as a CSR matrix of travel seconds. The
*reversed* matrix lets one search from the incident give every node's time *to* the incident, so
500 units are ranked by one graph search. Positions are snapped to the nearest node with a KD-tree;
the straight gap to that node is driven at ``access_speed_mps``.

>>> g = RoadGraph.from_edges(
...     lat=[0.0, 0.0, 0.001], lon=[0.0, 0.001, 0.001],
...     edges=[(0, 1, 10.0), (1, 2, 10.0), (2, 0, 10.0)])   # a one-way triangle, 10 s per side
>>> g.times_to((0.0, 0.0), [(0.0, 0.001), (0.001, 0.001)]).round(1).tolist()
[20.0, 10.0]
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8
LatLon = tuple[float, float]


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distance in metres (vectorised).

    >>> round(float(haversine_m(34.0, -6.84, 34.001, -6.84)), 1)
    111.2
    """
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=np.float64)


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection around a reference latitude: metres, good to 0.1 % over a city."""

    lat0: float
    lon0: float

    def xy(self, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
        k = math.pi / 180 * EARTH_RADIUS_M
        x = (np.asarray(lon, float) - self.lon0) * k * math.cos(math.radians(self.lat0))
        y = (np.asarray(lat, float) - self.lat0) * k
        return np.stack([np.atleast_1d(x), np.atleast_1d(y)], axis=1)


@dataclass(frozen=True)
class Snap:
    """Where positions land on the graph: node index and straight distance to it (metres)."""

    node: NDArray[np.intp]
    gap_m: NDArray[np.float64]


@dataclass(frozen=True)
class Search:
    """One search toward a target: each origin's time and, through the search tree, its route."""

    graph: RoadGraph
    target: LatLon
    origins: NDArray[np.float64]
    times: NDArray[np.float64]
    start_nodes: NDArray[np.intp]
    goal_node: int
    toward: NDArray[np.int32] | None
    """For each node, the next node on its fastest way to the target (-9999: none, scipy's mark)."""

    def route(self, i: int) -> list[LatLon]:
        """The way from origin ``i`` to the target: the origin, the road nodes, the target ([] if none)."""
        if self.toward is None or not np.isfinite(self.times[i]):
            return []
        node = int(self.start_nodes[i])
        points: list[LatLon] = [(float(self.origins[i, 0]), float(self.origins[i, 1]))]
        for _ in range(self.graph.node_count):
            points.append((float(self.graph.lat[node]), float(self.graph.lon[node])))
            if node == self.goal_node:
                break
            node = int(self.toward[node])
            if node < 0:
                return []
        points.append((float(self.target[0]), float(self.target[1])))
        return points


@dataclass
class RoadGraph:
    """Directed road graph (see the module docstring). Build with :meth:`from_edges` or ``routing.osm``."""

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    forward: csr_matrix
    access_speed_mps: float = 15 / 3.6
    names: dict[str, list[int]] = field(default_factory=dict)
    source: str = "edges"

    def __post_init__(self) -> None:
        n = self.lat.shape[0]
        if self.lon.shape != (n,) or self.forward.shape != (n, n):
            raise ValueError(f"lat/lon must have shape ({n},) and the matrix ({n}, {n})")
        if n == 0:
            raise ValueError("a road graph needs at least one node")
        if not self.access_speed_mps > 0:
            raise ValueError(f"access_speed_mps must be > 0, got {self.access_speed_mps}")
        self.reverse: csr_matrix = self.forward.T.tocsr()
        self.projection = Projection(float(np.mean(self.lat)), float(np.mean(self.lon)))
        self.tree = cKDTree(self.projection.xy(self.lat, self.lon))

    @classmethod
    def from_edges(
        cls,
        *,
        lat: Sequence[float] | NDArray[np.float64],
        lon: Sequence[float] | NDArray[np.float64],
        edges: Iterable[tuple[int, int, float]] | NDArray[np.float64],
        **kwargs: object,
    ) -> RoadGraph:
        """From directed ``(from, to, seconds)`` edges; parallel edges keep the fastest, loops are dropped."""
        arr = np.asarray(list(edges) if not isinstance(edges, np.ndarray) else edges, dtype=np.float64)
        arr = arr.reshape(-1, 3)
        n = len(lat)
        src, dst, cost = arr[:, 0].astype(np.intp), arr[:, 1].astype(np.intp), arr[:, 2]
        if len(arr) and (src.min() < 0 or dst.min() < 0 or max(src.max(), dst.max()) >= n):
            raise ValueError(f"edge endpoints must be node indices in [0, {n})")
        if np.any(cost < 0) or not np.all(np.isfinite(cost)):
            raise ValueError("edge travel times must be finite and >= 0")
        keep = src != dst
        src, dst, cost = src[keep], dst[keep], np.maximum(cost[keep], 1e-6)  # 0 would mean "no edge"
        order = np.lexsort((cost, dst, src))
        src, dst, cost = src[order], dst[order], cost[order]
        first = np.ones(len(src), dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        matrix = csr_matrix((cost[first], (src[first], dst[first])), shape=(n, n))
        return cls(
            lat=np.asarray(lat, dtype=np.float64),
            lon=np.asarray(lon, dtype=np.float64),
            forward=matrix,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def node_count(self) -> int:
        return int(self.lat.shape[0])

    @property
    def edge_count(self) -> int:
        return int(self.forward.nnz)

    def snap(self, points: Sequence[LatLon] | NDArray[np.float64]) -> Snap:
        """The nearest node of each ``(lat, lon)`` and its straight distance in metres."""
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        gap, node = self.tree.query(self.projection.xy(arr[:, 0], arr[:, 1]))
        return Snap(node=np.asarray(node, dtype=np.intp), gap_m=np.asarray(gap, dtype=np.float64))

    def node_times_to(self, node: int, *, limit: float = np.inf) -> NDArray[np.float64]:
        """Seconds from every node to ``node`` (inf: cannot get there), one search on the reversed graph."""
        return np.asarray(dijkstra(self.reverse, directed=True, indices=node, limit=limit), dtype=np.float64)

    def times_to(
        self,
        target: LatLon,
        origins: Sequence[LatLon] | NDArray[np.float64],
        *,
        need: int | None = None,
        horizon_s: float | None = None,
    ) -> NDArray[np.float64]:
        """Seconds to drive from each origin to ``target`` (inf where no road leads there).

        With ``need``, the search stops at a horizon and widens (x2) until at least ``need`` origins
        are reached: every time it returns is exact, and origins beyond the final horizon (all of them
        farther than every time returned) read inf. The first horizon is ``horizon_s``, or by default
        the straight-line distance of the ``need``-th nearest origin driven at 30 km/h with a 1.4
        detour. Without ``need``, one unbounded search.
        """
        return self.search(target, origins, need=need, horizon_s=horizon_s).times

    def search(
        self,
        target: LatLon,
        origins: Sequence[LatLon] | NDArray[np.float64],
        *,
        need: int | None = None,
        horizon_s: float | None = None,
    ) -> Search:
        """:meth:`times_to` with the search tree kept, so that :meth:`Search.route` can draw each way."""
        arr = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        goal = self.snap([target])
        if len(arr) == 0:
            return Search(self, target, arr, np.zeros(0), np.zeros(0, np.intp), int(goal.node[0]), None)
        start = self.snap(arr)
        access = (start.gap_m + goal.gap_m[0]) / self.access_speed_mps
        want = min(need or 0, len(arr))
        if need is None:
            limit = np.inf
        elif horizon_s is not None:
            limit = max(horizon_s, 1.0)
        else:
            straight = haversine_m(arr[:, 0], arr[:, 1], target[0], target[1])
            kth = np.partition(straight, want - 1)[want - 1] if want else 0.0
            limit = max(60.0, float(kth) * 1.4 / (30 / 3.6) + float(access.max()))
        goal_node = int(goal.node[0])
        while True:
            per_node, toward = dijkstra(
                self.reverse, directed=True, indices=goal_node, limit=limit, return_predecessors=True
            )
            times = np.asarray(per_node[start.node] + access, dtype=np.float64)
            if not np.isfinite(limit) or int(np.isfinite(times).sum()) >= want:
                return Search(self, target, arr, times, start.node, goal_node, np.asarray(toward))
            limit = limit * 2 if limit < 86_400 else np.inf

    def density(self, point: LatLon, radius_m: float = 300.0) -> int:
        """How many graph nodes lie within ``radius_m`` of ``point`` (a proxy for a dense street grid)."""
        xy = self.projection.xy([point[0]], [point[1]])[0]
        return len(self.tree.query_ball_point(xy, radius_m))

    def geocode(self, text: str) -> LatLon | None:
        """The middle node of a named street (accents, case and close spellings forgiven)."""
        key = normalise_name(text)
        if not key:
            return None
        matches = [name for name in self.names if key == name] or [
            name for name in self.names if key in name or name in key
        ]
        if not matches:  # spelling variants: "Mohammed" / "Mohamed", "Zankat" / "Zenkat"
            matches = difflib.get_close_matches(key, list(self.names), n=3, cutoff=0.85)
        if not matches:
            return None
        best = min(matches, key=lambda name: (abs(len(name) - len(key)), name))
        nodes = self.names[best]
        middle = nodes[len(nodes) // 2]
        return float(self.lat[middle]), float(self.lon[middle])


def normalise_name(text: str) -> str:
    """Lower case, no accents, single spaces: ``"Avenue  Mohammed V"`` -> ``"avenue mohammed v"``.

    >>> normalise_name("  Rue d'Égypte ")
    "rue d'egypte"
    """
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())


class StraightLine:
    """Fallback travel model without a road graph: great-circle distance x ``detour`` at ``speed_mps``.

    >>> m = StraightLine(detour=1.4, speed_mps=10.0)
    >>> round(float(m.times_to((34.0, -6.84), [(34.001, -6.84)])[0]), 1)
    15.6
    """

    source = "straight_line"

    def __init__(self, *, detour: float = 1.4, speed_mps: float = 30 / 3.6) -> None:
        if not 1.0 <= detour <= 5.0:
            raise ValueError(f"detour must be in [1, 5], got {detour}")
        if not 0 < speed_mps <= 60:
            raise ValueError(f"speed_mps must be in (0, 60], got {speed_mps}")
        self.detour, self.speed_mps = detour, speed_mps

    def times_to(
        self,
        target: LatLon,
        origins: Sequence[LatLon] | NDArray[np.float64],
        *,
        need: int | None = None,
        horizon_s: float | None = None,
    ) -> NDArray[np.float64]:
        """Seconds from each origin (``need`` and ``horizon_s`` are accepted and have no effect)."""
        arr = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        metres = haversine_m(arr[:, 0], arr[:, 1], target[0], target[1])
        return np.asarray(metres * self.detour / self.speed_mps, dtype=np.float64)

    def density(self, point: LatLon, radius_m: float = 300.0) -> int:
        return 0

    def geocode(self, text: str) -> LatLon | None:
        return None
