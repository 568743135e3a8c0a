"""Every bus subject name, in one place (NATS syntax: ``*`` one token, ``>`` the rest).

Units publish on their own ``amane.unit.<id>.*`` subjects and read only their own inbox and
their region's broadcasts, which is what per-unit broker permissions are written against.
"""

from __future__ import annotations

PREFIX = "amane"


def unit_alert(unit_id: str) -> str:
    """Alerts born on a unit."""
    return f"{PREFIX}.unit.{unit_id}.alert"


def unit_heartbeat(unit_id: str) -> str:
    """Heartbeats and positions of a unit."""
    return f"{PREFIX}.unit.{unit_id}.heartbeat"


def unit_outbound_message(unit_id: str) -> str:
    """Messages a crew sends to the centre, and acks of messages the unit received."""
    return f"{PREFIX}.unit.{unit_id}.message"


def unit_inbox(unit_id: str) -> str:
    """Messages and orders from the centre to one unit."""
    return f"{PREFIX}.inbox.{unit_id}"


def region_broadcast(region: str) -> str:
    """Messages from the centre to every unit of a region."""
    return f"{PREFIX}.broadcast.{region}"


ALL_ALERTS = f"{PREFIX}.unit.*.alert"
ALL_HEARTBEATS = f"{PREFIX}.unit.*.heartbeat"
ALL_UNIT_MESSAGES = f"{PREFIX}.unit.*.message"

# Centre-internal: state changes that every centre worker fans out to its WebSocket dashboards.
LIVE_EVENTS = f"{PREFIX}.center.live"


def matches(pattern: str, subject: str) -> bool:
    """Whether ``subject`` matches a NATS-style ``pattern``.

    >>> matches("amane.unit.*.alert", "amane.unit.RBT-1.alert")
    True
    >>> matches("amane.>", "amane.inbox.RBT-1")
    True
    >>> matches("amane.unit.*", "amane.unit.a.alert")
    False
    """
    p_tokens = pattern.split(".")
    s_tokens = subject.split(".")
    for i, token in enumerate(p_tokens):
        if token == ">":
            return len(s_tokens) > i
        if i >= len(s_tokens):
            return False
        if token != "*" and token != s_tokens[i]:
            return False
    return len(p_tokens) == len(s_tokens)
