"""The simulated crew: drives the patrol route, answers go-to orders, reads its messages, reports its status.

:class:`PatrolDriver` is the unit's position: along its route at constant speed, or, after :meth:`goto`,
straight to the ordered place (where it stops), and after :meth:`resume` back to where it left the route.
:func:`run_crew` plays the crew around a :class:`~amane.unit.runtime.UnitRuntime`: it reads every message
a few seconds after it arrives (a ``read`` ack), and on a go-to order sets the status ``en_route``, then
``on_scene`` on arrival, and ``available`` when it resumes the patrol.

>>> from amane.sim.city import City
>>> clock = iter([0.0, 0.0, 0.0, 10.0, 10.0, 1000.0]).__next__
>>> driver = PatrolDriver(City(seed=7).route(0), speed_mps=10.0, clock=clock)
>>> start = driver.fix()
>>> driver.goto(start.lat + 0.0009, start.lon)       # 100 m north
>>> round(driver.fix().heading_deg), driver.arrived()  # 10 s later: on the way
(0, False)
>>> driver.arrived()
True
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from amane.core.geometry import haversine_m, initial_bearing
from amane.core.messages import MessageKind, UnitStatus, utcnow
from amane.sim.city import Route
from amane.unit.gps import Fix
from amane.unit.runtime import UnitRuntime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Leg:
    start: tuple[float, float]
    end: tuple[float, float]
    t0: float
    length_m: float


class PatrolDriver:
    """A vehicle on its patrol route that can be sent somewhere and come back (a position provider)."""

    def __init__(
        self,
        route: Route,
        *,
        speed_mps: float,
        offset_m: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed_mps <= 0:
            raise ValueError(f"speed_mps must be > 0, got {speed_mps}")
        self.route = route
        self.speed_mps = speed_mps
        self._clock = clock
        self._lock = threading.Lock()
        self._route_offset = offset_m
        self._route_t0 = clock()
        self._legs: list[_Leg] = []
        self._left_at: float | None = None

    def _route_distance(self, now: float) -> float:
        return self._route_offset + (now - self._route_t0) * self.speed_mps

    def _where(self, now: float) -> tuple[float, float, float, float]:
        """(lat, lon, heading, speed) at ``now``; advances from a finished return leg to the route."""
        while self._legs:
            leg = self._legs[0]
            done = (now - leg.t0) * self.speed_mps
            if done < leg.length_m:
                f = done / leg.length_m
                lat = leg.start[0] + (leg.end[0] - leg.start[0]) * f
                lon = leg.start[1] + (leg.end[1] - leg.start[1]) * f
                return lat, lon, initial_bearing(*leg.start, *leg.end), self.speed_mps
            if len(self._legs) == 1 and self._left_at is not None:  # arrived on scene: it waits there
                heading = initial_bearing(*leg.start, *leg.end) if leg.length_m > 0 else 0.0
                return leg.end[0], leg.end[1], heading, 0.0
            self._legs.pop(0)
            if not self._legs:  # back on the route: patrol on from where it left
                self._route_t0 = leg.t0 + leg.length_m / self.speed_mps
        lat, lon, heading = self.route.at(self._route_distance(now))
        return lat, lon, heading, self.speed_mps

    def fix(self) -> Fix | None:
        """Where the vehicle is now."""
        with self._lock:
            lat, lon, heading, speed = self._where(self._clock())
        return Fix(lat, lon, heading, speed, utcnow())

    def close(self) -> None:
        """Nothing to release."""

    def goto(self, lat: float, lon: float) -> None:
        """Leave the route (or the current errand) and drive straight to (lat, lon)."""
        with self._lock:
            now = self._clock()
            here = self._where(now)
            if self._left_at is None:
                self._left_at = self._route_distance(now)
            start = (here[0], here[1])
            self._legs = [_Leg(start, (lat, lon), now, haversine_m(*start, lat, lon))]

    def arrived(self) -> bool:
        """Whether the vehicle stands at the place it was sent to."""
        with self._lock:
            now = self._clock()
            if not self._legs or self._left_at is None:
                return False
            leg = self._legs[0]
            return (now - leg.t0) * self.speed_mps >= leg.length_m

    def resume(self) -> None:
        """Drive back to where the route was left, then patrol on."""
        with self._lock:
            if self._left_at is None:
                return
            now = self._clock()
            lat, lon, _, _ = self._where(now)
            back = self.route.at(self._left_at)[:2]
            self._route_offset = self._left_at
            self._left_at = None
            self._legs = [_Leg((lat, lon), back, now, haversine_m(lat, lon, *back))]


async def run_crew(
    runtime: UnitRuntime,
    driver: PatrolDriver,
    stop: asyncio.Event,
    *,
    read_after_s: float = 3.0,
    on_scene_s: float = 60.0,
    poll_s: float = 0.5,
) -> None:
    """Play the crew of ``runtime`` until ``stop``: read messages, obey go-to orders, report the status."""
    seen: dict[uuid.UUID, float] = {}
    read: set[uuid.UUID] = set()
    state: str | None = None
    on_scene_since = 0.0
    while not stop.is_set():
        now = time.monotonic()
        for entry in await asyncio.to_thread(runtime.inbox.recent, 20):
            message = entry.message
            if message.id not in seen:
                seen[message.id] = now
                if message.kind is MessageKind.GOTO and message.location is not None:
                    logger.info(
                        "%s: going to %.5f, %.5f",
                        runtime.config.unit_id,
                        message.location.lat,
                        message.location.lon,
                    )
                    driver.goto(message.location.lat, message.location.lon)
                    await asyncio.to_thread(runtime.set_status, UnitStatus.EN_ROUTE)
                    state = "en_route"
            if message.id not in read and now - seen[message.id] >= read_after_s and entry.read_at is None:
                await asyncio.to_thread(runtime.inbox.mark_read, message.id)
                read.add(message.id)
        if state == "en_route" and driver.arrived():
            await asyncio.to_thread(runtime.set_status, UnitStatus.ON_SCENE)
            state, on_scene_since = "on_scene", now
        elif state == "on_scene" and now - on_scene_since >= on_scene_s:
            driver.resume()
            await asyncio.to_thread(runtime.set_status, UnitStatus.AVAILABLE)
            state = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_s)
