"""Road travel times: OSM road graph (pyosmium + scipy csgraph), snapping, straight-line fallback."""

from amane.routing.graph import LatLon, RoadGraph, StraightLine, haversine_m
from amane.routing.osm import load_osm
from amane.routing.synthetic import city_grid

TravelModel = RoadGraph | StraightLine

__all__ = ["LatLon", "RoadGraph", "StraightLine", "TravelModel", "city_grid", "haversine_m", "load_osm"]
