"""Request dependencies as ``Annotated`` aliases, and the route policy: closed unless declared public.

A route is *guarded* when one of its dependencies is an authentication dependency (marked with
``AUTH_MARK``: ``CurrentUser``, ``require_role(...)``, ``CurrentUnit``), and *public* when its
endpoint is decorated with :func:`public`. :func:`unguarded_routes` lists the rest; the app factory
refuses to build an app that has any.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute, APIWebSocketRoute
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Mount, Route

from amane.center import security
from amane.center.auth import service as auth_service
from amane.center.auth.roles import Role
from amane.center.errors import Unauthenticated
from amane.center.runtime import Center
from amane.center.units import service as unit_service

logger = logging.getLogger(__name__)

SESSION_COOKIE = "amane_session"
PUBLIC_MARK = "__amane_public__"
AUTH_MARK = "__amane_auth__"

F = TypeVar("F", bound=Callable[..., Any])


def public(endpoint: F) -> F:
    """Declare a route open to everyone (reviewed: health and login only)."""
    setattr(endpoint, PUBLIC_MARK, True)
    return endpoint


def authenticates(dependency: F, roles: frozenset[Role]) -> F:
    """Mark a dependency (or a self-authenticating endpoint) as admitting only ``roles`` (empty: units)."""
    return _auth(dependency, roles)


def _auth(dependency: F, roles: frozenset[Role]) -> F:
    setattr(dependency, AUTH_MARK, roles)
    return dependency


async def get_center(conn: HTTPConnection) -> Center:
    """The worker's :class:`Center` (async: FastAPI would run a sync dependency in a worker thread)."""
    center: Center = conn.app.state.center
    return center


CenterDep = Annotated[Center, Depends(get_center)]


def get_session(center: CenterDep) -> Iterator[Session]:
    """A write session (``BEGIN IMMEDIATE`` on SQLite) for the request; services commit."""
    with center.db.write_session() as session:
        yield session


def get_read_session(center: CenterDep) -> Iterator[Session]:
    """A read-only session for the request (never blocks the writer on SQLite)."""
    with center.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def session_token(conn: HTTPConnection) -> str | None:
    """A staff session token from the cookie, ``Authorization: Bearer`` or (WebSocket) ``?token=``."""
    for token in (conn.cookies.get(SESSION_COOKIE), bearer(conn), conn.query_params.get("token")):
        if token and token.startswith(security.SESSION_TOKEN_PREFIX):
            return token
    return None


def authenticate_staff(center: Center, token: str | None) -> auth_service.AuthUser:
    """Resolve a session token (blocking: call from a worker thread); refreshes the idle timer."""
    if token is None:
        raise Unauthenticated("not signed in")
    settings = center.settings
    with center.db.session() as session:
        check = auth_service.resolve(
            session=session,
            token=token,
            idle=timedelta(minutes=settings.session_idle_minutes),
            max_age=timedelta(hours=settings.session_max_hours),
        )
    if check.needs_touch:
        with center.db.writing() as session:
            auth_service.touch(session=session, session_id=check.user.session_id)
    return check.user


def current_user(request: Request, center: CenterDep) -> auth_service.AuthUser:
    return authenticate_staff(center, session_token(request))


CurrentUser = Annotated[auth_service.AuthUser, Depends(_auth(current_user, frozenset(Role)))]


def require_role(*roles: Role) -> Any:
    """A dependency admitting only staff with one of ``roles`` (403 for the others)."""
    allowed = frozenset(roles)

    def dependency(user: CurrentUser) -> auth_service.AuthUser:
        if user.role not in allowed:
            raise HTTPException(
                403, f"role {user.role} may not do this (needs one of {', '.join(sorted(allowed))})"
            )
        return user

    return Depends(_auth(dependency, allowed))


def _identify_unit(center: Center, token: str, source: str) -> unit_service.UnitIdentity | None:
    with center.db.session() as session:
        unit = unit_service.identify(session=session, token=token)
    if unit is None:
        with center.db.writing() as session:
            unit_service.record_auth_failure(
                session=session, reason="unknown or revoked token", source=source, token_hint=token[:8] + "…"
            )
    return unit


async def authenticate_unit(center: Center, conn: HTTPConnection) -> unit_service.UnitIdentity:
    """The unit behind ``Authorization: Bearer amu_...``; 401 (and an audit row) otherwise."""
    token = bearer(conn)
    source = conn.client.host if conn.client else "?"
    if token is None or not token.startswith(security.UNIT_TOKEN_PREFIX):
        await run_in_threadpool(_audit_missing, center, source, token)
        raise HTTPException(401, "a unit bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    digest = security.token_hash(token)
    unit = center.unit_tokens.get(digest)
    if unit is None:
        unit = await run_in_threadpool(_identify_unit, center, token, source)
        if unit is None:
            raise HTTPException(401, "unknown or revoked unit token", headers={"WWW-Authenticate": "Bearer"})
        center.unit_tokens.put(digest, unit)
    return unit


async def current_unit(request: Request, center: CenterDep) -> unit_service.UnitIdentity:
    return await authenticate_unit(center, request)


def _audit_missing(center: Center, source: str, token: str | None) -> None:
    with center.db.writing() as session:
        unit_service.record_auth_failure(
            session=session, reason="no unit token", source=source, token_hint=(token or "")[:8]
        )


CurrentUnit = Annotated[unit_service.UnitIdentity, Depends(_auth(current_unit, frozenset()))]


def _calls(dependant: Any) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def iter_routes(
    routes: Sequence[BaseRoute], prefix: str = "", extra: tuple[Any, ...] = ()
) -> Iterator[tuple[str, tuple[Any, ...], BaseRoute]]:
    """Every (path prefix, include-level dependency callables, route), descending into included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            deps = tuple(getattr(d, "dependency", d) for d in getattr(context, "dependencies", []) or [])
            yield from iter_routes(
                inner.routes, prefix + (getattr(context, "prefix", "") or ""), extra + deps
            )
        else:
            yield prefix, extra, route


def unguarded_routes(
    routes: Sequence[BaseRoute], *, public_mounts: frozenset[str] = frozenset()
) -> list[str]:
    """Paths of routes that neither authenticate nor are declared public (should be empty)."""
    open_routes = []
    for prefix, extra, route in iter_routes(routes):
        path = prefix + getattr(route, "path", repr(route))
        if isinstance(route, APIRoute | APIWebSocketRoute):
            if getattr(route.endpoint, PUBLIC_MARK, False):
                continue
            calls = [*extra, *_calls(route.dependant)]
            if not any(hasattr(call, AUTH_MARK) for call in calls):
                open_routes.append(path)
        elif isinstance(route, Route) and hasattr(route.endpoint, AUTH_MARK):
            continue  # a plain Starlette endpoint that authenticates itself (the hot ingest path)
        elif isinstance(route, Mount):
            if path not in public_mounts:
                open_routes.append(path or "/")
        else:
            open_routes.append(path)
    return open_routes
