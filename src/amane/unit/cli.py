"""``amane unit --config unit.yaml``: run one patrol unit until Ctrl-C (or until its files end)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from amane.config.unit import load_unit_config
from amane.core.errors import ConfigError
from amane.unit.runtime import UnitRuntime

logger = logging.getLogger(__name__)


def unit_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="The unit.yaml")],
    exit_at_end: Annotated[
        bool, typer.Option(help="Stop when every source has ended (files) and the backlog was sent")
    ] = False,
) -> None:
    """Run a patrol unit: cameras -> perception -> outbox -> centre; crew page and /metrics locally."""
    try:
        cfg = load_unit_config(config)
        runtime = UnitRuntime(cfg, exit_when_sources_end=exit_at_end)
    except ConfigError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await runtime.run(stop)

    try:
        asyncio.run(main())
    except ConfigError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from err
    finally:
        runtime.close()
