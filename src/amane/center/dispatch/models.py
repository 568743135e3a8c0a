"""Dispatch tables: calls, incidents, their append-only timeline, unit assignments, rosters.

The timeline (``dispatch_events``) is the record: rows are only ever added (a correction is a new
row pointing at the one it corrects). The time columns of ``dispatch_incidents`` and
``dispatch_assignments`` are a projection of the timeline, rewritten from it after every append,
so that KPIs over millions of incidents read one row per incident.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from amane.store.models import Base
from amane.store.types import UTCDateTime, UUIDString

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Incident(Base):
    """An incident: where, what, how urgent, and (projected from its timeline) when each step happened."""

    __tablename__ = "dispatch_incidents"
    __table_args__ = (
        Index("ix_dispatch_incidents_status_created", "status", "created_at"),
        Index("ix_dispatch_incidents_received", "call_received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUIDString(), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    nature_code: Mapped[str] = mapped_column(String(48))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    region: Mapped[str] = mapped_column(String(64), default="", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32), default="intake")
    external_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(UUIDString(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    call_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_unit_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Call(Base):
    """One emergency call as taken: who called, from where, what they said. Several may share an incident."""

    __tablename__ = "dispatch_calls"

    id: Mapped[uuid.UUID] = mapped_column(UUIDString(), primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True
    )
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    caller_phone: Mapped[str] = mapped_column(String(40), default="")
    nature_code: Mapped[str] = mapped_column(String(48))
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    taken_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TimelineEvent(Base):
    """One timestamped step of an incident. Never updated; ``corrects`` points at a corrected row.

    ``at`` is when it happened (the unit's clock when the unit reported it), ``received_at`` when the
    centre learnt it; both are kept. ``dedupe`` makes steps reported by several workers land once.
    """

    __tablename__ = "dispatch_events"
    __table_args__ = (Index("ix_dispatch_events_incident_seq", "incident_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dispatch_incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unit_callsign: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    corrects: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dedupe: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)


class Assignment(Base):
    """A unit sent to an incident, the order message it got, and (projected) its steps."""

    __tablename__ = "dispatch_assignments"
    __table_args__ = (Index("ix_dispatch_assignments_unit_active", "unit_callsign", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dispatch_incidents.id", ondelete="CASCADE"), index=True
    )
    unit_callsign: Mapped[str] = mapped_column(String(64))
    unit_kind: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[uuid.UUID | None] = mapped_column(UUIDString(), nullable=True, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(16), default="dispatched")
    eta_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    override_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Team(Base):
    """A rota team (e.g. A, B, C, D) of a region: its officers and units."""

    __tablename__ = "dispatch_teams"
    __table_args__ = (UniqueConstraint("region", "name", name="uq_dispatch_teams_region_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    officers: Mapped[list[str]] = mapped_column(JsonType, default=list)
    units: Mapped[list[str]] = mapped_column(JsonType, default=list)


class Rotation(Base):
    """A region's shift pattern: slot ``i`` (from ``anchor``) is worked by ``pattern[i % n]``."""

    __tablename__ = "dispatch_rotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(64), unique=True)
    anchor: Mapped[datetime] = mapped_column(UTCDateTime())
    shift_hours: Mapped[int] = mapped_column(Integer)
    pattern: Mapped[list[str]] = mapped_column(JsonType)
    min_units: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
