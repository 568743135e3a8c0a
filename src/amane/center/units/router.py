"""``/api/v1/units``: the fleet (staff), registration and revocation (admin, supervisor), heartbeats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException

from amane.center.auth.roles import ALERT_READERS, UNIT_MANAGERS, UNIT_VIEWERS
from amane.center.auth.service import AuthUser
from amane.center.deps import CenterDep, CurrentUnit, ReadSessionDep, SessionDep, require_role
from amane.center.units import service
from amane.center.units.schemas import HeartbeatAccepted, UnitCreate, UnitPublic, UnitRegistered, UnitRevoked
from amane.core.messages import Heartbeat

router = APIRouter(prefix="/api/v1/units", tags=["units"])

Viewer = Annotated[AuthUser, require_role(*ALERT_READERS)]
Manager = Annotated[AuthUser, require_role(*UNIT_MANAGERS)]


@router.get("")
def list_units(
    user: Viewer, session: ReadSessionDep, center: CenterDep, region: str | None = None
) -> list[UnitPublic]:
    """The fleet. Roles that may not follow crews (analyst) get it without positions and headings."""
    units = service.list_units(session=session, online_within=center.online_within, region=region)
    if user.role in UNIT_VIEWERS:
        return units
    return [u.model_copy(update={"last_position": None, "heading_deg": None}) for u in units]


@router.post("", status_code=201)
def register(body: UnitCreate, user: Manager, session: SessionDep, center: CenterDep) -> UnitRegistered:
    unit, token = service.register_unit(
        session=session, callsign=body.callsign, kind=body.kind, region=body.region, actor=user.actor
    )
    session.commit()
    return UnitRegistered(unit=service.to_public(unit, online_within=center.online_within), token=token)


@router.post("/{callsign}/revoke")
def revoke(callsign: str, user: Manager, session: SessionDep, center: CenterDep) -> UnitRevoked:
    count = service.revoke_unit(session=session, callsign=callsign, actor=user.actor)
    session.commit()
    center.unit_tokens.forget_unit(callsign)
    return UnitRevoked(callsign=callsign, revoked_tokens=count)


@router.post("/heartbeat")
async def heartbeat(beat: Heartbeat, unit: CurrentUnit, center: CenterDep) -> HeartbeatAccepted:
    if beat.unit_id != unit.callsign:
        raise HTTPException(403, f"this token belongs to unit {unit.callsign}, not {beat.unit_id}")
    state = await center.ingest_heartbeat(beat)
    if state is None:
        raise HTTPException(404, f"unit {beat.unit_id} is not registered")
    return HeartbeatAccepted(callsign=state.callsign, online=state.online)
