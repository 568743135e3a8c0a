"""Centre fixtures: a migrated database on SQLite (always) and PostgreSQL (when reachable), apps, users."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from amane.center import security
from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units.service import register_unit
from amane.center.users.service import create_user
from amane.config import CenterSettings
from amane.store.testing import scratch_postgres_schema

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2 with test-sized parameters: these tests are about the flows, not the hash cost."""
    default = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = default


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'center.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    with scratch_postgres_schema(base) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'center.db'}"


@dataclass
class Staff:
    username: str
    role: str
    totp_secret: str | None
    logins: int = 0

    def code(self) -> str | None:
        """A valid TOTP code not used yet (a second login in the same 30 s uses the next step's code)."""
        if not self.totp_secret:
            return None
        self.logins += 1
        return str(pyotp.TOTP(self.totp_secret).at(time.time() + 30 * (self.logins - 1)))


@dataclass
class World:
    """A running app with one account per role and two registered units."""

    app: FastAPI
    client: TestClient
    center: Center
    staff: dict[str, Staff]
    unit_tokens: dict[str, str]

    def login(self, role: str, client: TestClient | None = None) -> str:
        """Sign ``role``'s account in on ``client`` (cookie set); returns the session token."""
        person = self.staff[role]
        response = (client or self.client).post(
            "/api/v1/auth/login",
            json={"username": person.username, "password": PASSWORD, "totp": person.code()},
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def unit_headers(self, callsign: str = "RBT-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.unit_tokens[callsign]}", "Content-Type": "application/json"}


def make_settings(url: str, tmp_path: Path, **extra: object) -> CenterSettings:
    return CenterSettings(database_url=url, data_dir=tmp_path / "data", **extra)  # type: ignore[arg-type]


def build_world(url: str, tmp_path: Path, **extra: object) -> Iterator[World]:
    app = create_app(make_settings(url, tmp_path, **extra), serve_dashboard=False)
    center: Center = app.state.center
    staff: dict[str, Staff] = {}
    tokens: dict[str, str] = {}
    with center.db.writing() as session:
        for role in ("admin", "supervisor", "operator", "analyst", "auditor"):
            mfa = role not in ("operator", "analyst")
            created = create_user(session=session, username=f"{role}1", role=role, password=PASSWORD, mfa=mfa)
            staff[role] = Staff(f"{role}1", role, created.totp_secret)
        for callsign in ("RBT-1", "RBT-2"):
            _, tokens[callsign] = register_unit(session=session, callsign=callsign, kind="car", region="casa")
    with TestClient(app) as client:
        yield World(app, client, center, staff, tokens)
    center.db.dispose()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The app on each database backend."""
    yield from build_world(database_url, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_url: str, tmp_path: Path) -> Iterator[World]:
    """The app on SQLite only (for tests whose logic does not depend on the backend)."""
    yield from build_world(sqlite_url, tmp_path)
