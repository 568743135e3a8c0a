"""Secrets: token generation and hashing, argon2 password hashing, TOTP verification with replay refusal."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

UNIT_TOKEN_PREFIX = "amu_"
SESSION_TOKEN_PREFIX = "ams_"
TOTP_ISSUER = "amane"

_hasher = PasswordHasher()


def new_token(prefix: str) -> str:
    """A fresh 256-bit bearer token; the prefix says what it is for (unit or session)."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 hex of a token: what the database keeps (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant-time in the library)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = hash_password("not a real password, spends the same time for unknown users")


def burn_password_check(password: str) -> None:
    """Spend the time of a password check, so an unknown username is not faster to reject."""
    verify_password(_DUMMY_HASH, password)


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER))


def totp_match(secret: str, code: str, *, last_counter: int | None, now: float | None = None) -> int | None:
    """The time-step counter ``code`` is valid for (±1 step), or None; a counter already used is refused."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    instant = time.time() if now is None else now
    current = int(instant // totp.interval)
    for counter in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            if last_counter is not None and counter <= last_counter:
                return None
            return counter
    return None
