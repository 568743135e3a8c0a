"""The plate hotlist: entries with their governance (legal basis, owner, expiry), stored in SQLite,
looked up through an in-memory :class:`~amane.watchlists.hotlist_index.PlateIndex`.

Expired entries stop matching at once and are removed by :meth:`Hotlist.purge_expired`.

>>> from datetime import datetime, timedelta, timezone
>>> hl = Hotlist(":memory:")
>>> soon = datetime.now(timezone.utc) + timedelta(days=30)
>>> hl.add([HotlistEntry(plate="57626 | ب | 8", country="MA", reason="stolen", priority=1, agency="DGSN",
...                      legal_basis="PV 123/2026", expires_at=soon, action="stop")])
1
>>> [(m.entry.plate, m.exact, m.score) for m in hl.lookup("57626ب8")]
[('57626ب8', True, 1.0)]
>>> [(m.entry.plate, m.exact) for m in hl.lookup("S7626ب8")]  # 5 read as S
[('57626ب8', False)]
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from amane.core.plates import normalize_plate, parse_moroccan
from amane.watchlists.hotlist_index import MAX_LEN, NEVER, PlateIndex, encode

logger = logging.getLogger(__name__)


def canonical_plate(text: str) -> str:
    """Normalised plate; a transliterated Moroccan plate (``57626-B-8``) is stored as read (``57626ب8``)."""
    parsed = parse_moroccan(text)
    return parsed.as_read if parsed is not None else normalize_plate(text)


class HotlistReason(StrEnum):
    """Why a plate is listed."""

    STOLEN = "stolen"
    WANTED = "wanted"
    BOLO = "bolo"
    AMBER = "amber"
    STOLEN_PLATE = "stolen_plate"
    UNINSURED = "uninsured"
    OTHER = "other"


class HotlistEntry(BaseModel):
    """One listed plate, with NCIC-like vehicle fields and its governance."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    entry_id: str = Field(default_factory=lambda: uuid.uuid4().hex, description="Stable id of the entry")
    plate: str = Field(min_length=1, max_length=32, description="Plate as listed; normalised on input")
    country: str = Field(default="MA", min_length=2, max_length=3, description="ISO 3166 country code")
    state: str = Field(default="", max_length=8, description="State/province/region code where it applies")
    plate_type: str = Field(default="", max_length=32, description="Plate type (passenger, temporary, ...)")
    reason: HotlistReason = Field(description="Why the plate is listed")
    priority: int = Field(default=3, ge=1, le=5, description="1 = most urgent, 5 = least")
    agency: str = Field(min_length=1, max_length=64, description="Owning agency, which answers for the entry")
    legal_basis: str = Field(min_length=1, max_length=200, description="Warrant, case or legal text")
    expires_at: datetime | None = Field(default=None, description="When the entry stops matching (UTC)")
    action: str = Field(default="notify", max_length=200, description="What the officer does on a hit")
    vin: str = Field(default="", max_length=17, description="Vehicle identification number")
    make: str = Field(default="", max_length=32)
    model: str = Field(default="", max_length=32)
    colour: str = Field(default="", max_length=32)
    case_number: str = Field(default="", max_length=64)
    notes: str = Field(default="", max_length=500)

    @field_validator("plate")
    @classmethod
    def _normalise_plate(cls, v: str) -> str:
        plate = canonical_plate(v)
        encode(plate)  # raises ValueError naming the plate when it cannot be indexed
        return plate

    @field_validator("expires_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            return v.replace(tzinfo=UTC)
        return v

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class HotlistMatch(BaseModel):
    """A hit: the entry, how the read matched it and a score in [0, 1] (1 = exact)."""

    model_config = ConfigDict(extra="forbid")

    entry: HotlistEntry
    read: str
    exact: bool
    cost: float = Field(ge=0, description="Weighted edit distance (confusable 0.3, other 1)")
    score: float = Field(ge=0, le=1)


_FIELDS = list(HotlistEntry.model_fields)
_SCHEMA = f"""CREATE TABLE IF NOT EXISTS hotlist (
  row INTEGER PRIMARY KEY AUTOINCREMENT, {", ".join(f"{f} TEXT" for f in _FIELDS)},
  UNIQUE(entry_id))"""


class Hotlist:
    """Hotlist in a SQLite file (or ``":memory:"``) with an in-memory index rebuilt on change."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute(_SCHEMA)
        self._index: PlateIndex | None = None
        self._rows = np.zeros(0, np.int64)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def add(self, entries: Iterable[HotlistEntry]) -> int:
        """Insert or replace entries (by ``entry_id``); returns how many were written."""
        rows = [tuple(_column(e, f) for f in _FIELDS) for e in entries]
        marks = ", ".join("?" * len(_FIELDS))
        sql = f"INSERT OR REPLACE INTO hotlist ({', '.join(_FIELDS)}) VALUES ({marks})"
        with self._db:
            self._db.executemany(sql, rows)
        self._index = None
        logger.info("hotlist %s: %d entries written", self.path, len(rows))
        return len(rows)

    def remove(self, entry_id: str) -> bool:
        """Delete one entry; whether it existed."""
        with self._db:
            n = self._db.execute("DELETE FROM hotlist WHERE entry_id = ?", (entry_id,)).rowcount
        self._index = None
        return n > 0

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete entries whose expiry has passed; returns how many."""
        at = (now or datetime.now(UTC)).isoformat()
        with self._db:
            n = self._db.execute(
                "DELETE FROM hotlist WHERE expires_at IS NOT NULL AND expires_at <= ?", (at,)
            ).rowcount
        self._index = None
        if n:
            logger.info("hotlist %s: purged %d expired entries", self.path, n)
        return n

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM hotlist").fetchone()[0])

    def __iter__(self) -> Iterator[HotlistEntry]:
        cur = self._db.execute(f"SELECT {', '.join(_FIELDS)} FROM hotlist ORDER BY row")
        for values in cur:
            yield _entry(values)

    def get(self, entry_id: str) -> HotlistEntry | None:
        """One entry by id."""
        row = self._db.execute(
            f"SELECT {', '.join(_FIELDS)} FROM hotlist WHERE entry_id = ?", (entry_id,)
        ).fetchone()
        return _entry(row) if row else None

    def index(self) -> PlateIndex:
        """The lookup index (built from the table on first use after a change)."""
        if self._index is None:
            rows, codes, expires = [], [], []
            for row, plate, exp in self._db.execute("SELECT row, plate, expires_at FROM hotlist"):
                rows.append(row)
                codes.append(encode(plate))
                expires.append(int(datetime.fromisoformat(exp).timestamp()) if exp else NEVER)
            self._rows = np.array(rows, np.int64)
            self._index = PlateIndex(np.array(codes, np.uint64), np.array(expires, np.int64))
        return self._index

    def lookup(
        self,
        read: str,
        *,
        fuzzy: bool = True,
        max_cost: float = 1.0,
        now: datetime | None = None,
        limit: int = 5,
    ) -> list[HotlistMatch]:
        """Entries matching a plate read: exact first, then fuzzy by increasing cost and priority."""
        plate = canonical_plate(read)
        if not plate or len(plate) > MAX_LEN:
            return []
        at = int((now or datetime.now(UTC)).timestamp())
        hits = self.index().lookup(plate, fuzzy=fuzzy, max_cost=max_cost, now=at, limit=limit * 4)
        out = []
        for hit in hits:
            values = self._db.execute(
                f"SELECT {', '.join(_FIELDS)} FROM hotlist WHERE row = ?", (int(self._rows[hit.row]),)
            ).fetchone()
            if values is None:
                continue
            entry = _entry(values)
            score = max(0.0, 1.0 - hit.cost / max(len(plate), 1))
            out.append(
                HotlistMatch(
                    entry=entry, read=plate, exact=hit.cost == 0.0, cost=hit.cost, score=round(score, 4)
                )
            )
        out.sort(key=lambda m: (m.cost, m.entry.priority))
        return out[:limit]


def _column(entry: HotlistEntry, name: str) -> str | None:
    value = getattr(entry, name)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value.value if isinstance(value, StrEnum) else value)


def _entry(values: tuple[str | None, ...]) -> HotlistEntry:
    data = {k: v for k, v in zip(_FIELDS, values, strict=True) if v is not None}
    return HotlistEntry.model_validate(data)
