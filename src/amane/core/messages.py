"""Wire messages: everything that crosses the bus between a unit and the centre.

Every message is a versioned pydantic model (``schema_version``). Unknown fields are
refused (``extra="forbid"``) so that a typo in a unit's payload is a clear 422, not silent
data loss. Encode with :func:`encode`, decode with :func:`decode_as`.

>>> a = Alert(kind=AlertKind.PLATE, severity=Severity.HIGH, unit_id="RBT-12", camera_id="front",
...           observed_at=datetime(2026, 1, 1, tzinfo=UTC), payload={"plate": "57626ب8"})
>>> decode_as(Alert, encode(a)) == a
True
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION: Literal[1] = 1

UnitId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                              description="Unit callsign, e.g. RBT-12 (letters, digits, . _ -)")]
Region = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class WireMessage(BaseModel):
    """Base of every bus message: strict, immutable, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1] = SCHEMA_VERSION

    @field_validator("*", mode="after")
    @classmethod
    def _aware_datetimes(cls, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("datetime must carry a timezone (e.g. 2026-01-01T10:00:00Z)")
        return value


class GeoPoint(BaseModel):
    """A WGS-84 position."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lat: float = Field(ge=-90.0, le=90.0, description="Latitude in degrees")
    lon: float = Field(ge=-180.0, le=180.0, description="Longitude in degrees")


class UnitKind(StrEnum):
    CAR = "car"
    MOTORCYCLE = "motorcycle"
    DRONE = "drone"


class UnitStatus(StrEnum):
    """Operational status as the crew reports it (online/offline is derived from heartbeats)."""

    AVAILABLE = "available"
    BUSY = "busy"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OFF_DUTY = "off_duty"
    OUT_OF_SERVICE = "out_of_service"


class AlertKind(StrEnum):
    PLATE = "plate"
    FACE = "face"
    BEHAVIOUR = "behaviour"
    SOS = "sos"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class EvidenceRef(BaseModel):
    """Where the evidence of an alert lives. The pixels travel over HTTP, never on the bus."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-/]+$",
                     description="Name of the evidence object, unique per alert (e.g. snapshot.jpg)")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    content_type: Literal["image/jpeg", "image/png"] | None = None


class Heartbeat(WireMessage):
    """A unit's periodic sign of life, with its position when it has a fix."""

    type: Literal["heartbeat"] = "heartbeat"
    unit_id: UnitId
    sent_at: datetime = Field(default_factory=utcnow, description="Unit clock")
    position: GeoPoint | None = None
    heading_deg: float | None = Field(default=None, ge=0.0, lt=360.0, description="Course over ground")
    speed_mps: float | None = Field(default=None, ge=0.0, le=150.0)
    status: UnitStatus = UnitStatus.AVAILABLE


class Alert(WireMessage):
    """A hit or alarm, born on a unit (or raised by a crew: ``sos``).

    ``id`` is created where the alert is born, so a re-sent alert is recognised and stored once.
    ``bearing_deg`` is relative to the vehicle heading (0 = straight ahead, clockwise).
    """

    type: Literal["alert"] = "alert"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    kind: AlertKind
    severity: Severity
    unit_id: UnitId
    camera_id: str = Field(default="", max_length=64)
    observed_at: datetime = Field(description="Unit clock when the event was observed")
    position: GeoPoint | None = None
    bearing_deg: float | None = Field(default=None, ge=0.0, lt=360.0)
    summary: str = Field(default="", max_length=500, description="One line a human can read")
    payload: dict[str, Any] = Field(default_factory=dict, description="Kind-specific details")
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=8)


class MessageKind(StrEnum):
    TEXT = "text"
    GOTO = "goto"
    ORDER = "order"


class UnitMessage(WireMessage):
    """A message between the centre and units: to one unit, to a region (broadcast), or from a unit."""

    type: Literal["unit_message"] = "unit_message"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    direction: Literal["to_unit", "from_unit"] = "to_unit"
    unit_id: UnitId | None = Field(default=None, description="Addressee (to_unit) or sender (from_unit)")
    region: Region | None = Field(default=None, description="Broadcast to every unit of this region")
    kind: MessageKind = MessageKind.TEXT
    body: str = Field(default="", max_length=4000)
    location: GeoPoint | None = Field(default=None, description="Where to go (kind goto)")
    sender: str = Field(default="", max_length=64)
    sent_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _addressed(self) -> UnitMessage:
        if self.direction == "to_unit" and (self.unit_id is None) == (self.region is None):
            raise ValueError("a message to units names exactly one of unit_id or region")
        if self.direction == "from_unit" and self.unit_id is None:
            raise ValueError("a message from a unit names its unit_id")
        if self.kind is MessageKind.GOTO and self.location is None:
            raise ValueError("a goto message needs a location")
        return self


class AckState(StrEnum):
    DELIVERED = "delivered"
    READ = "read"


class MessageAck(WireMessage):
    """A unit's acknowledgement of a message: delivered to the unit, then read by the crew."""

    type: Literal["message_ack"] = "message_ack"
    message_id: uuid.UUID
    unit_id: UnitId
    state: AckState
    at: datetime = Field(default_factory=utcnow)


AnyMessage = Annotated[Heartbeat | Alert | UnitMessage | MessageAck, Field(discriminator="type")]

M = TypeVar("M", bound=WireMessage)


def encode(message: WireMessage) -> bytes:
    """Serialise a message for the wire (UTF-8 JSON)."""
    return message.model_dump_json().encode()


def decode_as(model: type[M], data: bytes | str) -> M:
    """Parse and validate wire bytes as ``model``; raises ``pydantic.ValidationError`` naming the field."""
    return model.model_validate_json(data)
