"""Where the unit is: NMEA 0183 (file replay or serial port), gpsd, a simulated route, or a fixed place.

Every provider answers ``fix()`` with the latest :class:`Fix` (or None before the first one). Heading is
the course over ground from the receiver; when it gives none (GGA only, or standing still) it is derived
from the last two positions at least 3 m apart.

>>> f = parse_nmea("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A")
>>> round(f.lat, 4), round(f.lon, 4), round(f.speed_mps, 2), f.course_deg
(48.1173, 11.5167, 11.52, 84.4)
>>> parse_nmea("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*00") is None  # bad checksum
True
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from amane.config.unit import FixedGps, GpsConfig, GpsdGps, NmeaFileGps, SerialGps, SimulatedGps
from amane.core.geometry import haversine_m, initial_bearing
from amane.core.messages import utcnow

logger = logging.getLogger(__name__)

KNOT_MPS = 0.514444


@dataclass(frozen=True)
class Fix:
    """A position fix."""

    lat: float
    lon: float
    heading_deg: float | None
    speed_mps: float | None
    at: datetime


@dataclass(frozen=True)
class NmeaFix:
    """What one NMEA sentence says."""

    lat: float
    lon: float
    speed_mps: float | None
    course_deg: float | None

    def __repr__(self) -> str:
        speed = "None" if self.speed_mps is None else f"{self.speed_mps:.3f}..."
        return (
            f"NmeaFix(lat={self.lat!r}, lon={self.lon!r}, speed_mps={speed}, course_deg={self.course_deg!r})"
        )


def _checksum_ok(sentence: str) -> bool:
    if "*" not in sentence:
        return True  # checksum is optional in NMEA 0183
    body, _, given = sentence[1:].partition("*")
    value = 0
    for ch in body:
        value ^= ord(ch)
    try:
        return value == int(given[:2], 16)
    except ValueError:
        return False


def _coord(value: str, hemisphere: str, degree_digits: int) -> float | None:
    if not value or hemisphere not in "NSEW" or not hemisphere:
        return None
    try:
        degrees = float(value[:degree_digits])
        minutes = float(value[degree_digits:])
    except ValueError:
        return None
    out = degrees + minutes / 60.0
    return -out if hemisphere in "SW" else out


def parse_nmea(line: str) -> NmeaFix | None:
    """A position from an RMC (valid) or GGA (fix quality > 0) sentence; None for anything else or garbage."""
    line = line.strip()
    if not line.startswith("$") or not _checksum_ok(line):
        return None
    fields = line.split("*")[0].split(",")
    kind = fields[0][3:]
    try:
        if kind == "RMC" and len(fields) >= 9 and fields[2] == "A":
            lat, lon = _coord(fields[3], fields[4], 2), _coord(fields[5], fields[6], 3)
            speed = float(fields[7]) * KNOT_MPS if fields[7] else None
            course = float(fields[8]) % 360.0 if fields[8] else None
        elif kind == "GGA" and len(fields) >= 7 and fields[6] not in ("", "0"):
            lat, lon = _coord(fields[2], fields[3], 2), _coord(fields[4], fields[5], 3)
            speed, course = None, None
        else:
            return None
    except ValueError:
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return NmeaFix(lat, lon, speed, course)


class PositionProvider(Protocol):
    """Anything that knows where the unit is."""

    def fix(self) -> Fix | None:
        """The latest fix, or None before the first."""
        ...

    def close(self) -> None: ...


class _Latest:
    """Keeps the latest fix, deriving the heading from movement when the receiver gives none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fix: Fix | None = None
        self._anchor: tuple[float, float] | None = None
        self._heading: float | None = None

    def update(self, nmea: NmeaFix) -> None:
        with self._lock:
            heading = nmea.course_deg
            if self._anchor is not None and haversine_m(*self._anchor, nmea.lat, nmea.lon) >= 3.0:
                self._heading = initial_bearing(*self._anchor, nmea.lat, nmea.lon)
                self._anchor = (nmea.lat, nmea.lon)
            elif self._anchor is None:
                self._anchor = (nmea.lat, nmea.lon)
            moving = nmea.speed_mps is None or nmea.speed_mps > 0.5
            if heading is None or not moving:
                heading = self._heading if heading is None else heading
            self._fix = Fix(nmea.lat, nmea.lon, heading, nmea.speed_mps, utcnow())

    def get(self) -> Fix | None:
        with self._lock:
            return self._fix


class NmeaReader:
    """Reads NMEA lines from a file (replayed at ``rate_hz``) or a serial device on a daemon thread."""

    def __init__(self, path: Path, *, rate_hz: float | None = None, loop: bool = False) -> None:
        self.path = path
        self.rate_hz = rate_hz
        self.loop = loop
        self.bad_sentences = 0
        self._latest = _Latest()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"gps-{path.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.path.open("r", encoding="ascii", errors="replace") as stream:
                    fixes = 0
                    for line in stream:
                        if self._stop.is_set():
                            return
                        fix = parse_nmea(line)
                        if fix is None:
                            if line.strip():
                                self.bad_sentences += 1
                            continue
                        self._latest.update(fix)
                        fixes += 1
                        if self.rate_hz and "RMC" in line[:7] and self._stop.wait(1.0 / self.rate_hz):
                            return
            except OSError as err:
                logger.warning("gps %s: %s; retrying in 2 s", self.path, err)
                fixes = 0
            if not self.loop and fixes:
                return  # a recorded drive, replayed once
            if self._stop.wait(2.0 if not fixes else 0.0):
                return

    def fix(self) -> Fix | None:
        """The latest fix."""
        return self._latest.get()

    def close(self) -> None:
        """Stop reading."""
        self._stop.set()


class GpsdClient:
    """Reads TPV reports from gpsd (``?WATCH={"enable":true,"json":true}``), reconnecting on loss."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._latest = _Latest()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gpsd", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5.0) as sock:
                    sock.sendall(b'?WATCH={"enable":true,"json":true};\n')
                    delay = 1.0
                    for line in sock.makefile("r", encoding="utf-8", errors="replace"):
                        if self._stop.is_set():
                            return
                        self._handle(line)
            except OSError as err:
                logger.warning("gpsd %s:%d: %s; retrying in %.0f s", self.host, self.port, err, delay)
            if self._stop.wait(delay):
                return
            delay = min(30.0, delay * 2)

    def _handle(self, line: str) -> None:
        with contextlib.suppress(ValueError):
            report = json.loads(line)
            if report.get("class") == "TPV" and report.get("mode", 0) >= 2 and "lat" in report:
                track = report.get("track")
                self._latest.update(
                    NmeaFix(
                        float(report["lat"]),
                        float(report["lon"]),
                        report.get("speed"),
                        None if track is None else float(track) % 360.0,
                    )
                )

    def fix(self) -> Fix | None:
        """The latest fix."""
        return self._latest.get()

    def close(self) -> None:
        """Stop the reader."""
        self._stop.set()


class RouteDriver:
    """A simulated drive along a route of the simulated city, at constant speed from the moment it starts."""

    def __init__(
        self, route_number: int, *, seed: int = 7, speed_mps: float = 10.0, offset_m: float = 0.0
    ) -> None:
        from amane.sim.city import City

        self.route = City(seed).route(route_number)
        self.speed_mps = speed_mps
        self.offset_m = offset_m
        self._t0 = time.monotonic()

    def fix(self) -> Fix | None:
        """Where the vehicle is now."""
        lat, lon, heading = self.route.at(self.offset_m + (time.monotonic() - self._t0) * self.speed_mps)
        return Fix(lat, lon, heading, self.speed_mps, utcnow())

    def close(self) -> None:
        """Nothing to release."""


class FixedPosition:
    """A parked unit."""

    def __init__(self, lat: float, lon: float, heading_deg: float) -> None:
        self._where = (lat, lon, heading_deg)

    def fix(self) -> Fix | None:
        """The fixed place."""
        return Fix(*self._where, 0.0, utcnow())

    def close(self) -> None:
        """Nothing to release."""


def open_position(config: GpsConfig) -> PositionProvider:
    """The provider a unit config names."""
    if isinstance(config, NmeaFileGps):
        return NmeaReader(config.path, rate_hz=config.rate_hz, loop=config.loop)
    if isinstance(config, SerialGps):
        return NmeaReader(config.device, loop=True)
    if isinstance(config, GpsdGps):
        return GpsdClient(config.host, config.port)
    if isinstance(config, SimulatedGps):
        return RouteDriver(config.route, seed=config.seed, speed_mps=config.speed_mps)
    assert isinstance(config, FixedGps)
    return FixedPosition(config.lat, config.lon, config.heading_deg)
