"""Build a :class:`~amane.routing.graph.RoadGraph` from an OpenStreetMap file (XML, PBF) with pyosmium.

Every drivable way becomes directed edges between consecutive nodes: both directions, or only the
one ``oneway``/``junction=roundabout`` allows. An edge costs its great-circle length divided by the
way's speed (``maxspeed`` when tagged, else the class default of :mod:`amane.routing.speeds`). Street
names (``name``, ``name:fr``, ``name:ar``, ``int_name``) are indexed for address look-up.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import osmium

from amane.routing.graph import RoadGraph, haversine_m, normalise_name
from amane.routing.speeds import DEFAULT_SPEEDS_KMH, direction, drivable, speed_kmh

logger = logging.getLogger(__name__)

NAME_TAGS = ("name", "name:fr", "name:ar", "name:en", "int_name")


class _Builder:
    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.lat: list[float] = []
        self.lon: list[float] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.speed: list[float] = []
        self.names: dict[str, list[int]] = {}

    def node(self, ref: int, lat: float, lon: float) -> int:
        found = self.index.get(ref)
        if found is None:
            found = self.index[ref] = len(self.lat)
            self.lat.append(lat)
            self.lon.append(lon)
        return found

    def way(self, nodes: list[int], tags: Mapping[str, str], speeds: Mapping[str, float]) -> None:
        mps = speed_kmh(tags, speeds) / 3.6
        way_dir = direction(tags)
        for a, b in itertools.pairwise(nodes):
            if way_dir >= 0:
                self.src.append(a)
                self.dst.append(b)
                self.speed.append(mps)
            if way_dir <= 0:
                self.src.append(b)
                self.dst.append(a)
                self.speed.append(mps)
        for tag in NAME_TAGS:
            name = normalise_name(tags.get(tag, ""))
            if name:
                self.names.setdefault(name, []).extend(n for n in nodes if n not in self.names.get(name, []))


def load_osm(
    path: str | Path, *, speeds: Mapping[str, float] = DEFAULT_SPEEDS_KMH, access_speed_mps: float = 15 / 3.6
) -> RoadGraph:
    """Parse ``path`` and return its drivable road graph (raises ValueError when it has no road)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no OSM file at {path}")
    builder = _Builder()
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    skipped = 0
    for obj in processor:
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = {t.k: t.v for t in obj.tags}
        if not drivable(tags):
            continue
        run: list[int] = []
        for ref in obj.nodes:
            if not ref.location.valid():  # a node outside the extract: split the way there
                skipped += 1
                if len(run) > 1:
                    builder.way(run, tags, speeds)
                run = []
                continue
            run.append(builder.node(ref.ref, ref.lat, ref.lon))
        if len(run) > 1:
            builder.way(run, tags, speeds)
    if not builder.src:
        raise ValueError(f"{path} holds no drivable road")
    lat, lon = np.asarray(builder.lat), np.asarray(builder.lon)
    src, dst = np.asarray(builder.src), np.asarray(builder.dst)
    seconds = haversine_m(lat[src], lon[src], lat[dst], lon[dst]) / np.asarray(builder.speed)
    graph = RoadGraph.from_edges(
        lat=lat,
        lon=lon,
        edges=np.stack([src, dst, seconds], axis=1),
        access_speed_mps=access_speed_mps,
        names=builder.names,
        source=f"osm:{path.name}",
    )
    logger.info(
        "road graph %s: %s nodes, %s edges, %s streets (%s node refs outside the extract)",
        path.name,
        graph.node_count,
        graph.edge_count,
        len(builder.names),
        skipped,
    )
    return graph
