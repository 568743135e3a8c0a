"""Serving the centre app with uvicorn: one place for the server options, usable in-process.

``amane center`` runs :func:`run`; ``amane demo`` (or a test) can ``await serve(app, ...)`` inside
its own event loop, next to its simulated units, and stop it with ``server.should_exit = True``.
"""

from __future__ import annotations

from typing import Any

import uvicorn


def uvicorn_config(
    app: Any, *, host: str, port: int, loop: str = "uvloop", log_level: str = "info"
) -> uvicorn.Config:
    """uvicorn settings for the centre: httptools, uncompressed WebSockets, no access log.

    permessage-deflate costs more CPU per live event than everything else the event needs, and
    dashboards sit on the local network, so frames go uncompressed.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop=loop,
        http="httptools",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        log_level=log_level,
        access_log=False,
    )


def server(app: Any, *, host: str, port: int, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for ``app`` to ``await server.serve()`` in the caller's event loop."""
    return uvicorn.Server(uvicorn_config(app, host=host, port=port, loop="none", log_level=log_level))


def run(app: Any, *, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (blocking; uvloop)."""
    uvicorn.Server(uvicorn_config(app, host=host, port=port)).run()
