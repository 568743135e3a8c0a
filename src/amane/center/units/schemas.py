"""Units over the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from amane.core.messages import GeoPoint, Region, UnitId, UnitKind


class UnitCreate(BaseModel):
    """Register a unit (admin, supervisor)."""

    model_config = ConfigDict(extra="forbid")
    callsign: UnitId
    kind: UnitKind
    region: Region


class UnitPublic(BaseModel):
    """A unit as dashboards see it; ``online`` is derived from the last heartbeat."""

    callsign: str
    kind: str
    region: str
    status: str
    online: bool
    last_position: GeoPoint | None
    heading_deg: float | None
    last_seen_at: datetime | None


class UnitRegistered(BaseModel):
    """A new unit and its bearer token; the token is shown this once and never again."""

    unit: UnitPublic
    token: str = Field(description="Bearer token for the unit's API calls (store it on the unit)")


class UnitRevoked(BaseModel):
    callsign: str
    revoked_tokens: int


class HeartbeatAccepted(BaseModel):
    callsign: str
    online: bool
