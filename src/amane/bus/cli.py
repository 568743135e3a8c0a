"""``amane nats ...``: the per-unit NATS accounts (see :mod:`amane.bus.credentials`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from amane.bus.credentials import UnitAccount, load_or_create_secret, server_config, unit_bus_url
from amane.config import load_center_settings
from amane.core.errors import ConfigError
from amane.store import Database
from amane.store.models import Unit, UnitToken

nats_app = typer.Typer(no_args_is_help=True, help="NATS accounts and permissions for the centre and units.")

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Centre settings YAML file")]
SecretOption = Annotated[
    Path | None, typer.Option(help="Site secret the passwords derive from (default <data_dir>/nats.secret)")
]


def _secret_path(config: Path | None, secret_file: Path | None) -> Path:
    if secret_file is not None:
        return secret_file
    try:
        return load_center_settings(config).data_dir / "nats.secret"
    except ConfigError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


def _registered_units(config: Path | None) -> list[UnitAccount]:
    """Units of the centre's database that hold at least one unrevoked token."""
    db = Database(load_center_settings(config).sqlalchemy_url)
    try:
        with db.reading() as session:
            rows = session.execute(
                select(Unit.callsign, Unit.region)
                .where(select(UnitToken.id).where(UnitToken.unit_id == Unit.id,
                                                  UnitToken.revoked_at.is_(None)).exists())
                .order_by(Unit.callsign)
            ).all()
    finally:
        db.dispose()
    accounts = []
    for callsign, region in rows:
        try:
            accounts.append(UnitAccount(unit_id=callsign, region=region))
        except ValueError:
            typer.echo(f"warning: unit {callsign!r} (region {region!r}) cannot be a NATS subject token; "
                       "it is left out (use the HTTP uplink)", err=True)
    return accounts


@nats_app.command("config")
def config_command(
    config: ConfigOption = None,
    secret_file: SecretOption = None,
    unit: Annotated[
        list[str] | None, typer.Option(help="ID:REGION, repeatable (added to the database's units)")
    ] = None,
    from_db: Annotated[bool, typer.Option("--from-db/--no-db", help="Include the centre's units")] = True,
    namespace: Annotated[str, typer.Option(help="Subject namespace, as in bus_url ?namespace=")] = "",
) -> None:
    """Print the nats-server `authorization` block: per-unit users and permissions, the centre's user."""
    accounts = _registered_units(config) if from_db else []
    for item in unit or []:
        unit_id, sep, region = item.partition(":")
        if not sep:
            typer.echo(f"error: --unit wants ID:REGION, got {item!r}", err=True)
            raise typer.Exit(2)
        try:
            accounts.append(UnitAccount(unit_id=unit_id, region=region))
        except ValueError as err:
            typer.echo(f"error: --unit {item}: {err}", err=True)
            raise typer.Exit(2) from err
    secret = load_or_create_secret(_secret_path(config, secret_file))
    try:
        typer.echo(server_config(accounts, secret=secret, namespace=namespace), nl=False)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


@nats_app.command("url")
def url_command(
    user: Annotated[str, typer.Argument(help="A unit id, or 'center'")],
    server: Annotated[str, typer.Option(help="nats://host:port or tls://host:port[?options]")],
    config: ConfigOption = None,
    secret_file: SecretOption = None,
) -> None:
    """Print the bus_url (with password) that `user` connects with: put it in unit.yaml / the centre's env."""
    secret = load_or_create_secret(_secret_path(config, secret_file))
    try:
        typer.echo(unit_bus_url(server, user, secret))
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
