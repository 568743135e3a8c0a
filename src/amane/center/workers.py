"""``amane center --workers N``: N worker processes sharing one listening socket (uvicorn's supervisor).

Each worker is a whole centre (HTTP API, bus consumers, live hub). That only works on a shared
database and a shared bus: PostgreSQL (or SQLite on one machine) and NATS, whose durable consumers
split the alert stream between the workers and whose live-event fan-out reaches every worker's
dashboards. With the in-process bus (``memory://``) a second worker would see nothing of the first,
so it is refused. The schema is migrated once, by the supervisor, before the workers start.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI

from amane.config import CenterSettings, load_center_settings
from amane.store import Database, upgrade

logger = logging.getLogger(__name__)

CONFIG_ENV = "AMANE_CENTER_CONFIG"
"""Where the supervisor tells its workers which settings file to read (the environment carries the rest)."""


class WorkersRefusedError(ValueError):
    """The settings cannot run more than one worker."""


def check_workers(settings: CenterSettings, workers: int) -> None:
    """Refuse N > 1 workers on the in-process bus; state the allowed range."""
    if not 1 <= workers <= 64:
        raise WorkersRefusedError(f"workers must be 1..64, got {workers}")
    if workers > 1 and settings.bus_url.startswith("memory://"):
        raise WorkersRefusedError(
            "several workers need a shared bus: set bus_url=nats://... (the in-process bus is one process)"
        )
    if workers > 1 and settings.database_url.startswith("sqlite"):
        logger.warning("%d workers on SQLite: the file lock serialises writes; use PostgreSQL", workers)


def app_from_environment() -> FastAPI:
    """The app factory each worker process calls (settings file from ``AMANE_CENTER_CONFIG``)."""
    from amane.center.app import create_app

    path = os.environ.get(CONFIG_ENV)
    return create_app(load_center_settings(Path(path) if path else None))


def run_workers(settings: CenterSettings, config: Path | None, *, host: str, port: int, workers: int) -> None:
    """Migrate once, then run ``workers`` processes on ``host:port`` until interrupted."""
    import uvicorn

    check_workers(settings, workers)
    db = Database(settings.sqlalchemy_url)
    try:
        upgrade(db.write_engine)
    finally:
        db.dispose()
    if config is not None:
        os.environ[CONFIG_ENV] = str(config.resolve())
    uvicorn.run("amane.center.workers:app_from_environment", factory=True, workers=workers, host=host,
                port=port, loop="uvloop", http="httptools", ws="websockets-sansio",
                ws_per_message_deflate=False, log_level="info", access_log=False)
