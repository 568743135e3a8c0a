"""Staff accounts: create, disable, unlock, reset the second factor. Every change is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center import security
from amane.center.audit import service as audit
from amane.center.auth.roles import MFA_WAIVABLE, Role
from amane.center.errors import Conflict, Invalid, NotFound
from amane.store.models import User, UserSession

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class CreatedUser:
    """A new account; ``totp_secret``/``totp_uri`` are shown once (None when created without MFA)."""

    user: User
    totp_secret: str | None
    totp_uri: str | None


def get_user(*, session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def create_user(
    *,
    session: Session,
    username: str,
    role: Role | str,
    password: str,
    mfa: bool = True,
    actor: str = "system",
) -> CreatedUser:
    """Create an account (the caller commits). MFA may be waived only for operator and analyst."""
    role = Role(role)
    if not USERNAME.match(username):
        raise Invalid("username: 2-64 of a-z 0-9 _ . - (starting with a letter or digit)")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password: at least {MIN_PASSWORD} characters")
    if not mfa and role not in MFA_WAIVABLE:
        raise Invalid(f"role {role} requires a TOTP second factor (only operator and analyst may go without)")
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(f"user {username!r} exists")
    secret = security.new_totp_secret() if mfa else None
    user = User(
        username=username,
        role=role.value,
        password_hash=security.hash_password(password),
        totp_secret=secret,
        disabled=False,
        failed_logins=0,
        locked=False,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    audit.append(
        session=session,
        actor=actor,
        action="user.create",
        target=f"user:{username}",
        details={"role": role.value, "mfa": mfa},
    )
    return CreatedUser(user, secret, security.totp_uri(secret, username) if secret else None)


def _end_sessions(session: Session, user: User) -> None:
    now = datetime.now(UTC)
    for row in session.execute(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ).scalars():
        row.revoked_at = now


def disable_user(*, session: Session, username: str, actor: str = "system") -> User:
    """Disable an account and end its sessions (the caller commits)."""
    user = get_user(session=session, username=username)
    user.disabled = True
    _end_sessions(session, user)
    audit.append(session=session, actor=actor, action="user.disable", target=f"user:{username}")
    return user


def unlock_user(*, session: Session, username: str, actor: str = "system") -> User:
    """Lift a lockout after failed logins (the caller commits)."""
    user = get_user(session=session, username=username)
    user.locked, user.failed_logins = False, 0
    audit.append(session=session, actor=actor, action="user.unlock", target=f"user:{username}")
    return user


def reset_mfa(*, session: Session, username: str, actor: str = "system") -> CreatedUser:
    """Issue a new TOTP secret (the old one stops working), end the user's sessions (the caller commits)."""
    user = get_user(session=session, username=username)
    secret = security.new_totp_secret()
    user.totp_secret, user.totp_last_counter = secret, None
    _end_sessions(session, user)
    audit.append(session=session, actor=actor, action="user.reset_mfa", target=f"user:{username}")
    return CreatedUser(user, secret, security.totp_uri(secret, username))
