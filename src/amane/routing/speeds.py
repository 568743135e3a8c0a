"""Road speeds and directions from OpenStreetMap tags (pure functions, no I/O).

>>> speed_kmh({"highway": "residential"})
30.0
>>> speed_kmh({"highway": "primary", "maxspeed": "60"})
60.0
>>> speed_kmh({"highway": "primary", "maxspeed": "30 mph"})
48.28
>>> direction({"oneway": "yes"}), direction({"oneway": "-1"}), direction({"junction": "roundabout"})
(1, -1, 1)
>>> drivable({"highway": "footway"}), drivable({"highway": "service"})
(False, True)
>>> closed = {"highway": "tertiary", "access": "no"}
>>> drivable(closed), drivable({**closed, "emergency": "yes"})
(False, True)
"""

from __future__ import annotations

from collections.abc import Mapping

# Urban emergency-driving speeds by road class, km/h (what a patrol car averages with lights, not the limit).
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 35.0,
    "secondary": 45.0,
    "secondary_link": 30.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 15.0,
    "road": 25.0,
    "track": 10.0,
}
DRIVABLE = frozenset(DEFAULT_SPEEDS_KMH)
_NO_ACCESS = frozenset({"no", "private"})
_EMERGENCY_OK = frozenset({"yes", "designated", "permissive", "emergency"})
MPH = 1.609344


def drivable(tags: Mapping[str, str]) -> bool:
    """Whether a patrol car may use a way with these tags (emergency access overrides ``access=no``)."""
    if tags.get("highway") not in DRIVABLE or tags.get("area") == "yes":
        return False
    if tags.get("emergency") in _EMERGENCY_OK or tags.get("psv") in _EMERGENCY_OK:
        return True
    return tags.get("access") not in _NO_ACCESS and tags.get("motor_vehicle") not in _NO_ACCESS


def parse_maxspeed(value: str | None) -> float | None:
    """``maxspeed`` in km/h: ``"50"``, ``"30 mph"``, ``"50;30"`` (the lowest); None when unusable."""
    if not value:
        return None
    best: float | None = None
    for part in value.split(";"):
        text = part.strip().lower()
        factor = MPH if text.endswith("mph") else 1.0
        number = text.removesuffix("mph").removesuffix("km/h").strip()
        try:
            kmh = round(float(number) * factor, 2)
        except ValueError:
            continue
        if kmh > 0 and (best is None or kmh < best):
            best = kmh
    return best


def speed_kmh(tags: Mapping[str, str], speeds: Mapping[str, float] = DEFAULT_SPEEDS_KMH) -> float:
    """Travel speed on a way: its ``maxspeed`` when tagged, else the road class default."""
    tagged = parse_maxspeed(tags.get("maxspeed"))
    if tagged is not None:
        return tagged
    return speeds.get(tags.get("highway", ""), speeds.get("road", 25.0))


def direction(tags: Mapping[str, str]) -> int:
    """1: one-way along the way's node order, -1: one-way against it, 0: both ways."""
    oneway = tags.get("oneway", "").lower()
    if oneway in ("yes", "true", "1"):
        return 1
    if oneway == "-1" or oneway == "reverse":
        return -1
    if oneway in ("no", "false", "0", "reversible", "alternating"):
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        return 1
    return 0
