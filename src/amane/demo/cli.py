"""``amane demo``."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer


def demo(
    port: Annotated[int, typer.Option(help="Dashboard port")] = 8000,
    host: Annotated[str, typer.Option(help="Listen address")] = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its database and evidence")] = Path(
        "var/demo"
    ),
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C)")
    ] = None,
) -> None:
    """Run a command centre and a simulated fleet on the embedded default (no services needed)."""
    from amane.demo.runner import run_demo

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(data_dir=data_dir, host=host, port=port, duration_s=duration))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
