"""The review workflow of an alert, as a pure function of (status, action, who confirmed before).

::

    new ──acknowledge──> acknowledged ──confirm──> confirmed ──escalate──> escalated
     │                       │   └─confirm (more reviewers needed)─> pending_second_review ──confirm──┘
     └──────dismiss──────────┴──────────────dismiss (reason required)─────────┘

How many *distinct* reviewers must confirm is per alert kind (``required`` below, from the
``review_confirmations`` setting; 1 unless configured, e.g. ``{face: 2}`` for biometric matches).
"""

from __future__ import annotations

from collections.abc import Set
from enum import StrEnum

from amane.center.errors import Conflict, Invalid


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    PENDING_SECOND_REVIEW = "pending_second_review"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"


class ReviewAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    ESCALATE = "escalate"


_ALLOWED: dict[ReviewAction, frozenset[AlertStatus]] = {
    ReviewAction.ACKNOWLEDGE: frozenset({AlertStatus.NEW}),
    ReviewAction.CONFIRM: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.PENDING_SECOND_REVIEW}),
    ReviewAction.DISMISS: frozenset(
        {AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.PENDING_SECOND_REVIEW}
    ),
    ReviewAction.ESCALATE: frozenset({AlertStatus.CONFIRMED}),
}


def next_status(
    *,
    status: AlertStatus,
    action: ReviewAction,
    actor: str,
    reason: str | None,
    required: int,
    confirmed_by: Set[str],
) -> AlertStatus:
    """The status after ``actor`` takes ``action``; raises Conflict (illegal) or Invalid (missing reason).

    ``confirmed_by`` is who has already confirmed this alert.

    >>> next_status(status=AlertStatus.ACKNOWLEDGED, action=ReviewAction.CONFIRM, actor="a",
    ...             reason=None, required=2, confirmed_by=set())
    <AlertStatus.PENDING_SECOND_REVIEW: 'pending_second_review'>
    """
    if status not in _ALLOWED[action]:
        raise Conflict(f"cannot {action.value} an alert that is {status.value}")
    if action is ReviewAction.DISMISS and not (reason and reason.strip()):
        raise Invalid("reason: a dismissal needs a reason")
    if action is ReviewAction.ACKNOWLEDGE:
        return AlertStatus.ACKNOWLEDGED
    if action is ReviewAction.DISMISS:
        return AlertStatus.DISMISSED
    if action is ReviewAction.ESCALATE:
        return AlertStatus.ESCALATED
    if actor in confirmed_by:
        raise Conflict("you already confirmed this alert: another reviewer must confirm it")
    return AlertStatus.CONFIRMED if len(confirmed_by) + 1 >= required else AlertStatus.PENDING_SECOND_REVIEW
