"""``amane dispatch ...``: import past calls, inspect a road graph, print KPIs.

Commands act on the database named by the centre settings (``--config FILE`` and/or
``AMANE_DATABASE_URL``); imports are audited as ``cli:<operating-system user>``.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from amane.center.audit import service as audit_service
from amane.center.dispatch import reports
from amane.center.dispatch.importer import import_seattle_calls
from amane.config import load_center_settings
from amane.core.errors import ConfigError
from amane.routing import load_osm
from amane.store import Database, upgrade

dispatch_app = typer.Typer(no_args_is_help=True, help="Emergency calls, dispatch and response-time KPIs.")
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Centre settings YAML file")]


def _database(config: Path | None) -> Database:
    try:
        settings = load_center_settings(config)
    except ConfigError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    db = Database(settings.sqlalchemy_url)
    upgrade(db.write_engine)
    return db


@dispatch_app.command("import-calls")
def import_calls(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Seattle SPD calls-for-service CSV")
    ],
    config: ConfigOption = None,
) -> None:
    """Import past calls (queue and arrival times) as closed incidents with their timeline."""
    db = _database(config)
    actor = f"cli:{getpass.getuser()}"
    with db.writing() as session:
        created, skipped = import_seattle_calls(session=session, path=path)
        audit_service.append(
            session=session,
            actor=actor,
            action="dispatch.import",
            target=str(path.name),
            details={"created": created, "skipped": skipped},
        )
    typer.echo(f"imported {created} incidents ({skipped} already there)")
    db.dispose()


@dispatch_app.command("graph")
def graph(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="OpenStreetMap file (XML or PBF)")
    ],
) -> None:
    """Load a road graph and print its size (what ``AMANE_DISPATCH_OSM_PATH`` would give the centre)."""
    try:
        loaded = load_osm(path)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(
        f"{loaded.source}: {loaded.node_count} nodes, {loaded.edge_count} directed edges, "
        f"{len(loaded.names)} street names"
    )


@dispatch_app.command("kpis")
def kpis(
    group_by: Annotated[str, typer.Option(help="overall, priority, region or unit_kind")] = "priority",
    region: Annotated[str | None, typer.Option(help="One region (default: all, the central view)")] = None,
    config: ConfigOption = None,
) -> None:
    """Print call-to-dispatch, dispatch-to-arrival and total response per group as CSV."""
    if group_by not in ("overall", "priority", "region", "unit_kind"):
        typer.echo(f"error: unknown --group-by {group_by!r}", err=True)
        raise typer.Exit(2)
    db = _database(config)
    with db.session() as session:
        report = reports.report(session=session, group_by=group_by, region=region)  # type: ignore[arg-type]
    typer.echo(reports.to_csv(report), nl=False)
    db.dispose()
