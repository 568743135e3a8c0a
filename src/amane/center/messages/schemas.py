"""Messages over the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from amane.core.messages import GeoPoint, MessageKind, UnitMessage

DeliveryState = Literal["sent", "delivered", "read"]


class MessageCreate(BaseModel):
    """What a dispatcher sends to a unit or a region."""

    model_config = ConfigDict(extra="forbid")
    kind: MessageKind = MessageKind.TEXT
    body: str = Field(default="", max_length=4000)
    location: GeoPoint | None = Field(default=None, description="Where to go (kind goto)")

    @model_validator(mode="after")
    def _goto_has_location(self) -> MessageCreate:
        if self.kind is MessageKind.GOTO and self.location is None:
            raise ValueError("a goto message needs a location")
        if not self.body and self.kind is not MessageKind.GOTO:
            raise ValueError("a text or order message needs a body")
        return self


class DeliveryPublic(BaseModel):
    unit: str
    state: DeliveryState
    delivered_at: datetime | None
    read_at: datetime | None


class MessagePublic(BaseModel):
    """A message as the dashboard shows it, with each addressee's delivery state."""

    id: uuid.UUID
    direction: str
    unit: str | None
    region: str | None
    kind: str
    body: str
    location: GeoPoint | None
    sender: str
    sent_at: datetime
    deliveries: list[DeliveryPublic]


class InboxPage(BaseModel):
    """What a polling unit gets: messages after its cursor, and the next cursor."""

    messages: list[UnitMessage]
    cursor: str | None


class AckAccepted(BaseModel):
    message_id: uuid.UUID
    state: DeliveryState
