"""Zones and lines in image coordinates: their config and the point tests the rules need.

A zone is a polygon in pixels (drawn on the camera image); a point is "in" a zone when the
foot point of a box (bottom centre, where the object touches the ground) lies inside it.

>>> z = Zone(ZoneConfig(id="door", polygon=[(0, 0), (10, 0), (10, 10), (0, 10)]))
>>> z.contains(np.array([[5.0, 5.0], [15.0, 5.0]])).tolist()
[True, False]
>>> line = Line(LineConfig(id="gate", points=((0, 0), (10, 0))))
>>> line.side(np.array([[5.0, 3.0], [5.0, -3.0]])).tolist()
[3.0, -3.0]
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import shapely  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, field_validator

from amane.core.detections import FloatArray

Point = tuple[float, float]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]


class ZoneConfig(BaseModel):
    """A named polygon in image pixels."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Name = Field(description="Zone name, unique per camera, used by rules and in alerts")
    polygon: list[Point] = Field(
        min_length=3,
        max_length=256,
        description="Vertices (x, y) in image pixels, in order; closed implicitly",
    )

    @field_validator("polygon")
    @classmethod
    def _simple_polygon(cls, value: list[Point]) -> list[Point]:
        poly = shapely.Polygon(value)
        if not poly.is_valid or poly.area <= 0:
            raise ValueError(f"polygon must be simple with a non-zero area ({shapely.is_valid_reason(poly)})")
        return value


class LineConfig(BaseModel):
    """A named, directed line segment A -> B in image pixels (for line crossing)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Name = Field(description="Line name, unique per camera")
    points: tuple[Point, Point] = Field(description="Endpoints A and B (x, y) in image pixels")

    @field_validator("points")
    @classmethod
    def _distinct(cls, value: tuple[Point, Point]) -> tuple[Point, Point]:
        if np.hypot(value[1][0] - value[0][0], value[1][1] - value[0][1]) < 1.0:
            raise ValueError("line endpoints must be at least 1 pixel apart")
        return value


class Zone:
    """A zone ready for fast point-in-polygon tests."""

    def __init__(self, config: ZoneConfig) -> None:
        self.config = config
        self.id = config.id
        self.polygon = shapely.Polygon(config.polygon)
        shapely.prepare(self.polygon)

    def contains(self, points: FloatArray) -> np.ndarray:
        """Whether each (N, 2) point lies inside (or on the border of) the polygon."""
        if len(points) == 0:
            return np.zeros(0, dtype=bool)
        inside = shapely.intersects_xy(self.polygon, points[:, 0], points[:, 1])
        return np.asarray(inside, dtype=bool)

    def distance(self, points: FloatArray) -> FloatArray:
        """Pixel distance of each (N, 2) point to the zone (0 inside)."""
        return np.asarray(shapely.distance(self.polygon, shapely.points(points)), dtype=np.float64)

    @property
    def vertices(self) -> FloatArray:
        """The polygon's vertices, (V, 2)."""
        return np.asarray(self.config.polygon, dtype=np.float64)


class Line:
    """A directed segment A -> B with a signed side test."""

    def __init__(self, config: LineConfig) -> None:
        self.config = config
        self.id = config.id
        self.a = np.asarray(config.points[0], dtype=np.float64)
        self.b = np.asarray(config.points[1], dtype=np.float64)
        self._length = float(np.linalg.norm(self.b - self.a))

    def side(self, points: FloatArray) -> FloatArray:
        """Signed pixel distance of each (N, 2) point from the infinite line through A, B.

        Positive on the side that is to the right of A -> B as drawn on the image (x right,
        y down): for A=(0,0), B=(10,0) points below the line (larger y) are positive.
        """
        d = self.b - self.a
        rel = points - self.a
        out: FloatArray = (d[0] * rel[:, 1] - d[1] * rel[:, 0]) / self._length
        return out

    def along(self, points: FloatArray) -> FloatArray:
        """Position of each point's projection on A -> B, 0 at A and 1 at B."""
        d = self.b - self.a
        return ((points - self.a) @ d) / (self._length**2)
