"""``amane watchlist ...``: enrol, list, remove and search the face watchlist from the shell.

The database is ``--db`` (or ``AMANE_WATCHLIST_DB``), the key ``AMANE_WATCHLIST_KEY`` (base64 of 32
random bytes; ``amane watchlist gen-key`` prints a new one). The key is never written anywhere.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from amane.vision.faces.pipeline import PhotoRefused
from amane.watchlists.crypto import TemplateCipher, WatchlistKeyError
from amane.watchlists.faces import Notice, PersonNotFound
from amane.watchlists.faces_service import FaceWatchlistService

logger = logging.getLogger(__name__)

watchlist_app = typer.Typer(no_args_is_help=True, help="Face watchlist: enrol, list, search.")

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: $AMANE_WATCHLIST_DB, else var/ SQLite)")
]


def _service(db: str | None) -> FaceWatchlistService:
    try:
        return FaceWatchlistService.open(db)
    except WatchlistKeyError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


def _expiry(text: str) -> datetime:
    """``2027-06-30``, an ISO datetime, or ``90d`` (days from now)."""
    if text.endswith("d") and text[:-1].isdigit():
        return datetime.now(UTC) + timedelta(days=int(text[:-1]))
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _enrol(svc: FaceWatchlistService, person_id: int, photos: list[Path]) -> int:
    refused = 0
    for path in photos:
        try:
            rec = svc.enrol_photo(person_id, path.read_bytes())
            typer.echo(f"enrolled {path} as photo {rec.id} (quality {rec.quality:.2f})")
        except PhotoRefused as err:
            refused += 1
            typer.echo(f"refused {path}: {err.reason} ({err})", err=True)
    return refused


@watchlist_app.command("gen-key")
def gen_key() -> None:
    """Print a new random watchlist key (keep it in a secret store, export it as AMANE_WATCHLIST_KEY)."""
    typer.echo(TemplateCipher.encode_key(TemplateCipher.generate_key()))


@watchlist_app.command("add-person")
def add_person(
    name: Annotated[str, typer.Option(help="Name as on the notice")],
    notice: Annotated[Notice, typer.Option(help="Notice type")],
    reason: Annotated[str, typer.Option(help="Why the person is sought")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="Warrant, court order, law")],
    agency: Annotated[str, typer.Option(help="Owning agency")],
    expires: Annotated[str, typer.Option(help="Expiry: 2027-06-30, an ISO datetime, or 90d")],
    by: Annotated[str, typer.Option("--by", help="Who enrols (recorded)")],
    photo: Annotated[list[Path] | None, typer.Option("--photo", exists=True, dir_okay=False,
                                                     help="Reference photo (repeatable)")] = None,
    external_ref: Annotated[str | None, typer.Option("--ref", help="Reference in the owning agency")] = None,
    db: DbOption = None,
) -> None:
    """Add a wanted person, with reference photos."""
    svc = _service(db)
    try:
        person = svc.watchlist.add_person(name=name, notice=notice, reason=reason, legal_basis=legal_basis,
                                          agency=agency, expires_at=_expiry(expires), created_by=by,
                                          external_ref=external_ref)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"person {person.id} added ({person.notice.value} notice, "
               f"expires {person.expires_at:%Y-%m-%d})")
    if _enrol(svc, person.id, photo or []):
        raise typer.Exit(1)


@watchlist_app.command("add-photo")
def add_photo(person_id: int,
              photos: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Photos")],
              db: DbOption = None) -> None:
    """Enrol more reference photos of a person (each is refused with its reason when unusable)."""
    svc = _service(db)
    try:
        svc.watchlist.get_person(person_id)
    except PersonNotFound as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    if _enrol(svc, person_id, photos):
        raise typer.Exit(1)


@watchlist_app.command("list")
def list_persons(all_: Annotated[bool, typer.Option("--all", help="Include expired persons")] = False,
                 as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
                 db: DbOption = None) -> None:
    """List watchlist persons (no biometric data)."""
    svc = _service(db)
    for p in svc.watchlist.list_persons(include_expired=all_):
        row = {"id": p.id, "name": p.name, "notice": p.notice.value, "photos": p.photos, "agency": p.agency,
               "legal_basis": p.legal_basis, "reason": p.reason, "expires_at": p.expires_at.isoformat()}
        text = (f"{p.id:>5}  {p.notice.value:<7} {p.photos:>2} photos  expires {p.expires_at:%Y-%m-%d}  "
                f"{p.name}  ({p.agency}; {p.legal_basis})")
        typer.echo(json.dumps(row, ensure_ascii=False) if as_json else text)


@watchlist_app.command("remove")
def remove(person_id: int, db: DbOption = None) -> None:
    """Delete a person with all their photos and templates."""
    try:
        _service(db).watchlist.remove_person(person_id)
    except PersonNotFound as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"person {person_id} removed")


@watchlist_app.command("purge")
def purge(db: DbOption = None) -> None:
    """Delete expired persons (with photos and templates)."""
    typer.echo(f"purged {_service(db).watchlist.purge_expired()} expired persons")


@watchlist_app.command("search-photo")
def search_photo(photo: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Probe photo")],
                 reason: Annotated[str, typer.Option(help="Why this search is made (required, logged)")],
                 by: Annotated[str, typer.Option("--by", help="Who searches (logged)")],
                 k: Annotated[int, typer.Option(min=1, max=50, help="Persons listed")] = 5,
                 db: DbOption = None) -> None:
    """Search the watchlist with a photo. Results are leads, never identifications."""
    if len(reason.strip()) < 10:
        typer.echo("error: give a written reason of at least 10 characters", err=True)
        raise typer.Exit(2)
    svc = _service(db)
    logger.warning("watchlist photo search by %s: %s (%s)", by, reason, photo)
    try:
        results = svc.search_photo(photo.read_bytes(), k=k)
    except PhotoRefused as err:
        typer.echo(f"refused: {err.reason} ({err})", err=True)
        raise typer.Exit(1) from err
    for r in results:
        verdict = "POSSIBLE MATCH (lead)" if r.match else "no match"
        typer.echo(f"{r.person.id:>5}  {r.person.name:<30} distance {r.distance:.3f} "
                   f"(threshold {r.threshold:.3f})  {verdict}")
    if not any(r.match for r in results):
        typer.echo("no watchlist person within the threshold")
