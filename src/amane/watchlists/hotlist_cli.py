"""``amane hotlist import|export|lookup``: manage a hotlist file from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from amane.watchlists.hotlist import Hotlist
from amane.watchlists.hotlist_io import read_any, write_any

hotlist_app = typer.Typer(no_args_is_help=True, help="Plate hotlist: import, export, look up.")

DbOption = typer.Option(Path("hotlist.sqlite"), "--db", help="Hotlist SQLite file")


@hotlist_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON file")],
    db: Path = DbOption,
) -> None:
    """Add (or replace by entry_id) the entries of a CSV/JSON file."""
    try:
        entries = read_any(file)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    hl = Hotlist(db)
    n = hl.add(entries)
    typer.echo(f"imported {n} entries into {db} ({len(hl)} in all)")
    hl.close()


@hotlist_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="CSV or JSON file to write")],
    db: Path = DbOption,
) -> None:
    """Write every entry to a CSV/JSON file."""
    hl = Hotlist(db)
    try:
        n = write_any(file, iter(hl))
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    finally:
        hl.close()
    typer.echo(f"exported {n} entries to {file}")


@hotlist_app.command("lookup")
def lookup(
    plate: Annotated[str, typer.Argument(help="Plate as read, e.g. 57626ب8 or 57626-B-8")],
    db: Path = DbOption,
    exact: bool = typer.Option(False, "--exact", help="Exact match only"),
    max_cost: float = typer.Option(
        1.0, "--max-cost", min=0.0, max=3.0, help="Largest weighted edit distance for a fuzzy hit"
    ),
) -> None:
    """Print the entries a read matches, as JSON lines (exit code 1 when none)."""
    hl = Hotlist(db)
    matches = hl.lookup(plate, fuzzy=not exact, max_cost=max_cost)
    hl.close()
    for m in matches:
        typer.echo(
            json.dumps(
                {
                    "plate": m.entry.plate,
                    "score": m.score,
                    "exact": m.exact,
                    "reason": m.entry.reason.value,
                    "priority": m.entry.priority,
                    "action": m.entry.action,
                    "agency": m.entry.agency,
                    "entry_id": m.entry.entry_id,
                },
                ensure_ascii=False,
            )
        )
    if not matches:
        typer.echo("no match", err=True)
        raise typer.Exit(1)
