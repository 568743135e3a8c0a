"""In-process bus for the embedded default: one event loop, no broker, same semantics as NATS.

Plain subscriptions get every matching message. Subscriptions sharing a ``queue`` name get each
message once between them (round robin). ``durable`` subscriptions track unacked deliveries and
redeliver them after ``ack_wait`` seconds or on ``nak``. Nothing survives a restart: that is what
the unit's SQLite outbox and the NATS bus are for.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from amane.bus.base import Delivery
from amane.bus.subjects import matches

logger = logging.getLogger(__name__)

_CLOSED = object()


@dataclass(eq=False)
class _Pending:
    subject: str
    data: bytes
    redelivered: int = 0
    timer: asyncio.TimerHandle | None = None


@dataclass(eq=False)
class MemorySubscription:
    """A subscription on a :class:`MemoryBus`."""

    bus: MemoryBus
    pattern: str
    durable: str | None
    queue_group: str | None
    max_pending: int
    queue: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    unacked: dict[int, _Pending] = field(default_factory=dict)
    closed: bool = False

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Delivery]:
        while True:
            item = await self.queue.get()
            if item is _CLOSED:
                return
            assert isinstance(item, Delivery)
            yield item

    def offer(self, pending: _Pending) -> None:
        if self.closed:
            return
        token = next(self.bus.tokens)
        if self.durable is not None:
            self.unacked[token] = pending
            pending.timer = asyncio.get_running_loop().call_later(
                self.bus.ack_wait, self.redeliver, token)
        self.queue.put_nowait(Delivery(pending.subject, pending.data, (self, token), pending.redelivered))

    def settle(self, token: int, *, redeliver: bool) -> None:
        pending = self.unacked.pop(token, None)
        if pending is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        if redeliver:
            pending.redelivered += 1
            self.offer(pending)

    def redeliver(self, token: int) -> None:
        logger.debug("redelivering unacked message on %s", self.pattern)
        self.settle(token, redeliver=True)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for pending in self.unacked.values():
            if pending.timer is not None:
                pending.timer.cancel()
        self.unacked.clear()
        self.bus.forget(self)
        self.queue.put_nowait(_CLOSED)


class MemoryBus:
    """The embedded :class:`~amane.bus.base.Bus`."""

    def __init__(self, *, ack_wait: float = 30.0, max_pending: int = 100_000) -> None:
        if ack_wait <= 0:
            raise ValueError(f"ack_wait must be > 0 seconds, got {ack_wait}")
        self.ack_wait = ack_wait
        self.max_pending = max_pending
        self.tokens = itertools.count()
        self._subs: list[MemorySubscription] = []
        self._round_robin: dict[str, int] = {}

    async def publish(self, subject: str, data: bytes) -> None:
        if "*" in subject or ">" in subject:
            raise ValueError(f"cannot publish to a wildcard subject: {subject!r}")
        groups: dict[str, list[MemorySubscription]] = {}
        for sub in self._subs:
            if not matches(sub.pattern, subject):
                continue
            if sub.queue_group is None:
                sub.offer(_Pending(subject, data))
            else:
                groups.setdefault(sub.queue_group, []).append(sub)
        for name, members in groups.items():
            turn = self._round_robin.get(name, 0)
            self._round_robin[name] = turn + 1
            members[turn % len(members)].offer(_Pending(subject, data))

    async def subscribe(self, subject: str, *, durable: str | None = None,
                        queue: str | None = None) -> MemorySubscription:
        sub = MemorySubscription(self, subject, durable, queue, self.max_pending)
        self._subs.append(sub)
        return sub

    async def ack(self, delivery: Delivery) -> None:
        self._settle(delivery, redeliver=False)

    async def nak(self, delivery: Delivery) -> None:
        self._settle(delivery, redeliver=True)

    def _settle(self, delivery: Delivery, *, redeliver: bool) -> None:
        if not isinstance(delivery.token, tuple):
            raise ValueError("delivery was not produced by this MemoryBus")
        sub, token = delivery.token
        if isinstance(sub, MemorySubscription) and isinstance(token, int):
            sub.settle(token, redeliver=redeliver)

    def forget(self, sub: MemorySubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)

    async def close(self) -> None:
        for sub in list(self._subs):
            await sub.close()
