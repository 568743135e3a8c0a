"""Staff roles and what each may do. Routes name these sets through ``require_role``."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    ANALYST = "analyst"
    AUDITOR = "auditor"


ALL_ROLES = frozenset(Role)
MFA_REQUIRED = frozenset({Role.ADMIN, Role.SUPERVISOR})
"""Roles that cannot exist without a TOTP second factor."""
MFA_WAIVABLE = frozenset({Role.OPERATOR, Role.ANALYST})
"""Roles that may be created without TOTP (``--no-mfa``), e.g. a demo operator."""
ALERT_READERS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR, Role.ANALYST})
REVIEWERS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR})
UNIT_VIEWERS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR})
UNIT_MANAGERS = frozenset({Role.ADMIN, Role.SUPERVISOR})
AUDIT_READERS = frozenset({Role.ADMIN, Role.AUDITOR})
