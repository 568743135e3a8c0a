"""The uplink against the REAL centre app (in-process ASGI, migrated SQLite): at-least-once, stored once,
backlog after an outage, evidence after its alert, refusals parked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from sqlalchemy import func, select

from amane.bus import MemoryBus
from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units.service import register_unit
from amane.config import CenterSettings
from amane.core.messages import Alert, AlertKind, GeoPoint, Heartbeat, Severity, UnitMessage
from amane.store import models
from amane.unit.outbox import Backoff, Outbox, OutboxItem
from amane.unit.transport import BusTransport, HttpTransport, RetryableError
from amane.unit.uplink import Uplink


@dataclass
class Centre:
    center: Center
    client: httpx.AsyncClient
    token: str

    def count(self, model: type[object]) -> int:
        with self.center.db.session() as session:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
async def centre(tmp_path: Path) -> AsyncIterator[Centre]:
    settings = CenterSettings(database_url=f"sqlite:///{tmp_path / 'center.db'}", data_dir=tmp_path / "c")
    app = create_app(settings, serve_dashboard=False)
    center: Center = app.state.center
    with center.db.writing() as session:
        _, token = register_unit(session=session, callsign="RBT-7", kind="car", region="rabat")
    await center.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://centre") as client:
        yield Centre(center, client, token)
    await center.stop()
    center.db.dispose()


class FlakyTransport:
    """The real HTTP transport behind a link that can be cut (the unit's modem losing signal)."""

    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner
        self.up = True
        self.sent: list[str] = []

    async def send(self, item: OutboxItem) -> None:
        if not self.up:
            raise RetryableError("ConnectError: network unreachable", link_down=True)
        await self.inner.send(item)
        self.sent.append(item.kind.value)

    async def fetch_messages(self, after: str | None) -> tuple[list[UnitMessage], str | None]:
        return await self.inner.fetch_messages(after)

    async def close(self) -> None:
        await self.inner.close()


def an_alert(n: int) -> Alert:
    return Alert(
        kind=AlertKind.PLATE,
        severity=Severity.HIGH,
        unit_id="RBT-7",
        camera_id="front",
        observed_at=datetime(2026, 3, 1, 9, 0, n, tzinfo=UTC),
        summary=f"plate {n}",
        position=GeoPoint(lat=34.02, lon=-6.83),
    )


def jpeg(path: Path) -> Path:
    image = np.zeros((48, 64, 3), np.uint8)
    image[10:30, 10:50] = (0, 0, 255)
    path.write_bytes(cv2.imencode(".jpg", image)[1].tobytes())
    return path


async def drain(uplink: Uplink, rounds: int = 20) -> None:
    for _ in range(rounds):
        await uplink.drain_once()
        if not uplink.outbox.due():
            return


async def test_backlog_after_an_outage_is_stored_once_alerts_first(centre: Centre, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db", backoff=Backoff(initial_s=0.01, max_s=0.02))
    link = FlakyTransport(HttpTransport("http://centre", centre.token, client=centre.client))
    uplink = Uplink(outbox, link)
    link.up = False
    for n in range(3):
        outbox.put_heartbeat(Heartbeat(unit_id="RBT-7", position=GeoPoint(lat=34.0 + n / 1000, lon=-6.83)))
        outbox.put_alert(an_alert(n), {"snapshot.jpg": (jpeg(tmp_path / f"s{n}.jpg"), "image/jpeg")})
    assert await uplink.drain_once() is False  # link down: nothing left, nothing lost
    assert outbox.pending() == {"alert": 3, "evidence": 3, "heartbeat": 3}
    await asyncio.sleep(0.05)
    link.up = True
    await drain(uplink)
    assert outbox.pending() == {}
    # alerts first, their evidence, then the positions: thinned to one per 30 s slot of backlog
    assert link.sent == ["alert"] * 3 + ["evidence"] * 3 + ["heartbeat"]
    assert centre.count(models.Alert) == 3
    with centre.center.db.session() as session:
        unit = session.execute(select(models.Unit).where(models.Unit.callsign == "RBT-7")).scalar_one()
        assert unit.last_lat == pytest.approx(34.002)


async def test_a_resent_alert_is_stored_once(centre: Centre, tmp_path: Path) -> None:
    alert = an_alert(1)
    for run in range(2):  # the unit restarts before it learnt the first send went through
        outbox = Outbox(tmp_path / f"outbox{run}.db")
        outbox.put_alert(alert)
        uplink = Uplink(outbox, HttpTransport("http://centre", centre.token, client=centre.client))
        await drain(uplink)
        assert uplink.stats.sent == 1 and outbox.pending() == {}
    assert centre.count(models.Alert) == 1


async def test_refused_items_are_parked_with_the_reason(centre: Centre, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    stranger = an_alert(2).model_copy(update={"unit_id": "OTHER-1"})  # not this token's unit: 403
    outbox.put_alert(stranger)
    alert = an_alert(3)
    gone = tmp_path / "gone.jpg"
    outbox.put_alert(alert, {"snapshot.jpg": (gone, "image/jpeg")})  # purged before upload
    uplink = Uplink(outbox, HttpTransport("http://centre", centre.token, client=centre.client))
    await drain(uplink)
    dead = {kind: error for _, kind, error in outbox.dead()}
    assert "HTTP 403" in dead["alert"] and "gone" in dead["evidence"]
    assert centre.count(models.Alert) == 1


async def test_bad_token_is_a_refusal_not_a_retry(centre: Centre, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put_alert(an_alert(4))
    uplink = Uplink(outbox, HttpTransport("http://centre", "not-a-token", client=centre.client))
    await drain(uplink)
    assert outbox.pending() == {} and "HTTP 401" in outbox.dead()[0][2]


async def test_unreachable_centre_means_retry_later(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put_alert(an_alert(5))
    transport = HttpTransport("http://127.0.0.1:9", "t", timeout_s=1.0)  # port 9: discard, closed
    uplink = Uplink(outbox, transport)
    assert await uplink.drain_once() is False
    await transport.close()
    assert outbox.pending() == {"alert": 1} and uplink.stats.link_up is False


async def test_bus_transport_reaches_the_centre_consumer(centre: Centre, tmp_path: Path) -> None:
    bus = centre.center.bus
    assert isinstance(bus, MemoryBus)
    outbox = Outbox(tmp_path / "outbox.db", backoff=Backoff(initial_s=0.02, max_s=0.05))
    alert = an_alert(6)
    outbox.put_alert(alert, {"snapshot.jpg": (jpeg(tmp_path / "s.jpg"), "image/jpeg")})
    http = HttpTransport("http://centre", centre.token, client=centre.client)
    uplink = Uplink(outbox, BusTransport(bus, "RBT-7", evidence_http=http))
    for _ in range(100):  # evidence may meet a 404 until the bus consumer stored the alert: retried
        await uplink.drain_once()
        if not outbox.pending():
            break
        await asyncio.sleep(0.03)
    assert outbox.pending() == {} and outbox.dead() == []
    assert centre.count(models.Alert) == 1 and centre.count(models.AlertEvidence) == 1
