"""Request and response bodies of ``/api/v1/faces``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from amane.watchlists.faces import Notice


class AuthorisationCreate(BaseModel):
    """Switch live face identification on for an area and a time window."""

    model_config = ConfigDict(extra="forbid")

    legal_reference: str = Field(min_length=5, max_length=2000, description="Law, order or warrant")
    purpose: str = Field(min_length=10, max_length=2000, description="Why: the operation, who is sought")
    area_name: str = Field(min_length=2, max_length=200, description="Human name of the area")
    lat: float = Field(ge=-90, le=90, description="Centre of the area, degrees")
    lon: float = Field(ge=-180, le=180, description="Centre of the area, degrees")
    radius_m: float = Field(gt=0, le=50_000, description="Radius of the area, metres")
    starts_at: datetime = Field(description="Start (time zone required)")
    ends_at: datetime = Field(description="End (time zone required); at most 7 days after the start")

    @model_validator(mode="after")
    def _window(self) -> AuthorisationCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a time zone")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if (self.ends_at - self.starts_at).total_seconds() > 7 * 86400:
            raise ValueError("an authorisation lasts at most 7 days: renew it")
        return self


class AuthorisationPublic(BaseModel):
    id: int
    authorised_by: str
    legal_reference: str
    purpose: str
    area_name: str
    lat: float
    lon: float
    radius_m: float
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    active: bool


class KillSwitch(BaseModel):
    """Stop all live face identification now."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=5, max_length=2000)


class LiveStatus(BaseModel):
    """What a unit asks before matching faces: is live identification authorised here and now?"""

    authorised: bool
    authorisation_id: int | None = None
    ends_at: datetime | None = None


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    notice: Notice
    reason: str = Field(min_length=3, max_length=2000)
    legal_basis: str = Field(min_length=3, max_length=2000)
    agency: str = Field(min_length=2, max_length=200)
    expires_at: datetime
    external_ref: str | None = Field(default=None, max_length=120)


class PersonPublic(BaseModel):
    id: int
    name: str
    notice: Notice
    reason: str
    legal_basis: str
    agency: str
    expires_at: datetime
    created_at: datetime
    created_by: str
    photos: int


class PhotoEnrolled(BaseModel):
    photo_id: int
    person_id: int
    quality: float


class SearchHit(BaseModel):
    person: PersonPublic
    distance: float
    threshold: float
    possible_match: bool


class SearchResponse(BaseModel):
    """Results of a search by photo: leads for a human, never identifications."""

    statement: str
    results: list[SearchHit]
