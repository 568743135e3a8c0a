"""Two centre workers on one PostgreSQL and one NATS: they share the alert stream, store each alert
once, and a dashboard on either worker sees every alert (skipped without PostgreSQL or NATS)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from amane.bus import subjects
from amane.bus.nats import NatsBus
from amane.center.runtime import Center
from amane.config import CenterSettings
from amane.core.messages import Alert, AlertKind, Severity, encode
from amane.store.models import Alert as AlertRow
from amane.store.testing import scratch_postgres_schema

pytestmark = [pytest.mark.nats, pytest.mark.postgres]


@dataclass
class Screen:
    """What a dashboard socket receives (the hub only needs ``send_text``)."""

    frames: list[dict[str, object]] = field(default_factory=list)

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    with scratch_postgres_schema(postgres_url) as url:
        yield url


@pytest.fixture
async def bus_url(nats_url: str) -> AsyncIterator[str]:
    url = f"{nats_url}?namespace=c{secrets.token_hex(4)}&ack_wait_s=2&fetch_timeout_s=0.2"
    yield url
    cleaner = NatsBus(url)
    await cleaner.delete_streams()
    await cleaner.close()


async def _center(database_url: str, bus_url: str, tmp_path: Path, name: str) -> Center:
    settings = CenterSettings(database_url=database_url, bus_url=bus_url, data_dir=tmp_path / name)
    center = Center(settings)  # no db= or bus=: the URLs alone choose PostgreSQL and NATS
    assert isinstance(center.bus, NatsBus)
    center.migrate()
    await center.start()
    return center


async def test_two_workers_share_the_stream_and_both_dashboards_see_everything(
    database_url: str, bus_url: str, tmp_path: Path
) -> None:
    worker_a = await _center(database_url, bus_url, tmp_path, "a")
    worker_b = await _center(database_url, bus_url, tmp_path, "b")
    screen_a, screen_b = Screen(), Screen()
    worker_a.live.add(screen_a, username="op-a", role="operator")  # type: ignore[arg-type]
    worker_b.live.add(screen_b, username="op-b", role="operator")  # type: ignore[arg-type]
    unit = NatsBus(bus_url)
    now = datetime.now(UTC)
    sent = [
        Alert(kind=AlertKind.PLATE, severity=Severity.HIGH, unit_id=f"RBT-{i % 7}",
              observed_at=now - timedelta(seconds=i), summary=f"n{i}")
        for i in range(600)
    ]
    try:
        for alert in sent:
            await unit.publish(subjects.unit_alert(alert.unit_id), encode(alert))
        for alert in sent[:50]:  # re-sent after a lost ack: JetStream drops them by Nats-Msg-Id
            await unit.publish(subjects.unit_alert(alert.unit_id), encode(alert))
        want = {str(a.id) for a in sent}
        for _ in range(600):  # 30 s at most
            if all({f["data"]["id"] for f in s.frames if f["type"] == "alert.new"} >= want  # type: ignore[index]
                   for s in (screen_a, screen_b)):
                break
            await asyncio.sleep(0.05)
        with worker_a.db.reading() as session:
            stored = session.scalar(select(func.count()).select_from(AlertRow))
            distinct = session.scalar(select(func.count(func.distinct(AlertRow.id))))
        assert stored == distinct == len(sent)
        assert worker_a.writer.items > 0 and worker_b.writer.items > 0, "the queue group shares the load"
        for screen in (screen_a, screen_b):  # each alert announced once, wherever it was stored
            news = [f for f in screen.frames if f["type"] == "alert.new"]
            assert len(news) == len(sent)
    finally:
        await unit.close()
        for worker in (worker_a, worker_b):
            await worker.stop()
            await worker.bus.close()
            worker.db.dispose()
