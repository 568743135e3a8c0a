"""Centre commands: ``amane center``, ``amane user ...``, ``amane units ...``, ``amane audit verify``.

Administrative commands act on the database named by the settings (``--config FILE`` and/or
``AMANE_DATABASE_URL``) and are audited as ``cli:<operating-system user>``.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from amane.center.audit import service as audit_service
from amane.center.auth.roles import Role
from amane.center.errors import CenterError
from amane.center.units import service as unit_service
from amane.center.users import service as user_service
from amane.config import CenterSettings, load_center_settings
from amane.core.errors import ConfigError
from amane.core.messages import UnitKind
from amane.store import Database, upgrade

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Centre settings YAML file")]

user_app = typer.Typer(no_args_is_help=True, help="Staff accounts.")
units_app = typer.Typer(no_args_is_help=True, help="Patrol units and their credentials.")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")


def _settings(config: Path | None) -> CenterSettings:
    try:
        return load_center_settings(config)
    except ConfigError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@contextmanager
def _writing(config: Path | None) -> Iterator[Session]:
    db = Database(_settings(config).sqlalchemy_url)
    try:
        upgrade(db.write_engine)
        with db.writing() as session:
            yield session
    except CenterError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    finally:
        db.dispose()


def center(config: ConfigOption = None,
           host: Annotated[str | None, typer.Option(help="Override the listen address")] = None,
           port: Annotated[int | None, typer.Option(help="Override the port")] = None,
           workers: Annotated[int, typer.Option(help="Worker processes on one port (bus_url=nats://)")] = 1,
           ) -> None:
    """Run the command-centre server (HTTP API, dashboard, live feed, bus consumers)."""
    from amane.center.app import create_app
    from amane.center.server import run

    settings = _settings(config)
    if workers != 1:  # N processes on one port: amane.center.workers
        from amane.center.workers import WorkersRefusedError, run_workers

        try:
            run_workers(settings, config, host=host or settings.host, port=port or settings.port,
                        workers=workers)
        except WorkersRefusedError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from err
        return
    run(create_app(settings), host=host or settings.host, port=port or settings.port)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[Role, typer.Option(help="admin|supervisor|operator|analyst|auditor")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
    no_mfa: Annotated[bool, typer.Option("--no-mfa", help="No TOTP (operator/analyst only)")] = False,
    config: ConfigOption = None,
) -> None:
    """Create a staff account; prints the TOTP secret and provisioning URI when MFA applies."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            typer.echo("error: the passwords differ", err=True)
            raise typer.Exit(1)
    with _writing(config) as session:
        created = user_service.create_user(session=session, username=username, role=role, password=password,
                                           mfa=not no_mfa, actor=_actor())
    typer.echo(f"created {role.value} {username}")
    if created.totp_secret:
        typer.echo(f"TOTP secret: {created.totp_secret}")
        typer.echo(f"TOTP URI:    {created.totp_uri}")
    else:
        typer.echo("no second factor (--no-mfa)")


@user_app.command("disable")
def user_disable(username: str, config: ConfigOption = None) -> None:
    """Disable an account and end its sessions."""
    with _writing(config) as session:
        user_service.disable_user(session=session, username=username, actor=_actor())
    typer.echo(f"disabled {username}")


@user_app.command("unlock")
def user_unlock(username: str, config: ConfigOption = None) -> None:
    """Lift a lockout after too many failed logins."""
    with _writing(config) as session:
        user_service.unlock_user(session=session, username=username, actor=_actor())
    typer.echo(f"unlocked {username}")


@user_app.command("reset-mfa")
def user_reset_mfa(username: str, config: ConfigOption = None) -> None:
    """Issue a new TOTP secret (the old one stops working) and end the user's sessions."""
    with _writing(config) as session:
        created = user_service.reset_mfa(session=session, username=username, actor=_actor())
    typer.echo(f"TOTP secret: {created.totp_secret}")
    typer.echo(f"TOTP URI:    {created.totp_uri}")


@units_app.command("add")
def units_add(callsign: str, kind: Annotated[UnitKind, typer.Option(help="car|motorcycle|drone")],
              region: Annotated[str, typer.Option(help="Region the unit patrols")],
              config: ConfigOption = None) -> None:
    """Register a unit; prints its bearer token once (store it on the unit)."""
    with _writing(config) as session:
        _, token = unit_service.register_unit(session=session, callsign=callsign, kind=kind, region=region,
                                              actor=_actor())
    typer.echo(f"registered {callsign}")
    typer.echo(f"token: {token}")


@units_app.command("revoke")
def units_revoke(callsign: str, config: ConfigOption = None) -> None:
    """Revoke every token of a unit (stolen or lost vehicle)."""
    with _writing(config) as session:
        count = unit_service.revoke_unit(session=session, callsign=callsign, actor=_actor())
    typer.echo(f"revoked {count} token(s) of {callsign}")


@audit_app.command("verify")
def audit_verify(config: ConfigOption = None) -> None:
    """Check the audit chain; names every edited, removed or reordered row (exit 1 when any)."""
    db = Database(_settings(config).sqlalchemy_url)
    try:
        with db.reading() as session:
            checked, problems = audit_service.verify(session=session)
    finally:
        db.dispose()
    for problem in problems:
        typer.echo(f"TAMPERED {problem}")
    if problems:
        typer.echo(f"audit log: {len(problems)} problem(s) in {checked} rows", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {checked} rows")


def register(app: typer.Typer) -> None:
    """Add the centre's commands to the root ``amane`` command."""
    app.command("center")(center)
    app.add_typer(user_app, name="user")
    app.add_typer(units_app, name="units")
    app.add_typer(audit_app, name="audit")
