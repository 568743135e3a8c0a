"""The FastAPI app factory: one router per domain, closed unless declared public.

``create_app(settings)`` migrates the database, builds the :class:`~amane.center.runtime.Center`
(available as ``app.state.center``) and starts its async parts in the lifespan. A new domain is one
package with a ``router.py`` and one ``include_router`` line in :data:`ROUTERS`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from amane import __version__
from amane.center.alerts.router import RAW_ROUTES as ALERT_RAW_ROUTES
from amane.center.alerts.router import IngestFastPath
from amane.center.alerts.router import router as alerts_router
from amane.center.audit.router import router as audit_router
from amane.center.auth.router import router as auth_router
from amane.center.dashboard.router import router as dashboard_router
from amane.center.deps import CenterDep, public, unguarded_routes
from amane.center.dispatch.router import router as dispatch_router
from amane.center.errors import CenterError
from amane.center.faces.router import router as faces_router
from amane.center.live.router import router as live_router
from amane.center.messages.router import router as messages_router
from amane.center.runtime import Center
from amane.center.units.router import router as units_router
from amane.config import CenterSettings

logger = logging.getLogger(__name__)

WEB_STATIC = Path(__file__).parent / "web" / "static"
PUBLIC_MOUNTS = frozenset({""})  # the dashboard page itself (it signs in through the API)

health_router = APIRouter(tags=["health"])


@health_router.get("/api/v1/health")
@public
def health(center: CenterDep) -> dict[str, str]:
    """Liveness and database reachability (public: load balancers call it)."""
    with center.db.session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


ROUTERS = [
    health_router,
    auth_router,
    alerts_router,
    units_router,
    audit_router,
    dashboard_router,
    live_router,
    messages_router,
    dispatch_router,
    faces_router,
]


async def _center_error(request: Request, err: Exception) -> JSONResponse:
    status = err.status if isinstance(err, CenterError) else 500
    return JSONResponse({"detail": str(err)}, status_code=status)


class OpenRouteError(RuntimeError):
    """A route neither authenticates nor is declared public."""


def create_app(
    settings: CenterSettings | None = None, *, center: Center | None = None, serve_dashboard: bool = True
) -> FastAPI:
    """The centre's ASGI app. Runs migrations now; starts writer, bus consumers and live hub on startup."""
    settings = settings or CenterSettings()
    center = center or Center(settings)
    center.migrate()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await center.start()
        try:
            yield
        finally:
            await center.stop()

    app = FastAPI(
        title="amane command centre",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry={"tracing": settings.telemetry, "metrics": settings.telemetry, "logs": settings.telemetry},
    )
    app.state.center = center
    app.add_exception_handler(CenterError, _center_error)
    for router in ROUTERS:
        app.include_router(router)
    app.router.routes[0:0] = ALERT_RAW_ROUTES  # first: matched before FastAPI walks its included routers
    app.add_middleware(IngestFastPath)
    if serve_dashboard and (WEB_STATIC / "index.html").is_file():
        app.mount("/", StaticFiles(directory=WEB_STATIC, html=True), name="dashboard")
    open_routes = unguarded_routes(app.routes, public_mounts=PUBLIC_MOUNTS)
    if open_routes:
        raise OpenRouteError(f"routes without authentication and not declared public: {open_routes}")
    return app
