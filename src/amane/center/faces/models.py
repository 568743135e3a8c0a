"""Live face identification authorisations, in their own table (created on first use).

An authorisation says who authorised live identification, under which legal reference, where
(a circle: centre and radius) and when (start, end). It stops by itself at ``ends_at`` and at once
when revoked (the kill switch revokes every active one).
"""

from __future__ import annotations

import threading

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text

from amane.store.types import UTCDateTime

metadata = MetaData()

authorisations = Table(
    "face_live_authorisations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("authorised_by", String(120), nullable=False),
    Column("legal_reference", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("area_name", String(200), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("radius_m", Float, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(120), nullable=True),
    Column("revoke_reason", Text, nullable=True),
)

_created: set[str] = set()
_lock = threading.Lock()


def ensure_tables(engine: Engine) -> None:
    """Create the table if this database does not have it yet (idempotent, once per engine URL)."""
    key = str(engine.url)
    with _lock:
        if key not in _created:
            metadata.create_all(engine, checkfirst=True)
            _created.add(key)
