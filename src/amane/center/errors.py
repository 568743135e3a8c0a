"""Domain errors that services raise and the app turns into HTTP answers (services know no HTTP)."""

from __future__ import annotations

from amane.core.errors import AmaneError


class CenterError(AmaneError):
    """Base of errors the centre reports to the caller; ``status`` is the HTTP status it maps to."""

    status = 400


class NotFound(CenterError):
    status = 404


class Conflict(CenterError):
    status = 409


class Invalid(CenterError):
    status = 422


class Unauthenticated(CenterError):
    status = 401


class Forbidden(CenterError):
    status = 403


class TooLarge(CenterError):
    status = 413


class UnsupportedMedia(CenterError):
    status = 415
