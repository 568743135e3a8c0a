"""What is kept of plate reads that hit nothing: by default only a keyed hash, for a set number of days.

A read that matches no hotlist entry is not stored raw. Depending on ``mode`` the store keeps
nothing, a keyed HMAC-SHA256 of the normalised plate (default: lets an investigator with a warrant
ask "was plate X seen?" by hashing X with the same key, without a list of plates seen), or the raw
plate (only where the law allows it). Rows older than ``days`` are purged.

>>> from datetime import datetime, timezone
>>> store = ReadRetention(RetentionConfig(key="k" * 32), ":memory:")
>>> at = datetime(2026, 11, 23, tzinfo=timezone.utc)
>>> store.record("57626 | ب | 8", camera_id="front", at=at)
True
>>> store.seen("57626ب8"), store.seen("11111أ1")
(1, 0)
>>> store.purge(now=datetime(2027, 1, 1, tzinfo=timezone.utc))
1
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from amane.core.plates import normalize_plate

logger = logging.getLogger(__name__)


class RetentionConfig(BaseModel):
    """Retention of non-hit plate reads."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["none", "hash", "raw"] = Field(
        "hash", description="What is kept of a read that hits nothing"
    )
    days: int = Field(30, ge=0, le=3650, description="How long rows are kept")
    key: str = Field("", description="HMAC key (at least 16 characters) for mode 'hash'; keep it secret")

    def model_post_init(self, _context: object) -> None:
        if self.mode == "hash" and len(self.key) < 16:
            raise ValueError("retention mode 'hash' needs a key of at least 16 characters")


_SCHEMA = """CREATE TABLE IF NOT EXISTS plate_reads (
  id INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT, plate TEXT, camera_id TEXT, seen_at TEXT NOT NULL)"""


class ReadRetention:
    """A small SQLite file of non-hit reads, as the configuration allows."""

    def __init__(self, config: RetentionConfig, path: str | Path) -> None:
        self.config = config
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute(_SCHEMA)
        self._db.execute("CREATE INDEX IF NOT EXISTS plate_reads_digest ON plate_reads(digest)")
        self._db.execute("CREATE INDEX IF NOT EXISTS plate_reads_seen ON plate_reads(seen_at)")

    def digest(self, plate: str) -> str:
        """Keyed hash of the normalised plate."""
        return hmac.new(self.config.key.encode(), normalize_plate(plate).encode(), hashlib.sha256).hexdigest()

    def record(self, plate: str, *, camera_id: str, at: datetime) -> bool:
        """Keep what the mode allows of one non-hit read; whether a row was written."""
        if self.config.mode == "none" or self.config.days == 0 or not normalize_plate(plate):
            return False
        digest = self.digest(plate) if self.config.mode == "hash" else None
        raw = normalize_plate(plate) if self.config.mode == "raw" else None
        with self._db:
            self._db.execute(
                "INSERT INTO plate_reads (digest, plate, camera_id, seen_at) VALUES (?, ?, ?, ?)",
                (digest, raw, camera_id, at.astimezone(UTC).isoformat()),
            )
        return True

    def seen(self, plate: str) -> int:
        """How many kept reads match ``plate`` (by hash or raw, as stored)."""
        if self.config.mode == "raw":
            row = self._db.execute(
                "SELECT COUNT(*) FROM plate_reads WHERE plate = ?", (normalize_plate(plate),)
            ).fetchone()
        else:
            row = self._db.execute(
                "SELECT COUNT(*) FROM plate_reads WHERE digest = ?", (self.digest(plate),)
            ).fetchone()
        return int(row[0])

    def purge(self, now: datetime | None = None) -> int:
        """Delete rows older than the retention period; returns how many."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=self.config.days)).astimezone(UTC).isoformat()
        with self._db:
            n = self._db.execute("DELETE FROM plate_reads WHERE seen_at < ?", (cutoff,)).rowcount
        if n:
            logger.info("purged %d plate reads older than %d days", n, self.config.days)
        return n

    def close(self) -> None:
        """Close the database."""
        self._db.close()
