"""Messaging routes: dispatchers send to a unit or a region; units poll their inbox, acknowledge, and write.

Staff (admin, supervisor, operator):
``POST /api/v1/units/{callsign}/messages``, ``POST /api/v1/regions/{region}/broadcast``,
``GET /api/v1/messages`` (with delivery states sent/delivered/read).
Units (bearer token): ``GET /api/v1/units/me/messages?after=``, ``POST /api/v1/units/me/acks``,
``POST /api/v1/units/me/messages`` (a crew's message to the centre).

A message sent by staff is also published on the bus (``subjects.unit_inbox`` / ``region_broadcast``)
for units that subscribe; polling units get it from their inbox. Delivery changes go live to dashboards.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from amane.bus import subjects
from amane.center.auth.roles import UNIT_VIEWERS
from amane.center.auth.service import AuthUser
from amane.center.deps import CenterDep, CurrentUnit, ReadSessionDep, require_role
from amane.center.live.hub import Scope
from amane.center.messages import service
from amane.center.messages.schemas import AckAccepted, InboxPage, MessageCreate, MessagePublic
from amane.center.runtime import Center
from amane.core.messages import MessageAck, Region, UnitId, UnitMessage, encode

router = APIRouter(prefix="/api/v1", tags=["messages"])

Dispatcher = Annotated[AuthUser, require_role(*UNIT_VIEWERS)]


# Unit routes first: "/units/me/messages" must win over "/units/{callsign}/messages".
@router.get("/units/me/messages")
def unit_inbox(
    unit: CurrentUnit,
    session: ReadSessionDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> InboxPage:
    """Messages for the calling unit after cursor ``after`` (oldest first) and the next cursor."""
    messages, cursor = service.inbox(session=session, callsign=unit.callsign, after=after, limit=limit)
    return InboxPage(messages=messages, cursor=str(cursor))


@router.post("/units/me/acks")
async def unit_ack(ack: MessageAck, unit: CurrentUnit, center: CenterDep) -> AckAccepted:
    """The unit got (``delivered``) or its crew read (``read``) a message."""
    public = await run_in_threadpool(_ack, center, unit.callsign, ack)
    await center.live.publish("message.updated", Scope.UNITS, public.model_dump(mode="json"))
    state = next(d.state for d in public.deliveries if d.unit == unit.callsign)
    return AckAccepted(message_id=ack.message_id, state=state)


def _ack(center: Center, callsign: str, ack: MessageAck) -> MessagePublic:
    with center.db.writing() as session:
        delivery = service.apply_ack(session=session, callsign=callsign, ack=ack)
        return service.to_public(service.get_message(session=session, message_id=delivery.message.id))


@router.post("/units/me/messages", status_code=201)
async def unit_message(message: UnitMessage, unit: CurrentUnit, center: CenterDep) -> MessagePublic:
    """A crew's message to the centre (stored once by id)."""
    public, created = await run_in_threadpool(_from_unit, center, unit.callsign, message)
    if created:
        await center.live.publish("message.new", Scope.UNITS, public.model_dump(mode="json"))
    return public


def _from_unit(center: Center, callsign: str, message: UnitMessage) -> tuple[MessagePublic, bool]:
    with center.db.writing() as session:
        stored, created = service.store_from_unit(session=session, callsign=callsign, wire=message)
        return service.to_public(stored), created


@router.post("/units/{callsign}/messages", status_code=201)
async def send_to_unit(
    callsign: UnitId, body: MessageCreate, user: Dispatcher, center: CenterDep
) -> MessagePublic:
    """Send a text, order or go-to to one unit."""
    public, wire = await run_in_threadpool(_send, center, body, user.username, callsign, None)
    await center.bus.publish(subjects.unit_inbox(callsign), encode(wire))
    await center.live.publish("message.new", Scope.UNITS, public.model_dump(mode="json"))
    return public


@router.post("/regions/{region}/broadcast", status_code=201)
async def broadcast(
    region: Region, body: MessageCreate, user: Dispatcher, center: CenterDep
) -> MessagePublic:
    """Send to every unit of a region."""
    public, wire = await run_in_threadpool(_send, center, body, user.username, None, region)
    await center.bus.publish(subjects.region_broadcast(region), encode(wire))
    await center.live.publish("message.new", Scope.UNITS, public.model_dump(mode="json"))
    return public


def _send(
    center: Center, body: MessageCreate, sender: str, callsign: str | None, region: str | None
) -> tuple[MessagePublic, UnitMessage]:
    with center.db.writing() as session:
        if callsign is not None:
            message = service.send_to_unit(session=session, callsign=callsign, body=body, sender=sender)
        else:
            assert region is not None
            message = service.broadcast_to_region(session=session, region=region, body=body, sender=sender)
        return service.to_public(message), service.to_wire(message)


@router.get("/messages")
def list_messages(
    user: Dispatcher,
    session: ReadSessionDep,
    unit: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MessagePublic]:
    """Newest first, each with its addressees' delivery states (sent, delivered, read)."""
    return service.list_messages(session=session, unit=unit, limit=limit)


@router.get("/messages/{message_id}")
def get_message(message_id: uuid.UUID, user: Dispatcher, session: ReadSessionDep) -> MessagePublic:
    """One message with its delivery states."""
    return service.to_public(service.get_message(session=session, message_id=message_id))
