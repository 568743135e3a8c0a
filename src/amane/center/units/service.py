"""Units: registration and credentials, heartbeats, online status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from amane.center import security
from amane.center.audit import service as audit
from amane.center.errors import Conflict, NotFound
from amane.center.units.schemas import UnitPublic
from amane.core.messages import GeoPoint, Heartbeat, UnitKind
from amane.store.models import Unit, UnitToken


@dataclass(frozen=True, slots=True)
class UnitIdentity:
    """The unit behind a valid bearer token."""

    unit_id: int
    callsign: str
    token_id: int

    @property
    def actor(self) -> str:
        return f"unit:{self.callsign}"


def to_public(unit: Unit, *, online_within: timedelta, now: datetime | None = None) -> UnitPublic:
    now = now or datetime.now(UTC)
    position = (
        GeoPoint(lat=unit.last_lat, lon=unit.last_lon)
        if unit.last_lat is not None and unit.last_lon is not None
        else None
    )
    online = unit.last_seen_at is not None and now - unit.last_seen_at <= online_within
    return UnitPublic(
        callsign=unit.callsign,
        kind=unit.kind,
        region=unit.region,
        status=unit.status,
        online=online,
        last_position=position,
        heading_deg=unit.heading_deg,
        last_seen_at=unit.last_seen_at,
    )


def register_unit(
    *, session: Session, callsign: str, kind: UnitKind | str, region: str, actor: str = "system"
) -> tuple[Unit, str]:
    """Create a unit and its first token; returns (unit, plain token). The caller commits."""
    if session.execute(select(Unit.id).where(Unit.callsign == callsign)).first() is not None:
        raise Conflict(f"unit {callsign!r} exists")
    unit = Unit(
        callsign=callsign,
        kind=UnitKind(kind).value,
        region=region,
        status="available",
        created_at=datetime.now(UTC),
    )
    session.add(unit)
    session.flush()
    token = issue_token(session=session, unit=unit, actor=actor)
    audit.append(
        session=session,
        actor=actor,
        action="unit.register",
        target=f"unit:{callsign}",
        details={"kind": unit.kind, "region": region},
    )
    return unit, token


def issue_token(*, session: Session, unit: Unit, actor: str = "system") -> str:
    """A new bearer token for ``unit`` (older ones stay valid until revoked). The caller commits."""
    token = security.new_token(security.UNIT_TOKEN_PREFIX)
    session.add(
        UnitToken(unit_id=unit.id, token_hash=security.token_hash(token), created_at=datetime.now(UTC))
    )
    session.flush()
    audit.append(session=session, actor=actor, action="unit.token_issue", target=f"unit:{unit.callsign}")
    return token


def revoke_unit(*, session: Session, callsign: str, actor: str = "system") -> int:
    """Revoke every live token of a unit (stolen vehicle, lost key); returns how many. The caller commits."""
    unit = session.execute(select(Unit).where(Unit.callsign == callsign)).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"no unit {callsign!r}")
    now = datetime.now(UTC)
    result = session.execute(
        update(UnitToken)
        .where(UnitToken.unit_id == unit.id, UnitToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    audit.append(
        session=session,
        actor=actor,
        action="unit.revoke",
        target=f"unit:{callsign}",
        details={"tokens": count},
    )
    return count


def identify(*, session: Session, token: str) -> UnitIdentity | None:
    """The unit a bearer token belongs to, or None when unknown or revoked."""
    found = session.execute(
        select(UnitToken.id, UnitToken.revoked_at, Unit.id, Unit.callsign)
        .join(Unit, Unit.id == UnitToken.unit_id)
        .where(UnitToken.token_hash == security.token_hash(token))
    ).first()
    if found is None or found[1] is not None:
        return None
    return UnitIdentity(unit_id=found[2], callsign=found[3], token_id=found[0])


def record_auth_failure(*, session: Session, reason: str, source: str, token_hint: str) -> None:
    """Audit a refused unit credential (the caller commits)."""
    audit.append(
        session=session,
        actor="unit:?",
        action="unit.auth_failed",
        target=source[:256],
        details={"reason": reason, "token": token_hint},
    )


def list_units(*, session: Session, online_within: timedelta, region: str | None = None) -> list[UnitPublic]:
    stmt = select(Unit).order_by(Unit.callsign)
    if region is not None:
        stmt = stmt.where(Unit.region == region)
    now = datetime.now(UTC)
    return [to_public(u, online_within=online_within, now=now) for u in session.execute(stmt).scalars()]


def apply_heartbeats(
    session: Session, beats: Sequence[tuple[Heartbeat, datetime]], *, online_within: timedelta
) -> list[UnitPublic | None]:
    """Group-commit handler: store the latest heartbeat per unit; one result per beat (None: unknown unit)."""
    latest: dict[str, tuple[Heartbeat, datetime]] = {}
    for beat, received in beats:
        held = latest.get(beat.unit_id)
        if held is None or beat.sent_at >= held[0].sent_at:
            latest[beat.unit_id] = (beat, received)
    units = {u.callsign: u for u in session.execute(select(Unit).where(Unit.callsign.in_(latest))).scalars()}
    for callsign, (beat, received) in latest.items():
        unit = units.get(callsign)
        if unit is None:
            continue
        unit.last_seen_at, unit.status, unit.speed_mps = received, beat.status.value, beat.speed_mps
        unit.heading_deg = beat.heading_deg
        if beat.position is not None:
            unit.last_lat, unit.last_lon = beat.position.lat, beat.position.lon
    session.flush()
    public = {c: to_public(u, online_within=online_within) for c, u in units.items()}
    return [public.get(beat.unit_id) for beat, _ in beats]
