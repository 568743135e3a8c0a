"""A small simulated city around central Rabat: a road grid and closed patrol routes along its streets.

>>> city = City(seed=7)
>>> route = city.route(0)
>>> lat, lon, heading = route.at(0.0)
>>> 33.9 < lat < 34.1 and -6.95 < lon < -6.7, 0 <= heading < 360
(True, True)
>>> route.length_m > 1000
True
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass

from amane.core.geometry import haversine_m, initial_bearing

RABAT = (34.0209, -6.8416)
"""Central Rabat (lat, lon)."""

_M_PER_DEG_LAT = 111_195.0


@dataclass(frozen=True)
class Route:
    """A closed route through ``points`` (lat, lon); ``at(d)`` is where a vehicle is after ``d`` metres."""

    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if len(self.points) < 2:
            raise ValueError(f"a route needs at least 2 points, got {len(self.points)}")

    @property
    def legs(self) -> list[float]:
        """Cumulative distance at the start of each leg (closed: the last leg returns to the start)."""
        out = [0.0]
        pts = self.points
        for i in range(len(pts)):
            a, b = pts[i], pts[(i + 1) % len(pts)]
            out.append(out[-1] + haversine_m(a[0], a[1], b[0], b[1]))
        return out

    @property
    def length_m(self) -> float:
        """Length of one lap in metres."""
        return self.legs[-1]

    def at(self, distance_m: float) -> tuple[float, float, float]:
        """(lat, lon, heading in degrees from north) after ``distance_m`` metres (laps repeat)."""
        legs = self.legs
        d = distance_m % legs[-1] if legs[-1] > 0 else 0.0
        i = min(len(self.points) - 1, bisect.bisect_right(legs, d) - 1)
        a, b = self.points[i], self.points[(i + 1) % len(self.points)]
        span = legs[i + 1] - legs[i]
        f = 0.0 if span <= 0 else (d - legs[i]) / span
        lat = a[0] + (b[0] - a[0]) * f
        lon = a[1] + (b[1] - a[1]) * f
        return lat, lon, initial_bearing(a[0], a[1], b[0], b[1])


class City:
    """A ``size`` x ``size`` grid of streets ``block_m`` apart centred on ``centre``."""

    def __init__(
        self, seed: int = 7, *, centre: tuple[float, float] = RABAT, size: int = 8, block_m: float = 250.0
    ) -> None:
        if size < 3:
            raise ValueError(f"size must be >= 3, got {size}")
        if block_m <= 0:
            raise ValueError(f"block_m must be > 0, got {block_m}")
        self.seed = seed
        self.centre = centre
        self.size = size
        self.block_m = block_m

    def node(self, i: int, j: int) -> tuple[float, float]:
        """Position of intersection (i east, j north) of the grid."""
        half = (self.size - 1) / 2
        dlat = (j - half) * self.block_m / _M_PER_DEG_LAT
        dlon = (i - half) * self.block_m / (_M_PER_DEG_LAT * math.cos(math.radians(self.centre[0])))
        return self.centre[0] + dlat, self.centre[1] + dlon

    def route(self, number: int) -> Route:
        """Patrol route ``number``: the streets around a seeded rectangle of blocks (deterministic)."""
        rng = random.Random(self.seed * 10_007 + number)
        w = rng.randint(2, self.size - 1)
        h = rng.randint(2, self.size - 1)
        i0 = rng.randint(0, self.size - 1 - w)
        j0 = rng.randint(0, self.size - 1 - h)
        corners = [(i, j0) for i in range(i0, i0 + w + 1)]
        corners += [(i0 + w, j) for j in range(j0 + 1, j0 + h + 1)]
        corners += [(i, j0 + h) for i in range(i0 + w - 1, i0 - 1, -1)]
        corners += [(i0, j) for j in range(j0 + h - 1, j0, -1)]
        if rng.random() < 0.5:
            corners.reverse()
        return Route(tuple(self.node(i, j) for i, j in corners))
