"""Logins, sessions and their expiry. Failed logins count towards a lockout and are audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center import security
from amane.center.audit import service as audit
from amane.center.auth.roles import Role
from amane.center.errors import Forbidden, Unauthenticated
from amane.store.models import User, UserSession

SEEN_RESOLUTION = timedelta(seconds=30)
"""``last_seen_at`` is written at most this often per session (idle expiry is coarser than this)."""


@dataclass(frozen=True, slots=True)
class AuthUser:
    """Who is calling: the staff member behind a valid session."""

    user_id: int
    username: str
    role: Role
    session_id: int
    mfa: bool

    @property
    def actor(self) -> str:
        return f"user:{self.username}"


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    user: AuthUser


def _fail(
    session: Session, user: User | None, username: str, reason: str, *, max_failures: int, source: str
) -> Unauthenticated | Forbidden:
    details = {"reason": reason, "source": source}
    if user is not None and reason != "disabled" and reason != "locked":
        user.failed_logins += 1
        details["failures"] = str(user.failed_logins)
        if user.failed_logins >= max_failures and not user.locked:
            user.locked = True
            audit.append(
                session=session,
                actor="system",
                action="user.locked",
                target=f"user:{username}",
                details={"failures": user.failed_logins},
            )
    audit.append(
        session=session,
        actor=f"user:{username}"[:128],
        action="auth.login_failed",
        target=f"user:{username}"[:256],
        details=details,
    )
    session.commit()
    if user is not None and user.locked:
        return Forbidden("account locked after too many failed logins: ask an administrator")
    if reason == "totp_required":
        return Unauthenticated("a TOTP code is required")
    return Unauthenticated("invalid username, password or TOTP code")


def login(
    *, session: Session, username: str, password: str, totp: str | None, max_failures: int, source: str = ""
) -> LoginResult:
    """Check credentials (password, then TOTP when the user has one) and open a session (commits)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        security.burn_password_check(password)
        raise _fail(session, None, username, "unknown_user", max_failures=max_failures, source=source)
    if user.disabled:
        raise _fail(session, user, username, "disabled", max_failures=max_failures, source=source)
    if user.locked:
        raise _fail(session, user, username, "locked", max_failures=max_failures, source=source)
    if not security.verify_password(user.password_hash, password):
        raise _fail(session, user, username, "bad_password", max_failures=max_failures, source=source)
    if user.totp_secret is not None:
        if not totp:
            raise _fail(session, user, username, "totp_required", max_failures=max_failures, source=source)
        counter = security.totp_match(user.totp_secret, totp, last_counter=user.totp_last_counter)
        if counter is None:
            raise _fail(session, user, username, "bad_totp", max_failures=max_failures, source=source)
        user.totp_last_counter = counter
    now = datetime.now(UTC)
    token = security.new_token(security.SESSION_TOKEN_PREFIX)
    row = UserSession(
        token_hash=security.token_hash(token), user_id=user.id, created_at=now, last_seen_at=now
    )
    session.add(row)
    user.failed_logins, user.last_login_at = 0, now
    session.flush()
    audit.append(
        session=session,
        actor=f"user:{username}",
        action="auth.login",
        target=f"user:{username}",
        details={"session": row.id, "source": source, "mfa": user.totp_secret is not None},
    )
    session.commit()
    return LoginResult(
        token, AuthUser(user.id, user.username, Role(user.role), row.id, user.totp_secret is not None)
    )


@dataclass(frozen=True, slots=True)
class SessionCheck:
    """A resolved session, and whether its ``last_seen_at`` is due to be refreshed."""

    user: AuthUser
    needs_touch: bool


def resolve(
    *, session: Session, token: str, idle: timedelta, max_age: timedelta, now: datetime | None = None
) -> SessionCheck:
    """The user behind a session token; raises Unauthenticated when unknown, revoked, idle or too old."""
    now = now or datetime.now(UTC)
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == security.token_hash(token))
    ).first()
    if found is None:
        raise Unauthenticated("not signed in")
    row, user = found
    if row.revoked_at is not None or user.disabled or user.locked:
        raise Unauthenticated("session ended")
    if now - row.last_seen_at > idle:
        raise Unauthenticated("session expired (idle)")
    if now - row.created_at > max_age:
        raise Unauthenticated("session expired: sign in again")
    auth = AuthUser(user.id, user.username, Role(user.role), row.id, user.totp_secret is not None)
    return SessionCheck(auth, now - row.last_seen_at > SEEN_RESOLUTION)


def touch(*, session: Session, session_id: int) -> None:
    """Record activity on a session (keeps it from idling out); the caller commits."""
    row = session.get(UserSession, session_id)
    if row is not None:
        row.last_seen_at = datetime.now(UTC)


def logout(*, session: Session, user: AuthUser) -> None:
    """End the caller's session (commits)."""
    row = session.get(UserSession, user.session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    audit.append(session=session, actor=user.actor, action="auth.logout", target=user.actor)
    session.commit()
