"""Rotation rosters: which team works when, who and which units are on duty, coverage gaps ahead.

A region's rotation is a list of team names, one per shift slot: slot ``i`` starts at
``anchor + i * shift_hours`` and is worked by ``pattern[i % len(pattern)]`` ("" = nobody).

>>> from datetime import UTC, datetime
>>> p = four_teams_twelve_hours()
>>> anchor = datetime(2026, 1, 1, 7, tzinfo=UTC)
>>> when = [datetime(2026, 1, d, h, tzinfo=UTC) for d, h in [(1, 8), (1, 20), (3, 8), (9, 8)]]
>>> [team_at(p, anchor, 12, t) for t in when]
['A', 'D', 'B', 'A']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from amane.center.dispatch.models import Rotation, Team
from amane.store.models import Unit

UNUSABLE_STATUSES = frozenset({"out_of_service"})


def four_teams_twelve_hours(teams: Sequence[str] = ("A", "B", "C", "D")) -> list[str]:
    """The 4-on/4-off pattern (2 days, 2 nights, 4 off) over 8 days of day/night slots.

    Every slot has exactly one team and every team works 4 shifts in 8 days (48 h in 192 h).
    """
    if len(teams) != 4:
        raise ValueError(f"the pattern needs exactly 4 teams, got {len(teams)}")
    a, b, c, d = teams
    days = [a, a, b, b, c, c, d, d]
    nights = [d, d, a, a, b, b, c, c]
    return [team for pair in zip(days, nights, strict=True) for team in pair]


def slot_at(anchor: datetime, shift_hours: int, at: datetime) -> int:
    """The slot number containing ``at`` (negative before the anchor)."""
    return math.floor((at - anchor) / timedelta(hours=shift_hours))


def team_at(pattern: Sequence[str], anchor: datetime, shift_hours: int, at: datetime) -> str:
    """The team on shift at ``at`` ("" when the pattern leaves the slot empty)."""
    if not pattern:
        return ""
    return pattern[slot_at(anchor, shift_hours, at) % len(pattern)]


@dataclass(frozen=True, slots=True)
class Duty:
    """Who is on duty in a region now."""

    region: str
    team: str
    shift_start: datetime
    shift_end: datetime
    officers: list[str]
    units: list[str]


@dataclass(frozen=True, slots=True)
class Gap:
    """A shift of a region with fewer usable units than the rotation needs."""

    region: str
    start: datetime
    end: datetime
    team: str
    units: int
    needed: int
    reason: str


def _teams(session: Session) -> dict[tuple[str, str], Team]:
    return {(t.region, t.name): t for t in session.execute(select(Team)).scalars()}


def duty_now(*, session: Session, at: datetime) -> list[Duty]:
    """Per region with a rotation: the team on shift at ``at`` and its people and units."""
    teams = _teams(session)
    out = []
    for rot in session.execute(select(Rotation).order_by(Rotation.region)).scalars():
        slot = slot_at(rot.anchor, rot.shift_hours, at)
        start = rot.anchor + timedelta(hours=rot.shift_hours * slot)
        name = team_at(rot.pattern, rot.anchor, rot.shift_hours, at)
        team = teams.get((rot.region, name))
        out.append(
            Duty(
                region=rot.region,
                team=name,
                shift_start=start,
                shift_end=start + timedelta(hours=rot.shift_hours),
                officers=list(team.officers) if team else [],
                units=list(team.units) if team else [],
            )
        )
    return out


def unit_duty(*, session: Session, at: datetime) -> tuple[set[str], set[str]]:
    """(units that belong to some team, units whose team is on shift at ``at``)."""
    rostered = {u for t in session.execute(select(Team)).scalars() for u in t.units}
    on = {u for d in duty_now(session=session, at=at) for u in d.units}
    return rostered, on


def gaps(*, session: Session, start: datetime, hours: int) -> list[Gap]:
    """Shifts starting before ``start + hours`` (and the current one) that are short of units."""
    teams = _teams(session)
    usable = {
        u.callsign for u in session.execute(select(Unit)).scalars() if u.status not in UNUSABLE_STATUSES
    }
    end = start + timedelta(hours=hours)
    found = []
    for rot in session.execute(select(Rotation).order_by(Rotation.region)).scalars():
        slot = slot_at(rot.anchor, rot.shift_hours, start)
        while True:
            s = rot.anchor + timedelta(hours=rot.shift_hours * slot)
            if s >= end:
                break
            name = rot.pattern[slot % len(rot.pattern)] if rot.pattern else ""
            team = teams.get((rot.region, name))
            count = len([u for u in (team.units if team else []) if u in usable])
            reason = ""
            if not name:
                reason = "no team in the pattern for this shift"
            elif team is None:
                reason = f"team {name} is not defined in region {rot.region}"
            elif count < rot.min_units:
                reason = f"team {name} has {count} usable unit(s), needs {rot.min_units}"
            if reason:
                found.append(
                    Gap(
                        rot.region,
                        s,
                        s + timedelta(hours=rot.shift_hours),
                        name,
                        count,
                        rot.min_units,
                        reason,
                    )
                )
            slot += 1
    return found
