"""Alerts over the API: the public view, the review request, ingest answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from amane.center.alerts.workflow import AlertStatus, ReviewAction
from amane.core.messages import GeoPoint


class EvidencePublic(BaseModel):
    key: str
    content_type: str
    url: str


class TransitionPublic(BaseModel):
    from_status: str
    to_status: str
    actor: str
    at: datetime
    reason: str | None


class AlertPublic(BaseModel):
    """An alert as staff see it, with its evidence links and review history."""

    id: uuid.UUID
    kind: str
    severity: str
    unit_id: str
    camera_id: str
    observed_at: datetime = Field(description="Unit clock")
    received_at: datetime = Field(description="Centre clock")
    position: GeoPoint | None
    bearing_deg: float | None
    summary: str
    payload: dict[str, Any]
    evidence: list[EvidencePublic]
    status: AlertStatus
    transitions: list[TransitionPublic]


class ReviewRequest(BaseModel):
    """A review step on an alert."""

    model_config = ConfigDict(extra="forbid")
    action: ReviewAction
    reason: str | None = Field(default=None, max_length=1000, description="Required to dismiss")


class IngestResult(BaseModel):
    """Answer to an alert post: 201 ``stored`` the first time, 200 ``duplicate`` after."""

    id: uuid.UUID
    status: Literal["stored", "duplicate"]


class EvidenceStored(BaseModel):
    key: str
    sha256: str
    size: int
    content_type: str
    status: Literal["stored", "duplicate"]
