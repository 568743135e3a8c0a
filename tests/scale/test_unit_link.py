"""The unit side of the scaled setup: an hour offline, then back; clocks that are minutes off.

The unit is the real one: its SQLite :class:`Outbox`, its :class:`Uplink` and its
:class:`BusTransport` over the NATS bus; the centre is a real :class:`Center` on PostgreSQL + NATS
(and on the embedded SQLite + memory bus for the clock test, which must hold on both).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from amane.bus import Bus, MemoryBus, subjects
from amane.bus.nats import NatsBus
from amane.center.alerts.service import list_alerts
from amane.center.runtime import Center
from amane.center.units.service import list_units, register_unit
from amane.config import CenterSettings
from amane.core.messages import Alert, AlertKind, GeoPoint, Heartbeat, Severity, encode
from amane.scale.services import NatsServer
from amane.store.models import Alert as AlertRow
from amane.store.models import Unit
from amane.unit.outbox import Backoff, Outbox
from amane.unit.transport import BusTransport
from amane.unit.uplink import Uplink

HOUR_S = 3600.0


class SimClock:
    """The unit's clock: an hour of simulated time while offline, then real time."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


async def _start_center(database_url: str, bus_url: str, tmp_path: Path, units: dict[str, str]) -> Center:
    center = Center(CenterSettings(database_url=database_url, bus_url=bus_url, data_dir=tmp_path / "center"))
    center.migrate()
    with center.db.writing() as session:
        for callsign, region in units.items():
            register_unit(session=session, callsign=callsign, kind="car", region=region)
    await center.start()
    return center


async def _stop_center(center: Center) -> None:
    await center.stop()
    await center.bus.close()
    center.db.dispose()


@pytest.mark.nats
@pytest.mark.postgres
async def test_an_hour_offline_drains_alerts_first_and_loses_nothing(
    private_nats: NatsServer, scratch_db: str, tmp_path: Path
) -> None:
    clock = SimClock()
    outbox = Outbox(tmp_path / "outbox.db", clock=clock, position_interval_s=2.0)
    bus_url = f"{private_nats.url}?fetch_timeout_s=0.25&publish_timeout_s=1&connect_timeout_s=1"
    unit_bus = NatsBus(f"{bus_url}&manage_streams=false")  # like a unit account: the centre makes streams
    uplink = Uplink(outbox, BusTransport(unit_bus, "RBT-7"), link_backoff=Backoff(initial_s=0.5, max_s=1.0))
    stop = asyncio.Event()
    running = asyncio.create_task(uplink.run(stop))  # the link is down: NATS is not running yet
    start = datetime.now(UTC) - timedelta(seconds=HOUR_S)
    alerts: list[Alert] = []
    for second in range(0, int(HOUR_S), 2):  # a position every 2 s, an alert every 30 s, for an hour
        clock.offset = second - HOUR_S
        at = start + timedelta(seconds=second)
        fix = GeoPoint(lat=33.5 + second * 1e-5, lon=-7.6)
        outbox.put_heartbeat(Heartbeat(unit_id="RBT-7", sent_at=at, position=fix, speed_mps=8.0))
        if second % 30 == 0:
            alerts.append(Alert(kind=AlertKind.PLATE, severity=Severity.HIGH, unit_id="RBT-7",
                                observed_at=at, position=fix, summary=f"hit at +{second} s"))
            outbox.put_alert(alerts[-1])
    clock.offset = 0.0
    newest = fix
    backlog = outbox.pending()
    assert backlog.get("alert") == len(alerts) == 120
    for _ in range(100):  # the uplink keeps trying, finds the link down and backs off
        if uplink.stats.link_failures >= 2:
            break
        await asyncio.sleep(0.1)
    assert not uplink.stats.link_up and uplink.stats.link_failures >= 2
    assert outbox.pending() == backlog

    private_nats.start()  # the unit's publishes still fail until the centre has made the streams
    watcher = NatsBus(f"{bus_url}&manage_streams=false")
    order: list[str] = []

    async def watch() -> None:
        async for delivery in await watcher.subscribe("amane.unit.RBT-7.*"):
            order.append(delivery.subject.rsplit(".", 1)[1])

    watching = asyncio.create_task(watch())
    await asyncio.sleep(0.2)
    center = await _start_center(scratch_db, bus_url, tmp_path, {"RBT-7": "casa"})
    try:
        async with asyncio.timeout(60):
            for _ in iter(int, 1):  # until the outbox is empty and the centre has it all
                if sum(outbox.pending().values()) == 0 and len(order) >= len(alerts):
                    break
                await asyncio.sleep(0.1)
            while True:
                with center.db.reading() as session:
                    stored = {str(i) for i in session.scalars(select(AlertRow.id))}
                    unit = session.scalars(select(Unit).where(Unit.callsign == "RBT-7")).one()
                if len(stored) >= len(alerts) and unit.last_lat == pytest.approx(newest.lat):
                    break
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await running
        watching.cancel()
        await watcher.close()
        await unit_bus.close()
        await _stop_center(center)
        outbox.close()
    assert stored == {str(a.id) for a in alerts}  # nothing lost, nothing extra
    first_beat = order.index("heartbeat")  # (an alert may be seen twice: a re-send after a timeout)
    assert set(order[:first_beat]) == {"alert"} and first_beat >= len(alerts), "alerts before positions"
    assert "alert" not in order[first_beat:]
    assert backlog["heartbeat"] >= order.count("heartbeat") > 0  # positions thinned, never more
    assert unit.last_lat == pytest.approx(newest.lat)  # the newest position wins, after the whole backlog


@pytest.fixture(params=["embedded", pytest.param("scaled", marks=[pytest.mark.nats, pytest.mark.postgres])])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(database_url, bus_url): SQLite + memory bus, or a PostgreSQL schema + a NATS namespace."""
    if request.param == "embedded":
        yield f"sqlite:///{tmp_path / 'c.db'}", "memory://"
        return
    yield request.getfixturevalue("scratch_db"), request.getfixturevalue("scratch_bus")


@pytest.fixture
async def center_on(backend: tuple[str, str], tmp_path: Path) -> AsyncIterator[Center]:
    center = await _start_center(*backend, tmp_path, {"SLOW-1": "casa", "FAST-1": "casa", "TRUE-1": "casa"})
    yield center
    await _stop_center(center)


async def test_unit_clocks_minutes_off_keep_order_and_status_right(center_on: Center) -> None:
    """Units 7 min slow, 5 min fast and on time: the centre orders by its own receipt time, keeps the unit
    time beside it, and judges "online" by when it heard the unit, not by what the unit's clock says."""
    center = center_on
    skews = {"SLOW-1": -420.0, "FAST-1": 300.0, "TRUE-1": 0.0}
    bus: Bus = center.bus
    unit_bus = NatsBus(center.settings.bus_url) if isinstance(bus, NatsBus) else bus
    assert isinstance(unit_bus, NatsBus | MemoryBus)
    sent: list[Alert] = []
    before = datetime.now(UTC)
    for n in range(30):
        callsign = list(skews)[n % 3]
        unit_now = datetime.now(UTC) + timedelta(seconds=skews[callsign])
        alert = Alert(kind=AlertKind.PLATE, severity=Severity.MEDIUM, unit_id=callsign, observed_at=unit_now,
                      summary=f"n{n}")
        await unit_bus.publish(subjects.unit_alert(callsign), encode(alert))
        await unit_bus.publish(subjects.unit_heartbeat(callsign),
                               encode(Heartbeat(unit_id=callsign, sent_at=unit_now)))
        sent.append(alert)
        for _ in range(200):  # one at a time, so the arrival order is the send order
            with center.db.reading() as session:
                if len(list_alerts(session=session, limit=100)) == n + 1:
                    break
            await asyncio.sleep(0.01)
    after = datetime.now(UTC)
    with center.db.reading() as session:
        newest_first = list_alerts(session=session, limit=100)
        units = {u.callsign: u for u in list_units(session=session, online_within=timedelta(seconds=30))}
    if unit_bus is not bus:
        await unit_bus.close()
    assert [a.id for a in reversed(newest_first)] == [a.id for a in sent]  # centre receipt order
    by_id = {a.id: a for a in sent}
    for stored in newest_first:
        assert stored.observed_at == by_id[stored.id].observed_at  # unit time kept as the unit said
        assert before <= stored.received_at <= after  # centre time from the centre's clock
    assert all(u.online for u in units.values()), units  # 7 min slow is still online now
    for callsign in skews:
        assert units[callsign].last_seen_at is not None
        assert before <= units[callsign].last_seen_at <= after  # type: ignore[operator]
