"""Login and the signed-in user over the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from amane.center.auth.roles import Role


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(
        default=None, max_length=16, description="6-digit code (admin, supervisor: required)"
    )


class Me(BaseModel):
    username: str
    role: Role
    mfa: bool


class LoginResponse(BaseModel):
    """The session is also set as an HttpOnly cookie; ``token`` is for scripts (Authorization: Bearer)."""

    user: Me
    token: str
    idle_minutes: int
