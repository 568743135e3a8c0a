"""A unit that talks to the centre only over NATS JetStream: alerts and positions up, messages down,
acks back through the centre's consumer (skipped without a local NATS)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from amane.bus import subjects
from amane.bus.nats import NatsBus
from amane.center.messages import service as messages
from amane.center.messages.schemas import MessageCreate
from amane.center.runtime import Center
from amane.center.units.service import register_unit
from amane.config import CenterSettings
from amane.core.messages import Alert, AlertKind, GeoPoint, Heartbeat, Severity, encode, utcnow
from amane.store import models
from amane.unit.inbox import Inbox, subscribe_inbox
from amane.unit.outbox import Outbox
from amane.unit.transport import BusTransport
from amane.unit.uplink import Uplink

pytestmark = pytest.mark.nats


@pytest.fixture
async def bus_url(nats_url: str) -> AsyncIterator[str]:
    url = f"{nats_url}?namespace=u{secrets.token_hex(4)}&ack_wait_s=2&fetch_timeout_s=0.2"
    yield url
    cleaner = NatsBus(url)
    await cleaner.delete_streams()
    await cleaner.close()


async def until(predicate: object, within_s: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_unit_over_nats_only(bus_url: str, tmp_path: Path) -> None:
    center = Center(
        CenterSettings(
            database_url=f"sqlite:///{tmp_path / 'c.db'}", bus_url=bus_url, data_dir=tmp_path / "c"
        )
    )
    center.migrate()
    with center.db.writing() as session:
        register_unit(session=session, callsign="RBT-5", kind="car", region="rabat")
    await center.start()
    unit_bus = NatsBus(bus_url)
    outbox = Outbox(tmp_path / "outbox.db")
    inbox = Inbox(tmp_path / "inbox.db", "RBT-5", outbox)
    stop = asyncio.Event()
    listener = asyncio.create_task(subscribe_inbox(inbox, unit_bus, "rabat", stop))
    uplink = Uplink(outbox, BusTransport(unit_bus, "RBT-5"))
    try:
        alert = Alert(
            kind=AlertKind.PLATE,
            severity=Severity.HIGH,
            unit_id="RBT-5",
            observed_at=utcnow(),
            summary="hotlisted plate",
        )
        outbox.put_alert(alert)
        outbox.put_alert(alert)  # queued twice, stored once
        outbox.put_heartbeat(Heartbeat(unit_id="RBT-5", position=GeoPoint(lat=34.02, lon=-6.83)))
        await uplink.drain_once()

        def stored() -> int:
            with center.db.session() as session:
                return int(session.execute(select(func.count()).select_from(models.Alert)).scalar_one())

        await until(lambda: stored() == 1)
        await asyncio.sleep(0.5)  # let the subscriptions settle before the centre publishes
        with center.db.writing() as session:
            message = messages.broadcast_to_region(
                session=session, region="rabat", body=MessageCreate(body="all units"), sender="op1"
            )
            wire = messages.to_wire(message)
        await center.bus.publish(subjects.region_broadcast("rabat"), encode(wire))
        await until(lambda: len(inbox.recent()) == 1)
        inbox.mark_read(wire.id)
        await uplink.drain_once()

        def state() -> str:
            with center.db.session() as session:
                return messages.get_message(session=session, message_id=wire.id).deliveries[0].state

        await until(lambda: state() == "read")
        assert stored() == 1
    finally:
        stop.set()
        await listener
        await center.stop()
        await unit_bus.close()
        center.db.dispose()
