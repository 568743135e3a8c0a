"""Logins, TOTP, lockout, idle sessions, roles, and the route policy (closed unless declared public)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from amane.center import app as app_module
from amane.center.app import OpenRouteError, create_app
from amane.center.deps import PUBLIC_MARK, iter_routes, unguarded_routes
from amane.center.errors import Invalid
from amane.center.users.service import create_user, disable_user, reset_mfa, unlock_user
from amane.store.models import AuditEntry, User, UserSession

from .conftest import PASSWORD, World, make_settings


def _login(client: TestClient, username: str, password: str = PASSWORD, totp: str | None = None) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password, "totp": totp})


def _actions(world: World) -> list[str]:
    with world.center.db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


@pytest.mark.parametrize(
    ("user", "password", "totp", "status"),
    [
        ("operator1", PASSWORD, None, 200),
        ("operator1", "wrong password", None, 401),
        ("nobody", PASSWORD, None, 401),
        ("supervisor1", PASSWORD, None, 401),
        ("supervisor1", PASSWORD, "000000", 401),
        ("supervisor1", PASSWORD, "abc", 401),
        ("supervisor1", PASSWORD, "now", 200),
        ("admin1", "wrong password", "now", 401),
        ("admin1", PASSWORD, "now", 200),
    ],
)
def test_login_table(sqlite_world: World, user: str, password: str, totp: str | None, status: int) -> None:
    world = sqlite_world
    if totp == "now":
        totp = world.staff[user.removesuffix("1")].code()
    response = _login(world.client, user, password, totp)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["user"]["username"] == user
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert world.client.get("/api/v1/auth/me").json()["username"] == user
        assert _actions(world)[-1] == "auth.login"
    else:
        assert _actions(world)[-1] == "auth.login_failed"
        assert world.client.get("/api/v1/auth/me").status_code == 401


def test_totp_code_cannot_be_replayed(sqlite_world: World) -> None:
    world = sqlite_world
    secret = world.staff["supervisor"].totp_secret
    assert secret is not None
    code = pyotp.TOTP(secret).now()
    assert _login(world.client, "supervisor1", totp=code).status_code == 200
    assert _login(world.client, "supervisor1", totp=code).status_code == 401


def test_lockout_after_five_failures(world: World) -> None:
    for _ in range(4):
        assert _login(world.client, "operator1", "nope").status_code == 401
    assert _login(world.client, "operator1", "nope").status_code == 403  # the 5th locks
    assert _login(world.client, "operator1").status_code == 403  # even the right password
    assert "user.locked" in _actions(world)
    with world.center.db.writing() as session:
        unlock_user(session=session, username="operator1")
    assert _login(world.client, "operator1").status_code == 200


def test_success_resets_the_failure_count(sqlite_world: World) -> None:
    world = sqlite_world
    for _ in range(4):
        _login(world.client, "operator1", "nope")
    assert _login(world.client, "operator1").status_code == 200
    for _ in range(4):
        assert _login(world.client, "operator1", "nope").status_code == 401


def test_idle_session_expires_and_bearer_token_works(world: World) -> None:
    token = world.login("operator")
    fresh = TestClient(world.app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert fresh.get("/api/v1/auth/me", headers=bearer).status_code == 200
    with world.center.db.writing() as session:
        session.execute(update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=16)))
    assert fresh.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert world.client.get("/api/v1/auth/me").status_code == 401


def test_activity_keeps_the_session_alive(sqlite_world: World) -> None:
    world = sqlite_world
    world.login("operator")
    with world.center.db.writing() as session:
        session.execute(update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=14)))
    assert world.client.get("/api/v1/auth/me").status_code == 200  # refreshes last_seen_at
    with world.center.db.session() as session:
        seen = session.scalars(select(UserSession.last_seen_at)).one()
    assert datetime.now(UTC) - seen < timedelta(minutes=1)


def test_logout_disable_and_reset_mfa_end_sessions(sqlite_world: World) -> None:
    world = sqlite_world
    world.login("operator")
    assert world.client.post("/api/v1/auth/logout").status_code == 204
    assert world.client.get("/api/v1/auth/me").status_code == 401
    world.login("operator")
    with world.center.db.writing() as session:
        disable_user(session=session, username="operator1")
    assert world.client.get("/api/v1/auth/me").status_code == 401
    assert _login(world.client, "operator1").status_code == 401
    world.login("supervisor")
    old = world.staff["supervisor"].totp_secret
    with world.center.db.writing() as session:
        created = reset_mfa(session=session, username="supervisor1")
    assert world.client.get("/api/v1/auth/me").status_code == 401
    assert created.totp_secret and created.totp_secret != old
    assert created.totp_uri and created.totp_uri.startswith("otpauth://totp/")


@pytest.mark.parametrize(
    ("role", "mfa", "password", "ok"),
    [
        ("operator", False, "long enough", True),
        ("analyst", False, "long enough", True),
        ("auditor", False, "long enough", False),
        ("supervisor", False, "long enough", False),
        ("admin", False, "long enough", False),
        ("admin", True, "long enough", True),
        ("operator", True, "short", False),
        ("chief", True, "long enough", False),
    ],
)
def test_create_user_rules(sqlite_world: World, role: str, mfa: bool, password: str, ok: bool) -> None:
    with sqlite_world.center.db.writing() as session:
        if ok:
            created = create_user(session=session, username="new.user", role=role, password=password, mfa=mfa)
            assert (created.totp_secret is not None) == mfa
            stored = session.scalars(select(User).where(User.username == "new.user")).one()
            assert stored.password_hash.startswith("$argon2id$") and password not in stored.password_hash
        else:
            with pytest.raises((Invalid, ValueError)):
                create_user(session=session, username="new.user", role=role, password=password, mfa=mfa)


ROLE_MATRIX = [
    (
        "GET",
        "/api/v1/alerts",
        {"admin": 200, "supervisor": 200, "operator": 200, "analyst": 200, "auditor": 403},
    ),
    (
        "GET",
        "/api/v1/units",
        {"admin": 200, "supervisor": 200, "operator": 200, "analyst": 200, "auditor": 403},
    ),
    (
        "GET",
        "/api/v1/audit",
        {"admin": 200, "supervisor": 403, "operator": 403, "analyst": 403, "auditor": 200},
    ),
    (
        "POST",
        "/api/v1/units/RBT-2/revoke",
        {"admin": 200, "supervisor": 200, "operator": 403, "analyst": 403, "auditor": 403},
    ),
    (
        "GET",
        "/api/v1/dashboard/config",
        {"admin": 200, "supervisor": 200, "operator": 200, "analyst": 200, "auditor": 200},
    ),
]


@pytest.mark.parametrize("role", ["admin", "supervisor", "operator", "analyst", "auditor", None])
def test_role_matrix(sqlite_world: World, role: str | None) -> None:
    world = sqlite_world
    if role is not None:
        world.login(role)
    for method, path, expected in ROLE_MATRIX:
        status = world.client.request(method, path).status_code
        assert status == (expected[role] if role else 401), (role, method, path)


def test_every_route_is_guarded_or_declared_public(sqlite_world: World) -> None:
    app = create_app(
        make_settings(
            f"sqlite:///{sqlite_world.center.settings.data_dir}/x.db", sqlite_world.center.settings.data_dir
        )
    )
    assert unguarded_routes(app.routes, public_mounts=app_module.PUBLIC_MOUNTS) == []
    public = sorted(
        getattr(r, "path", "")
        for _, _, r in iter_routes(app.routes)
        if getattr(getattr(r, "endpoint", None), PUBLIC_MARK, False)
    )
    assert public == ["/api/v1/auth/login", "/api/v1/health"]
    assert sqlite_world.client.get("/api/v1/health").json()["status"] == "ok"


def test_an_accidentally_open_route_stops_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leaky = APIRouter()

    @leaky.get("/api/v1/oops")
    def oops() -> dict[str, str]:
        return {"secret": "everything"}

    monkeypatch.setattr(app_module, "ROUTERS", [*app_module.ROUTERS, leaky])
    with pytest.raises(OpenRouteError, match="/api/v1/oops"):
        create_app(make_settings(f"sqlite:///{tmp_path / 'a.db'}", tmp_path))


def test_session_cookie_is_refused_after_max_age(sqlite_world: World) -> None:
    world = sqlite_world
    world.login("analyst")
    with world.center.db.writing() as session:
        session.execute(update(UserSession).values(created_at=datetime.now(UTC) - timedelta(hours=13)))
    assert world.client.get("/api/v1/auth/me").status_code == 401
