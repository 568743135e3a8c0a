"""Live face identification authorisations (``face_live_authorisations``, migration 0004).

An authorisation says who authorised live identification, under which legal reference, where
(a circle: centre and radius) and when (start, end). It stops by itself at ``ends_at`` and at once
when revoked (the kill switch revokes every active one).

The table is part of the centre's schema (:class:`amane.store.models.Base`) and created by the
Alembic migration ``0004_face_authorisations``, never on first use. The watchlist itself (persons,
encrypted templates and photos) lives in its own database (``AMANE_WATCHLIST_DB``), not here.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from amane.store.models import Base
from amane.store.types import UTCDateTime

authorisations = Table(
    "face_live_authorisations", Base.metadata,
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
    Index("ix_face_live_authorisations_ends_at", "ends_at"),
)
