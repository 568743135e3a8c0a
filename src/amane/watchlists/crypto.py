"""AES-256-GCM encryption of watchlist templates and reference photos at rest.

The key is 32 random bytes, base64-encoded, given by the environment (``AMANE_WATCHLIST_KEY``) or
the caller; it is never written to the database. Each value gets a fresh 96-bit nonce and is bound
to its row by associated data (so a ciphertext copied onto another person's row does not decrypt).
A database remembers only a *key check* (a constant encrypted under the key), so opening it with
the wrong key fails at once with :class:`WrongKeyError` instead of later with garbage.

>>> cipher = TemplateCipher(TemplateCipher.generate_key())
>>> blob = cipher.encrypt(b"template", aad=b"person:1")
>>> cipher.decrypt(blob, aad=b"person:1")
b'template'
>>> TemplateCipher(TemplateCipher.generate_key()).decrypt(blob, aad=b"person:1")
Traceback (most recent call last):
...
amane.watchlists.crypto.WrongKeyError: cannot decrypt: wrong watchlist key, or the data was altered
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ENV = "AMANE_WATCHLIST_KEY"
NONCE_BYTES = 12
_KEY_CHECK = b"amane watchlist key check v1"
_VERSION = b"\x01"


class WatchlistKeyError(ValueError):
    """The watchlist key is missing or malformed."""


class WrongKeyError(WatchlistKeyError):
    """Data does not decrypt under this key: the wrong key, or tampered data."""


class TemplateCipher:
    """Encrypts and decrypts byte strings with AES-256-GCM under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise WatchlistKeyError(f"the watchlist key must be 32 bytes (AES-256), got {len(key)}")
        self._aead = AESGCM(key)

    @staticmethod
    def generate_key() -> bytes:
        """32 random bytes from the OS."""
        return os.urandom(32)

    @staticmethod
    def encode_key(key: bytes) -> str:
        """The base64 text form of a key (what ``AMANE_WATCHLIST_KEY`` holds)."""
        return base64.b64encode(key).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> TemplateCipher:
        """A cipher from the base64 text form of a key."""
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError) as err:
            raise WatchlistKeyError(f"{KEY_ENV} is not valid base64") from err
        return cls(key)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> TemplateCipher:
        """A cipher from ``AMANE_WATCHLIST_KEY``; a clear error when it is not set."""
        env = os.environ if environ is None else environ
        text = env.get(KEY_ENV)
        if not text:
            raise WatchlistKeyError(
                f"{KEY_ENV} is not set: give the watchlist key (base64 of 32 random bytes, e.g. "
                "`python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`)"
            )
        return cls.from_text(text)

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """version byte + nonce + ciphertext-with-tag."""
        nonce = os.urandom(NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, blob: bytes, *, aad: bytes) -> bytes:
        """The plaintext; :class:`WrongKeyError` when the key or the data is not right."""
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != _VERSION:
            raise WrongKeyError("cannot decrypt: not an encrypted watchlist value")
        try:
            return self._aead.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:], aad)
        except InvalidTag as err:
            raise WrongKeyError("cannot decrypt: wrong watchlist key, or the data was altered") from err

    def key_check(self) -> bytes:
        """A value a database keeps to recognise its key later (it reveals nothing about the key)."""
        return self.encrypt(_KEY_CHECK, aad=b"key-check")

    def verify(self, check: bytes) -> None:
        """Raise :class:`WrongKeyError` unless ``check`` was made by :meth:`key_check` with this key."""
        try:
            ok = self.decrypt(check, aad=b"key-check") == _KEY_CHECK
        except WrongKeyError as err:
            raise WrongKeyError(
                "the watchlist key does not match the one this database was created with"
            ) from err
        if not ok:
            raise WrongKeyError("the watchlist key does not match the one this database was created with")
