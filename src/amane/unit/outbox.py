"""The unit's outbox: everything bound for the centre, kept in a local SQLite file until delivered.

Every item is stored with its UUID at birth (an alert's id is the alert's own id), so a re-send after a
timeout, a lost link or a restart is recognised at the centre and stored once (at-least-once delivery,
idempotent receiver). Items are handed out in delivery order:

1. alerts (oldest first), 2. evidence uploads of alerts already sent, 3. message acks and crew messages,
4. heartbeats/positions.

A failed item waits ``backoff(attempts)`` (exponential with jitter) before it is offered again; an item the
centre refuses for good (a 4xx other than 408/409/429) is parked as ``dead`` and kept for inspection.

**Bounds** (``max_items``, checked every :data:`BOUND_CHECK_EVERY` puts and by :meth:`enforce_bounds`):
when the backlog is over the limit the outbox first *thins* the positions (keeping one per
``position_interval_s`` of backlog, the newest of each interval), then drops the oldest positions, then
the oldest evidence uploads (the local file stays under the evidence retention). Alerts, acks and
messages are never dropped.

>>> import tempfile, pathlib
>>> from amane.core.messages import Heartbeat
>>> box = Outbox(pathlib.Path(tempfile.mkdtemp()) / "outbox.db")
>>> box.put_heartbeat(Heartbeat(unit_id="RBT-1"))
>>> [item.kind.value for item in box.due()]
['heartbeat']
>>> box.close()
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from amane.core.messages import Alert, Heartbeat, MessageAck, UnitMessage, encode

logger = logging.getLogger(__name__)


class ItemKind(StrEnum):
    """What an outbox item is; the value order is the delivery priority (lower first)."""

    ALERT = "alert"
    EVIDENCE = "evidence"
    ACK = "ack"
    MESSAGE = "message"
    HEARTBEAT = "heartbeat"


PRIORITY: dict[ItemKind, int] = {
    ItemKind.ALERT: 0,
    ItemKind.EVIDENCE: 1,
    ItemKind.ACK: 2,
    ItemKind.MESSAGE: 2,
    ItemKind.HEARTBEAT: 3,
}

BOUND_CHECK_EVERY = 32
"""The bound is checked every this many puts (counting the backlog is a scan)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    priority INTEGER NOT NULL,
    created_at REAL NOT NULL,
    payload BLOB NOT NULL,
    parent_id TEXT,
    evidence_key TEXT,
    content_type TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, priority, created_at);
CREATE INDEX IF NOT EXISTS outbox_parent ON outbox (parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS sent_alerts (id TEXT PRIMARY KEY, sent_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class OutboxItem:
    """One pending delivery. ``payload`` is the wire JSON, or for evidence the path of the local file."""

    id: str
    kind: ItemKind
    created_at: float
    payload: bytes
    attempts: int
    parent_id: str | None = None
    evidence_key: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits a random time in [base, min(cap, base*2^n)].

    >>> b = Backoff(initial_s=1.0, max_s=60.0)
    >>> all(1.0 <= b.delay(3, random.Random(s)) <= 8.0 for s in range(20))
    True
    >>> b.delay(30, random.Random(0)) <= 60.0
    True
    """

    initial_s: float = 1.0
    max_s: float = 300.0

    def __post_init__(self) -> None:
        if not 0 < self.initial_s <= self.max_s:
            raise ValueError(f"need 0 < initial_s <= max_s, got {self.initial_s}, {self.max_s}")

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failure (1-based)."""
        ceiling = min(self.max_s, self.initial_s * 2.0 ** min(max(attempts, 0), 40))
        return (rng or random).uniform(self.initial_s, ceiling)


class Outbox:
    """A durable, bounded queue of deliveries (SQLite in WAL mode); safe to use from several threads."""

    def __init__(
        self,
        path: Path,
        *,
        max_items: int = 50_000,
        position_interval_s: float = 30.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if max_items < 100:
            raise ValueError(f"max_items must be >= 100, got {max_items}")
        if position_interval_s <= 0:
            raise ValueError(f"position_interval_s must be > 0, got {position_interval_s}")
        self.path = path
        self.max_items = max_items
        self.position_interval_s = position_interval_s
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.dropped: dict[str, int] = {"heartbeat": 0, "evidence": 0}
        self._deliveries = 0
        self._puts = 0

    # -- writing -------------------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def on_put(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the writing thread) after every put, e.g. to wake the sender."""
        self._listeners.append(listener)

    def _insert(
        self,
        item_id: str,
        kind: ItemKind,
        payload: bytes,
        *,
        parent_id: str | None = None,
        evidence_key: str | None = None,
        content_type: str | None = None,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (id, kind, priority, created_at, payload, parent_id, "
                "evidence_key, content_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item_id,
                    kind.value,
                    PRIORITY[kind],
                    self._clock(),
                    payload,
                    parent_id,
                    evidence_key,
                    content_type,
                ),
            )
            self._enforce_bounds(db)
        for listener in self._listeners:
            listener()

    def put_alert(self, alert: Alert, evidence: dict[str, tuple[Path, str]] | None = None) -> None:
        """Queue an alert and the uploads of its evidence files (key -> (local path, content type))."""
        self._insert(str(alert.id), ItemKind.ALERT, encode(alert))
        for key, (path, content_type) in (evidence or {}).items():
            self._insert(
                str(uuid.uuid5(alert.id, key)),
                ItemKind.EVIDENCE,
                str(path).encode(),
                parent_id=str(alert.id),
                evidence_key=key,
                content_type=content_type,
            )

    def put_heartbeat(self, heartbeat: Heartbeat) -> None:
        """Queue a heartbeat (a position report when it carries a position)."""
        self._insert(str(uuid.uuid4()), ItemKind.HEARTBEAT, encode(heartbeat))

    def put_ack(self, ack: MessageAck) -> None:
        """Queue a message acknowledgement (its id is derived from message, unit and state: idempotent)."""
        item_id = uuid.uuid5(ack.message_id, f"{ack.unit_id}:{ack.state.value}")
        self._insert(str(item_id), ItemKind.ACK, encode(ack))

    def put_message(self, message: UnitMessage) -> None:
        """Queue a message from the crew to the centre."""
        self._insert(str(message.id), ItemKind.MESSAGE, encode(message))

    # -- reading -------------------------------------------------------------------------------------
    def due(self, limit: int = 50) -> list[OutboxItem]:
        """Items ready to send now, in delivery order; evidence only once its alert has been delivered."""
        now = self._clock()
        with self._lock:
            rows = self._db.execute(
                "SELECT o.id, o.kind, o.created_at, o.payload, o.attempts, o.parent_id, o.evidence_key, "
                "o.content_type FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ? "
                "AND (o.kind != 'evidence' OR o.parent_id IN (SELECT id FROM sent_alerts)) "
                "ORDER BY o.priority, o.created_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [OutboxItem(r[0], ItemKind(r[1]), r[2], bytes(r[3]), r[4], r[5], r[6], r[7]) for r in rows]

    def next_due_in(self) -> float | None:
        """Seconds until the next pending item is due (0 if one is due now); None when nothing is pending."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' "
                "AND (kind != 'evidence' OR parent_id IN (SELECT id FROM sent_alerts))"
            ).fetchone()
        if row is None or row[0] is None:
            return None
        return max(0.0, float(row[0]) - self._clock())

    def pending(self) -> dict[str, int]:
        """Pending items by kind (for metrics and the crew page)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, COUNT(*) FROM outbox WHERE state = 'pending' GROUP BY kind"
            ).fetchall()
        return {str(k): int(n) for k, n in rows}

    def dead(self) -> list[tuple[str, str, str]]:
        """Items the centre refused for good: (id, kind, last error)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, COALESCE(last_error, '') FROM outbox"
                " WHERE state = 'dead' ORDER BY created_at"
            ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    # -- outcomes ------------------------------------------------------------------------------------
    def delivered(self, item: OutboxItem) -> None:
        """The centre has the item: forget it (remember delivered alerts so their evidence may follow)."""
        with self._tx() as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (item.id,))
            if item.kind is ItemKind.ALERT:
                db.execute(
                    "INSERT OR IGNORE INTO sent_alerts (id, sent_at) VALUES (?, ?)", (item.id, self._clock())
                )
            self._deliveries += 1
            if self._deliveries % 200 == 0:  # sent_alerts only matters while evidence of the alert waits
                db.execute(
                    "DELETE FROM sent_alerts WHERE sent_at < ? AND NOT EXISTS "
                    "(SELECT 1 FROM outbox o WHERE o.parent_id = sent_alerts.id)",
                    (self._clock() - 3600,),
                )

    def failed(self, item: OutboxItem, error: str) -> float:
        """A retryable failure: schedule the next attempt with backoff; returns the delay in seconds."""
        delay = self.backoff.delay(item.attempts + 1, self._rng)
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                (self._clock() + delay, error[:500], item.id),
            )
        return delay

    def rejected(self, item: OutboxItem, error: str) -> None:
        """The centre refused the item for good: park it as dead (kept, never re-sent)."""
        logger.error("outbox: %s %s refused by the centre: %s", item.kind.value, item.id, error)
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?",
                (error[:500], item.id),
            )

    # -- bounds --------------------------------------------------------------------------------------
    def thin_positions(self) -> int:
        """Keep the newest heartbeat of each ``position_interval_s`` slot; returns how many were dropped.

        The newest heartbeat overall is always kept (it is the unit's current position).
        """
        with self._tx() as db:
            return self._thin(db)

    def _thin(self, db: sqlite3.Connection) -> int:
        cur = db.execute(
            "DELETE FROM outbox WHERE kind = 'heartbeat' AND state = 'pending' AND rowid NOT IN ("
            " SELECT rowid FROM (SELECT rowid, ROW_NUMBER() OVER"
            " (PARTITION BY CAST(created_at / ? AS INTEGER)"
            " ORDER BY created_at DESC, rowid DESC) AS rn FROM outbox"
            " WHERE kind = 'heartbeat' AND state = 'pending') WHERE rn = 1)",
            (self.position_interval_s,),
        )
        self.dropped["heartbeat"] += cur.rowcount
        return int(cur.rowcount)

    def _count(self, db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0])

    def enforce_bounds(self) -> None:
        """Bring the backlog within ``max_items`` now (see the module docstring for what goes first)."""
        with self._tx() as db:
            self._bound(db)

    def _enforce_bounds(self, db: sqlite3.Connection) -> None:
        self._puts += 1
        if self._puts % BOUND_CHECK_EVERY == 0:  # counting is a scan: not on every put
            self._bound(db)

    def _bound(self, db: sqlite3.Connection) -> None:
        over = self._count(db) - self.max_items
        if over <= 0:
            return
        thinned = self._thin(db)
        over -= thinned
        for kind in ("heartbeat", "evidence"):
            if over <= 0:
                break
            cur = db.execute(
                "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox"
                " WHERE kind = ? AND state = 'pending'"
                " ORDER BY created_at LIMIT ?)",
                (kind, over),
            )
            self.dropped[kind] += cur.rowcount
            over -= cur.rowcount
        if over > 0:
            logger.warning("outbox over its bound by %d items of alerts/acks/messages (never dropped)", over)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
