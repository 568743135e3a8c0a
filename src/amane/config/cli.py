"""``amane config``: check configuration files before deploying them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from amane.config.unit import load_unit_config
from amane.core.errors import ConfigError

config_app = typer.Typer(no_args_is_help=True, help="Check configuration files.")


@config_app.command("check")
def check(path: Annotated[Path, typer.Argument(help="A unit.yaml")]) -> None:
    """Validate a unit config; on error print each bad line and key, exit 1."""
    try:
        cfg = load_unit_config(path)
    except ConfigError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from err
    cameras = ", ".join(cfg.camera_ids())
    plugins = ", ".join(r.name for r in cfg.recognizers if r.enabled) or "none"
    typer.echo(f"{path}: OK: unit {cfg.unit_id}, cameras {cameras}; recognisers {plugins}")
