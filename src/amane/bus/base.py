"""The broker behind a Protocol: publish, subscribe as an async iterator, ack.

Delivery is at-least-once: a durable subscriber that does not ``ack`` a delivery gets it
again (after ``ack_wait`` or at once on ``nak``). Consumers must therefore be idempotent,
which the centre is (alerts are stored by their id).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from amane.core.messages import WireMessage, encode


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message as a subscriber receives it. ``token`` is what ``ack`` needs."""

    subject: str
    data: bytes
    token: object = field(default=None, compare=False, repr=False)
    redelivered: int = 0


@runtime_checkable
class Subscription(Protocol):
    """An open subscription: iterate it to receive, close it to stop."""

    def __aiter__(self) -> AsyncIterator[Delivery]: ...

    async def close(self) -> None: ...


@runtime_checkable
class Bus(Protocol):
    """What every bus implementation offers (in-process memory, NATS JetStream)."""

    async def publish(self, subject: str, data: bytes) -> None:
        """Publish; returns once the bus has accepted the message (persisted, for a durable bus)."""
        ...

    async def subscribe(self, subject: str, *, durable: str | None = None,
                        queue: str | None = None) -> Subscription:
        """Subscribe to a subject pattern.

        ``durable`` names a consumer whose unacked messages are redelivered; ``queue`` makes
        several subscribers share the load (each message goes to one of them).
        """
        ...

    async def ack(self, delivery: Delivery) -> None:
        """Confirm a delivery was handled; it will not be redelivered."""
        ...

    async def nak(self, delivery: Delivery) -> None:
        """Refuse a delivery for now; it will be redelivered."""
        ...

    async def close(self) -> None: ...


async def publish_message(bus: Bus, subject: str, message: WireMessage) -> None:
    """Publish a wire message encoded as JSON."""
    await bus.publish(subject, encode(message))
