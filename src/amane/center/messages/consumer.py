"""Acks and crew messages units publish on the bus (``amane.unit.<id>.message``), stored as the API does.

Units that talk only over the bus (NATS, no HTTP channel) acknowledge and write to the centre here. Start it
with the centre: ``asyncio.create_task(consume_unit_messages(center))``. The subject names the unit, and a
message that claims another unit is dropped, as the centre does for alerts and heartbeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import TypeAdapter, ValidationError

from amane.bus import Delivery, subjects
from amane.center.errors import CenterError
from amane.center.live.hub import Scope
from amane.center.messages import service
from amane.center.messages.schemas import MessagePublic
from amane.center.runtime import Center
from amane.core.messages import MessageAck, UnitMessage

logger = logging.getLogger(__name__)

_PAYLOAD: TypeAdapter[MessageAck | UnitMessage] = TypeAdapter(MessageAck | UnitMessage)


def _store(center: Center, callsign: str, message: MessageAck | UnitMessage) -> MessagePublic:
    with center.db.writing() as session:
        if isinstance(message, MessageAck):
            delivery = service.apply_ack(session=session, callsign=callsign, ack=message)
            return service.to_public(service.get_message(session=session, message_id=delivery.message.id))
        stored, _ = service.store_from_unit(session=session, callsign=callsign, wire=message)
        return service.to_public(stored)


async def handle(center: Center, delivery: Delivery) -> None:
    """Store one delivery (refusals are logged and acknowledged: redelivering would not fix them)."""
    callsign = delivery.subject.split(".")[2] if delivery.subject.count(".") >= 3 else ""
    try:
        message = _PAYLOAD.validate_json(delivery.data)
        public = await asyncio.to_thread(_store, center, callsign, message)
    except (ValidationError, CenterError) as err:
        logger.warning("dropping a unit message on %s: %s", delivery.subject, err)
        await center.bus.ack(delivery)
        return
    await center.live.publish("message.updated", Scope.UNITS, public.model_dump(mode="json"))
    await center.bus.ack(delivery)


async def consume_unit_messages(center: Center) -> None:
    """Consume ``amane.unit.*.message`` until cancelled (one share of a queue group per centre worker)."""
    sub = await center.bus.subscribe(subjects.ALL_UNIT_MESSAGES, durable="center-messages", queue="center")
    try:
        async for delivery in sub:
            try:
                await handle(center, delivery)
            except Exception:  # a database hiccup: let the bus redeliver it
                logger.exception(
                    "could not store a unit message from %s; it will be redelivered", delivery.subject
                )
                await center.bus.nak(delivery)
    finally:  # bounded: a broker that went away must not hold up the centre's shutdown
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sub.close(), 5.0)
