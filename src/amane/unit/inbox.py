"""The unit's inbox: messages and orders from the centre, acknowledged as delivered, then as read.

Messages arrive by polling the centre over HTTP (``GET /api/v1/units/me/messages?after=``) or by a bus
subscription (the unit's inbox subject and its region's broadcast subject). Each new message is stored
in a local SQLite table (a re-delivered message is recognised by its id), and a ``delivered``
:class:`~amane.core.messages.MessageAck` goes into the outbox; when the crew presses "read" on the unit's
page a ``read`` ack follows. Acks travel through the outbox, so they survive a lost link or a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from amane.bus import Bus, subjects
from amane.core.messages import AckState, MessageAck, UnitMessage, utcnow
from amane.unit.outbox import Outbox
from amane.unit.transport import RejectedError, RetryableError, Transport, decode_unit_message

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    read_at TEXT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inbox_cursor (k INTEGER PRIMARY KEY CHECK (k = 0), cursor TEXT);
"""


@dataclass(frozen=True)
class InboxEntry:
    """A received message and when the crew read it."""

    message: UnitMessage
    received_at: datetime
    read_at: datetime | None


class Inbox:
    """Received messages of one unit (SQLite, WAL); acks go to ``outbox``."""

    def __init__(self, path: Path, unit_id: str, outbox: Outbox) -> None:
        self.unit_id = unit_id
        self.outbox = outbox
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def receive(self, message: UnitMessage) -> bool:
        """Store a message for this unit (or its region); True if new (a ``delivered`` ack is queued)."""
        if message.direction != "to_unit" or (message.unit_id not in (None, self.unit_id)):
            logger.warning("inbox: message %s is not for %s, ignored", message.id, self.unit_id)
            return False
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO inbox (id, received_at, body) VALUES (?, ?, ?)",
                (str(message.id), utcnow().isoformat(), message.model_dump_json()),
            )
        if cur.rowcount == 0:
            return False
        logger.info(
            "inbox: %s message from %s: %s", message.kind.value, message.sender or "centre", message.body[:80]
        )
        self.outbox.put_ack(MessageAck(message_id=message.id, unit_id=self.unit_id, state=AckState.DELIVERED))
        return True

    def mark_read(self, message_id: uuid.UUID) -> bool:
        """The crew read the message: record it and queue a ``read`` ack. False if unknown or already read."""
        now = utcnow()
        with self._lock:
            cur = self._db.execute(
                "UPDATE inbox SET read_at = ? WHERE id = ? AND read_at IS NULL",
                (now.isoformat(), str(message_id)),
            )
        if cur.rowcount == 0:
            return False
        self.outbox.put_ack(
            MessageAck(message_id=message_id, unit_id=self.unit_id, state=AckState.READ, at=now)
        )
        return True

    def recent(self, limit: int = 50) -> list[InboxEntry]:
        """Newest messages first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body, received_at, read_at FROM inbox ORDER BY received_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [
            InboxEntry(
                UnitMessage.model_validate_json(body),
                datetime.fromisoformat(received),
                datetime.fromisoformat(read) if read else None,
            )
            for body, received, read in rows
        ]

    @property
    def cursor(self) -> str | None:
        """The polling cursor the centre gave last (survives restarts)."""
        with self._lock:
            row = self._db.execute("SELECT cursor FROM inbox_cursor WHERE k = 0").fetchone()
        return None if row is None else row[0]

    @cursor.setter
    def cursor(self, value: str | None) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO inbox_cursor (k, cursor) VALUES (0, ?)", (value,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


async def poll_inbox(
    inbox: Inbox, transport: Transport, stop: asyncio.Event, interval_s: float = 5.0
) -> None:
    """Fetch new messages every ``interval_s`` until ``stop`` (link errors are logged and retried)."""
    while not stop.is_set():
        try:
            messages, cursor = await transport.fetch_messages(inbox.cursor)
            for message in messages:
                await asyncio.to_thread(inbox.receive, message)
            if cursor != inbox.cursor:
                inbox.cursor = cursor
        except RetryableError as err:
            logger.debug("inbox poll failed, will retry: %s", err)
        except RejectedError as err:
            logger.warning("inbox poll refused by the centre: %s", err)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


async def subscribe_inbox(inbox: Inbox, bus: Bus, region: str | None, stop: asyncio.Event) -> None:
    """Receive messages from the bus (the unit's inbox and its region's broadcasts) until ``stop``."""
    topics = [subjects.unit_inbox(inbox.unit_id)]
    if region:
        topics.append(subjects.region_broadcast(region))
    subs = [await bus.subscribe(t) for t in topics]

    async def pump(sub_index: int) -> None:
        async for delivery in subs[sub_index]:
            message = decode_unit_message(delivery.data)
            if message is not None:
                await asyncio.to_thread(inbox.receive, message)
            await bus.ack(delivery)

    tasks = [asyncio.create_task(pump(i)) for i in range(len(subs))]
    try:
        await stop.wait()
    finally:
        for sub in subs:
            await sub.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
