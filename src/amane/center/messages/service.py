"""Messaging: store and address messages, serve a unit's inbox by cursor, record delivery acknowledgements.

A message to one unit has one delivery row; a region broadcast has one per unit of the region when it is
sent. Delivery states only move forward: ``sent`` -> ``delivered`` -> ``read`` (a ``read`` ack also sets
``delivered`` when that ack was lost). Everything is idempotent by message id, so units may re-send.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from amane.center.audit import service as audit
from amane.center.errors import Forbidden, Invalid, NotFound
from amane.center.messages.models import Message, MessageDelivery
from amane.center.messages.schemas import DeliveryPublic, MessageCreate, MessagePublic
from amane.core.messages import AckState, GeoPoint, MessageAck, MessageKind, UnitMessage
from amane.store.models import Unit

_RANK = {"sent": 0, "delivered": 1, "read": 2}


def to_public(message: Message) -> MessagePublic:
    """The dashboard view of a stored message."""
    location = (
        GeoPoint(lat=message.lat, lon=message.lon)
        if message.lat is not None and message.lon is not None
        else None
    )
    return MessagePublic(
        id=message.id,
        direction=message.direction,
        unit=message.unit_callsign,
        region=message.region,
        kind=message.kind,
        body=message.body,
        location=location,
        sender=message.sender,
        sent_at=message.sent_at,
        deliveries=[
            DeliveryPublic(
                unit=d.unit_callsign, state=d.state, delivered_at=d.delivered_at, read_at=d.read_at
            )  # type: ignore[arg-type]
            for d in message.deliveries
        ],
    )


def to_wire(message: Message) -> UnitMessage:
    """The wire form a unit receives."""
    location = (
        GeoPoint(lat=message.lat, lon=message.lon)
        if message.lat is not None and message.lon is not None
        else None
    )
    return UnitMessage(
        id=message.id,
        direction="to_unit",
        unit_id=message.unit_callsign if message.region is None else None,
        region=message.region,
        kind=MessageKind(message.kind),
        body=message.body,
        location=location,
        sender=message.sender,
        sent_at=message.sent_at,
    )


def _store(session: Session, wire: UnitMessage, addressees: Sequence[str]) -> Message:
    message = Message(
        id=wire.id,
        direction=wire.direction,
        unit_callsign=wire.unit_id,
        region=wire.region,
        kind=wire.kind.value,
        body=wire.body,
        lat=wire.location.lat if wire.location else None,
        lon=wire.location.lon if wire.location else None,
        sender=wire.sender,
        sent_at=wire.sent_at,
        deliveries=[MessageDelivery(unit_callsign=c, state="sent") for c in addressees],
    )
    session.add(message)
    session.flush()
    return message


def send_to_unit(*, session: Session, callsign: str, body: MessageCreate, sender: str) -> Message:
    """A message to one registered unit. The caller commits (then publishes it on the bus)."""
    if session.execute(select(Unit.id).where(Unit.callsign == callsign)).first() is None:
        raise NotFound(f"unit {callsign!r} is not registered")
    wire = UnitMessage(
        unit_id=callsign, kind=body.kind, body=body.body, location=body.location, sender=sender
    )
    message = _store(session, wire, [callsign])
    audit.append(
        session=session,
        actor=f"user:{sender}",
        action="message.send",
        target=f"unit:{callsign}",
        details={"message_id": str(wire.id), "kind": wire.kind.value},
    )
    return message


def broadcast_to_region(*, session: Session, region: str, body: MessageCreate, sender: str) -> Message:
    """A message to every unit registered in ``region`` now. The caller commits."""
    callsigns = list(session.execute(select(Unit.callsign).where(Unit.region == region)).scalars())
    if not callsigns:
        raise NotFound(f"no unit is registered in region {region!r}")
    wire = UnitMessage(region=region, kind=body.kind, body=body.body, location=body.location, sender=sender)
    message = _store(session, wire, callsigns)
    audit.append(
        session=session,
        actor=f"user:{sender}",
        action="message.broadcast",
        target=f"region:{region}",
        details={"message_id": str(wire.id), "units": len(callsigns)},
    )
    return message


def inbox(*, session: Session, callsign: str, after: int, limit: int = 100) -> tuple[list[UnitMessage], int]:
    """Messages addressed to ``callsign`` with ``seq > after``, oldest first; and the new cursor."""
    rows = list(
        session.execute(
            select(Message)
            .join(MessageDelivery, MessageDelivery.message_seq == Message.seq)
            .where(MessageDelivery.unit_callsign == callsign, Message.seq > after)
            .order_by(Message.seq)
            .limit(limit)
        ).scalars()
    )
    return [to_wire(m) for m in rows], (rows[-1].seq if rows else after)


def apply_ack(*, session: Session, callsign: str, ack: MessageAck) -> MessageDelivery:
    """Move a delivery forward (never back). The caller commits."""
    if ack.unit_id != callsign:
        raise Forbidden(f"this token belongs to unit {callsign}, not {ack.unit_id}")
    delivery = session.execute(
        select(MessageDelivery)
        .join(Message, Message.seq == MessageDelivery.message_seq)
        .where(Message.id == ack.message_id, MessageDelivery.unit_callsign == callsign)
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"message {ack.message_id} was not sent to unit {callsign}")
    at = ack.at.astimezone(UTC)
    if delivery.delivered_at is None:
        delivery.delivered_at = at
    if ack.state is AckState.READ and delivery.read_at is None:
        delivery.read_at = at
    if _RANK[ack.state.value] > _RANK[delivery.state]:
        delivery.state = ack.state.value
    session.flush()
    return delivery


def store_from_unit(*, session: Session, callsign: str, wire: UnitMessage) -> tuple[Message, bool]:
    """A crew's message to the centre, stored once by id; returns (message, created)."""
    if wire.direction != "from_unit" or wire.unit_id != callsign:
        raise Invalid(f"a message from unit {callsign} must be direction from_unit with unit_id {callsign}")
    existing = session.execute(select(Message).where(Message.id == wire.id)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    return _store(session, wire, []), True


def list_messages(*, session: Session, unit: str | None = None, limit: int = 100) -> list[MessagePublic]:
    """Newest first, with delivery states; ``unit`` filters on the addressee or sender."""
    query = (
        select(Message).options(selectinload(Message.deliveries)).order_by(Message.seq.desc()).limit(limit)
    )
    if unit is not None:
        query = query.where(
            (Message.unit_callsign == unit)
            | Message.seq.in_(
                select(MessageDelivery.message_seq).where(MessageDelivery.unit_callsign == unit)
            )
        )
    return [to_public(m) for m in session.execute(query).scalars()]


def get_message(*, session: Session, message_id: uuid.UUID) -> Message:
    """One message with its deliveries."""
    message = session.execute(
        select(Message).options(selectinload(Message.deliveries)).where(Message.id == message_id)
    ).scalar_one_or_none()
    if message is None:
        raise NotFound(f"message {message_id} not found")
    return message


def now() -> datetime:
    """The centre clock (UTC)."""
    return datetime.now(UTC)
