"""The ``amane`` command line. Each domain contributes its own Typer sub-app."""

from __future__ import annotations

import logging

import typer

from amane import __version__
from amane.bus.cli import nats_app
from amane.center import cli as center_cli
from amane.center.dispatch.cli import dispatch_app
from amane.config.cli import config_app
from amane.demo import cli as demo_cli
from amane.eval.cli import eval_app
from amane.unit.cli import unit_command
from amane.watchlists.faces_cli import watchlist_app
from amane.watchlists.hotlist_cli import hotlist_app

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="amane: smart patrol vehicle and police command centre.")


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging")) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


app.add_typer(eval_app, name="eval")
app.add_typer(hotlist_app, name="hotlist")
app.add_typer(watchlist_app, name="watchlist")
center_cli.register(app)  # center, user, units, audit
app.add_typer(config_app, name="config")
app.add_typer(nats_app, name="nats")
app.add_typer(dispatch_app, name="dispatch")
app.command("unit")(unit_command)
demo_cli.register(app)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
