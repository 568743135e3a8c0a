"""Messages between the centre and units, and each addressee's delivery state."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amane.store.models import Base
from amane.store.types import UTCDateTime, UUIDString


class Message(Base):
    """A message to one unit, to a region (broadcast), or from a unit's crew. ``seq`` orders polling."""

    __tablename__ = "unit_messages"
    __table_args__ = (Index("ix_unit_messages_sent", "sent_at"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(UUIDString(), unique=True)
    direction: Mapped[str] = mapped_column(String(16))
    unit_callsign: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    sender: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    deliveries: Mapped[list[MessageDelivery]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="MessageDelivery.unit_callsign"
    )


class MessageDelivery(Base):
    """One addressee of a message and how far it got: sent, delivered (the unit has it), read (the crew)."""

    __tablename__ = "unit_message_deliveries"

    message_seq: Mapped[int] = mapped_column(
        ForeignKey("unit_messages.seq", ondelete="CASCADE"), primary_key=True
    )
    unit_callsign: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default="sent")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    message: Mapped[Message] = relationship(back_populates="deliveries")
