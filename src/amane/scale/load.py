"""Load and accounting for fault tests and the scale benchmark: streams of alerts, what got stored.

An alert stream is published the way units publish (one subject per unit, each alert with its own
UUID) and re-sent on failure the way a unit's outbox does, so "sent" means a unit had it and "lost"
means it never reached the centre's database.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from amane.bus import Bus, subjects
from amane.core.messages import Alert, AlertKind, GeoPoint, Severity, encode
from amane.store import Database
from amane.store.models import Alert as AlertRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tally:
    """What a fault run ends with: ``lost`` = sent, not stored; ``duplicated`` = extra rows."""

    name: str
    sent: int
    stored: int
    lost: int
    duplicated: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "sent": self.sent, "stored": self.stored, "lost": self.lost,
                "duplicated": self.duplicated}


def make_alerts(
    count: int, *, units: int, seed: int = 0, clock_skew_s: Sequence[float] = (0.0,)
) -> list[Alert]:
    """``count`` plate alerts from ``units`` units; unit i's clock is off by ``clock_skew_s[i % len]``."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        unit = n % units
        skew = timedelta(seconds=clock_skew_s[unit % len(clock_skew_s)])
        out.append(Alert(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            kind=AlertKind.PLATE, severity=Severity.HIGH, unit_id=f"SCALE-{unit:04d}", camera_id="front",
            observed_at=now + skew,
            position=GeoPoint(lat=33.5 + rng.random() * 0.1, lon=-7.6 + rng.random() * 0.1),
            summary=f"hotlist hit {n}", payload={"plate": f"{n:06d}-B-8", "score": round(rng.random(), 3)},
        ))
    return out


async def publish_alerts(
    bus: Bus, alerts: Sequence[Alert], *, concurrency: int = 32, give_up_s: float = 120.0,
    sent_at: dict[str, float] | None = None, rate_per_s: float | None = None,
) -> int:
    """Publish every alert, re-sending each until the bus accepts it (a unit's outbox); returns retries.

    ``rate_per_s`` paces the stream (all workers together), so a fault lands in its middle.
    """
    queue: asyncio.Queue[Alert] = asyncio.Queue()
    for alert in alerts:
        queue.put_nowait(alert)
    retries = 0
    start = time.monotonic()
    deadline = start + give_up_s
    started = 0

    async def worker() -> None:
        nonlocal retries, started
        while not queue.empty():
            alert = queue.get_nowait()
            if rate_per_s is not None:
                started += 1
                await asyncio.sleep(max(0.0, start + started / rate_per_s - time.monotonic()))
            body = encode(alert)
            while True:
                if sent_at is not None:
                    sent_at.setdefault(str(alert.id), time.time())
                try:
                    await bus.publish(subjects.unit_alert(alert.unit_id), body)
                    break
                except ConnectionError as err:
                    retries += 1
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the bus refused alerts for {give_up_s} s: {err}") from err
                    await asyncio.sleep(0.2)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return retries


def stored_ids(db: Database) -> list[str]:
    """Every alert id in the database (one per row)."""
    with db.reading() as session:
        return [str(i) for i in session.scalars(select(AlertRow.id))]


def count_rows(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(AlertRow)) or 0)


def tally(name: str, sent: Sequence[Alert], db: Database, *, earlier: Sequence[Alert] = ()) -> Tally:
    """Compare what was sent with what the database holds (``earlier``: streams already counted).

    ``duplicated`` counts rows beyond one per alert, and rows of alerts nobody sent.
    """
    rows = stored_ids(db)
    want = {str(a.id) for a in sent}
    known = want | {str(a.id) for a in earlier}
    found = set(rows) & want
    return Tally(name=name, sent=len(want), stored=len(found), lost=len(want - found),
                 duplicated=len(rows) - len(set(rows)) + len(set(rows) - known))


async def wait_rows(db: Database, expected: int, *, timeout_s: float, poll_s: float = 0.2) -> int:
    """Poll until the alert table holds ``expected`` rows (or the time is up); returns the count."""
    deadline = time.monotonic() + timeout_s
    count = 0
    while time.monotonic() < deadline:
        count = await asyncio.to_thread(count_rows, db)
        if count >= expected:
            return count
        await asyncio.sleep(poll_s)
    return count
