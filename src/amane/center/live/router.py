"""``/api/v1/live``: the dashboards' WebSocket (see :mod:`amane.center.live.hub` for what each role gets).

Authenticated at connect time by the session cookie (or ``?token=``); the session is re-checked
every ``RECHECK_S`` seconds and the socket closed (4401) once it was revoked or the user disabled.
A live socket does not count as activity: a dashboard left alone still idles out.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect, WebSocketException
from fastapi.concurrency import run_in_threadpool

from amane.center.auth.service import AuthUser
from amane.center.deps import AUTH_MARK, CenterDep, authenticate_staff, session_token
from amane.center.errors import Unauthenticated
from amane.center.live.hub import LIVE_ROLES, LiveClient
from amane.center.runtime import Center

router = APIRouter(tags=["live"])

RECHECK_S = 30.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4408


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send Origin on a WebSocket handshake; another site's page must not ride our cookie."""
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser (scripts, the benchmark): they authenticate with a token
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


async def live_user(websocket: WebSocket, center: CenterDep) -> AuthUser:
    if not _same_origin(websocket):
        raise WebSocketException(CLOSE_FORBIDDEN, "cross-origin live feed refused")
    try:
        user = await run_in_threadpool(authenticate_staff, center, session_token(websocket))
    except Unauthenticated as err:
        raise WebSocketException(CLOSE_UNAUTHENTICATED, str(err)) from err
    if user.role not in LIVE_ROLES:
        raise WebSocketException(CLOSE_FORBIDDEN, f"role {user.role} has no live feed")
    return user


setattr(live_user, AUTH_MARK, LIVE_ROLES)
LiveUser = Annotated[AuthUser, Depends(live_user)]


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()  # dashboards send nothing we act on; this notices the close


async def _watch_session(center: Center, token: str | None) -> str:
    while True:
        await asyncio.sleep(RECHECK_S)
        try:
            await run_in_threadpool(authenticate_staff, center, token)
        except Unauthenticated as err:
            return str(err)


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket, user: LiveUser, center: CenterDep, batch: bool = False) -> None:
    """Events as ``{"type", "data"}`` messages; with ``?batch=1`` also ``{"type": "batch", "events"}``."""
    await websocket.accept()
    client: LiveClient = center.live.add(websocket, username=user.username, role=user.role, batch=batch)
    assert client.sender is not None
    reader = asyncio.create_task(_until_disconnect(websocket))
    watcher = asyncio.create_task(_watch_session(center, session_token(websocket)))
    try:
        await asyncio.wait({client.sender, reader, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reader, watcher):
            task.cancel()
        center.live.remove(client)
    if watcher.done() and not watcher.cancelled():
        await _close(websocket, CLOSE_UNAUTHENTICATED, watcher.result())
    elif client.reason:
        await _close(websocket, CLOSE_TOO_SLOW, client.reason)
    elif not reader.done():
        await _close(websocket, 1011, "live feed stopped")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code=code, reason=reason[:120])
