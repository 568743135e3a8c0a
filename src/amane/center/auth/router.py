"""``/api/v1/auth``: log in (public), log out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from amane.center.auth import service
from amane.center.auth.schemas import LoginRequest, LoginResponse, Me
from amane.center.deps import SESSION_COOKIE, CenterDep, CurrentUser, SessionDep, public

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login")
@public
def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep, center: CenterDep
) -> LoginResponse:
    result = service.login(
        session=session,
        username=body.username,
        password=body.password,
        totp=body.totp,
        max_failures=center.settings.login_max_failures,
        source=request.client.host if request.client else "",
    )
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=center.settings.cookie_secure,
        max_age=center.settings.session_max_hours * 3600,
    )
    user = result.user
    return LoginResponse(
        user=Me(username=user.username, role=user.role, mfa=user.mfa),
        token=result.token,
        idle_minutes=center.settings.session_idle_minutes,
    )


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, session: SessionDep, response: Response) -> None:
    service.logout(session=session, user=user)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


@router.get("/me")
def me(user: CurrentUser) -> Me:
    return Me(username=user.username, role=user.role, mfa=user.mfa)
