"""Dispatch over the API: calls, incidents with their timeline, recommendations, rosters, KPIs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from amane.core.messages import GeoPoint, Region, UnitId


class NaturePublic(BaseModel):
    code: str
    priority: int
    en: str
    fr: str
    ar: str


class CallCreate(BaseModel):
    """An emergency call as the call-taker enters it. Give ``location``, or an ``address`` on the map."""

    model_config = ConfigDict(extra="forbid")
    caller_name: str = Field(default="", max_length=200, description="Who called")
    caller_phone: str = Field(default="", max_length=40, description="Call-back number")
    nature_code: str = Field(min_length=1, max_length=48, description="A code of GET /dispatch/natures")
    priority: int | None = Field(default=None, ge=1, le=4, description="Overrides the call type's default")
    location: GeoPoint | None = Field(default=None, description="Where help is needed")
    address: str = Field(
        default="", max_length=300, description="Street address (looked up when no location)"
    )
    notes: str = Field(default="", max_length=4000)
    received_at: datetime | None = Field(default=None, description="When the call reached the centre")
    answered_at: datetime | None = Field(default=None, description="When the call-taker answered")
    link_to: uuid.UUID | None = Field(default=None, description="Attach this call to an existing incident")

    @model_validator(mode="after")
    def _where(self) -> CallCreate:
        if self.location is None and not self.address.strip() and self.link_to is None:
            raise ValueError("a call needs a location or an address")
        for name in ("received_at", "answered_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must carry a timezone")
        return self


class EventPublic(BaseModel):
    seq: int
    kind: str
    at: datetime
    received_at: datetime
    reported_at: datetime | None
    unit: str | None
    actor: str
    details: dict[str, Any]
    corrects: int | None


class AssignmentPublic(BaseModel):
    unit: str
    kind: str
    state: str
    active: bool
    eta_s: float | None
    dispatched_at: datetime
    override_reason: str | None
    message_id: uuid.UUID | None


class IncidentPublic(BaseModel):
    id: uuid.UUID
    number: str
    nature_code: str
    nature: str
    priority: int
    status: str
    location: GeoPoint | None
    address: str
    region: str
    notes: str
    source: str
    duplicate_of: uuid.UUID | None
    created_at: datetime
    call_received_at: datetime | None
    first_dispatched_at: datetime | None
    first_on_scene_at: datetime | None
    closed_at: datetime | None
    assignments: list[AssignmentPublic]


class IncidentDetail(IncidentPublic):
    timeline: list[EventPublic]
    calls: int


class DuplicateCandidate(BaseModel):
    id: uuid.UUID
    number: str
    nature_code: str
    distance_m: float
    minutes_apart: float


class CallOutcome(BaseModel):
    call_id: uuid.UUID
    incident: IncidentPublic
    linked: bool = Field(description="The call joined an existing incident")
    duplicates: list[DuplicateCandidate] = Field(description="Open incidents this call may duplicate")


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: uuid.UUID = Field(description="The incident this duplicate is merged into")


class RecommendedUnit(BaseModel):
    callsign: str
    kind: str
    region: str
    eta_s: float | None
    score_s: float | None
    role: str
    rank: int
    rostered: bool
    reasons: list[str]
    position: GeoPoint
    route: list[tuple[float, float]] | None = Field(
        default=None, description="Road route (lat, lon) to the incident, for the first units on a road graph"
    )


class ExcludedUnit(BaseModel):
    callsign: str
    reason: str


class Recommendation(BaseModel):
    incident_id: uuid.UUID
    method: str = Field(description="road graph source, or straight_line")
    dense: bool
    computed_ms: float
    units: list[RecommendedUnit]
    excluded: list[ExcludedUnit]


class DispatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    callsign: UnitId
    override_reason: str | None = Field(
        default=None, max_length=500, description="Required when the unit is not the top recommendation"
    )


EventKind = Literal["note", "unit_cleared", "incident_closed", "correction"]


class EventCreate(BaseModel):
    """A dispatcher's step: a note, clearing a unit, closing, or a correction of an earlier event."""

    model_config = ConfigDict(extra="forbid")
    kind: EventKind
    text: str = Field(default="", max_length=2000, description="Note, disposition or reason")
    unit: UnitId | None = Field(default=None, description="The unit (unit_cleared)")
    corrects: int | None = Field(default=None, description="seq of the corrected event (correction)")
    at: datetime | None = Field(default=None, description="Corrected time (correction) or when it happened")
    void: bool = Field(default=False, description="The corrected event did not happen (correction)")

    @model_validator(mode="after")
    def _consistent(self) -> EventCreate:
        if self.kind == "correction":
            if self.corrects is None or not self.text.strip():
                raise ValueError("a correction names the event it corrects and gives a reason")
            if self.at is None and not self.void:
                raise ValueError("a correction gives the right time or voids the event")
        if self.kind == "unit_cleared" and self.unit is None:
            raise ValueError("unit_cleared names the unit")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at must carry a timezone")
        return self


UnitReport = Literal["acknowledged", "en_route", "on_scene", "cleared"]


class UnitStatusReport(BaseModel):
    """A unit's own report of a step, with its clock (kept beside the centre's receive time)."""

    model_config = ConfigDict(extra="forbid")
    status: UnitReport
    at: datetime = Field(description="Unit clock")
    incident_id: uuid.UUID | None = Field(default=None, description="Default: the unit's active assignment")


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: Region
    name: str = Field(min_length=1, max_length=64)
    officers: list[str] = Field(default_factory=list, max_length=500)
    units: list[UnitId] = Field(default_factory=list, max_length=500)


class TeamPublic(TeamCreate):
    id: int


class RotationCreate(BaseModel):
    """A region's rotation. ``pattern`` lists the team per shift slot; "" leaves a slot uncovered."""

    model_config = ConfigDict(extra="forbid")
    region: Region
    anchor: datetime = Field(description="Start of slot 0")
    shift_hours: int = Field(default=12, ge=1, le=24, description="Length of one shift")
    pattern: list[str] | None = Field(
        default=None, max_length=400, description="Team per slot; default: 4 teams (A-D) on 12-hour shifts"
    )
    min_units: int = Field(default=1, ge=0, le=500, description="Usable units a shift needs")

    @model_validator(mode="after")
    def _aware(self) -> RotationCreate:
        if self.anchor.tzinfo is None:
            raise ValueError("anchor must carry a timezone")
        if self.pattern is not None and not self.pattern:
            raise ValueError("pattern must not be empty")
        return self


class RotationPublic(BaseModel):
    region: str
    anchor: datetime
    shift_hours: int
    pattern: list[str]
    min_units: int


class DutyPublic(BaseModel):
    region: str
    team: str
    shift_start: datetime
    shift_end: datetime
    officers: list[str]
    units: list[str]


class GapPublic(BaseModel):
    region: str
    start: datetime
    end: datetime
    team: str
    units: int
    needed: int
    reason: str


class StatPublic(BaseModel):
    count: int
    median_s: float | None
    p90_s: float | None


class KpiRowPublic(BaseModel):
    group: str
    incidents: int
    call_to_dispatch: StatPublic
    dispatch_to_arrival: StatPublic
    total: StatPublic
    within_target: float | None
    with_target: int


class KpiReport(BaseModel):
    group_by: str
    region: str | None
    since: datetime | None
    until: datetime | None
    targets_s: dict[int, float]
    rows: list[KpiRowPublic]
