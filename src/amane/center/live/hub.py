"""Fan-out of live events to this worker's dashboard sockets.

Every state change is published once on the bus subject ``LIVE_EVENTS``; every centre worker
subscribes (plain subscription, no queue group) and pushes it to *its own* sockets. With the
in-process bus that is one worker; with NATS it is all of them, so a dashboard connected to any
worker sees changes made on any other.

Each socket has a bounded queue drained by its own sender task: a slow socket delays nobody, and
one that falls ``queue_size`` events behind is closed (the dashboard reconnects and reloads).
Each event is serialised once and the same text is queued to every socket that may see it.

A dashboard that connects with ``?batch=1`` accepts ``{"type": "batch", "events": [...]}``
messages: events queued while a send was in flight go out together (see ``LiveHub._send``).

Scopes: ``alerts`` events (``alert.new``, ``alert.updated``) go to admin, supervisor, operator
and analyst; ``units`` events (``unit.position`` on a heartbeat, ``unit.updated`` when a unit
goes offline) to admin, supervisor and operator (an analyst
works on alerts, not on where the crews are now); an auditor gets no live feed at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from amane.bus import Bus, Subscription
from amane.bus.subjects import LIVE_EVENTS
from amane.center.auth.roles import ALERT_READERS, UNIT_VIEWERS, Role

logger = logging.getLogger(__name__)


class Scope(StrEnum):
    ALERTS = "alerts"
    UNITS = "units"


YIELD_EVERY = 16
"""The fan-out task yields to the socket senders after this many events of a burst (queues >> this)."""
MAX_BATCH = 256
"""Most events one batched message carries."""

SCOPE_ROLES: dict[Scope, frozenset[Role]] = {Scope.ALERTS: ALERT_READERS, Scope.UNITS: UNIT_VIEWERS}
LIVE_ROLES = ALERT_READERS | UNIT_VIEWERS


def scopes_for(role: Role) -> frozenset[Scope]:
    """The live scopes a role may receive."""
    return frozenset(scope for scope, roles in SCOPE_ROLES.items() if role in roles)


@dataclass(eq=False)
class LiveClient:
    """One connected dashboard; ``sender`` is the task draining its queue into the socket."""

    socket: Any
    username: str
    scopes: frozenset[Scope]
    queue: asyncio.Queue[str]
    batch: bool = False
    sender: asyncio.Task[None] | None = None
    reason: str = ""


class LiveHub:
    """Publishes live events on the bus and fans the bus's live events out to local sockets."""

    def __init__(self, bus: Bus, *, queue_size: int = 512) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        self.bus = bus
        self.queue_size = queue_size
        self.clients: set[LiveClient] = set()
        self._sub: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    async def start(self) -> None:
        self._sub = await self.bus.subscribe(LIVE_EVENTS)
        self._task = asyncio.create_task(self._pump(self._sub), name="live-hub")

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for client in list(self.clients):
            self._drop(client, "server stopping")

    async def publish(self, event_type: str, scope: Scope, data: dict[str, Any]) -> None:
        """Announce a change to every worker's dashboards (``data`` must be JSON-ready).

        On the bus the event is ``<scope>\n<frame>``: each worker routes on the scope and sends the
        frame (``{"type": ..., "data": ...}``) to its sockets without re-encoding it.
        """
        frame = json.dumps({"type": event_type, "data": data}, separators=(",", ":"))
        await self.bus.publish(LIVE_EVENTS, f"{scope.value}\n{frame}".encode())

    async def publish_model(self, event_type: str, scope: Scope, data: BaseModel) -> None:
        """:meth:`publish` for a pydantic model, serialised once by pydantic (the fast path)."""
        frame = f'{{"type":{json.dumps(event_type)},"data":{data.model_dump_json()}}}'
        await self.bus.publish(LIVE_EVENTS, f"{scope.value}\n{frame}".encode())

    async def _pump(self, sub: Subscription) -> None:
        pumped = 0
        async for delivery in sub:
            try:  # "<scope>\n<frame>": the frame goes to the sockets as it is, parsed by nobody here
                head, _, text = delivery.data.decode().partition("\n")
                scope = Scope(head)
            except (ValueError, UnicodeDecodeError) as err:
                logger.warning("dropping a malformed live event: %s", err)
                continue
            pressed = self.fan_out(scope, text)
            pumped += 1
            if pressed or pumped % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # in a burst, let the senders drain before queues fill

    def fan_out(self, scope: Scope, text: str) -> bool:
        """Queue ``text`` to every client allowed ``scope``; close those whose queue is full.

        Returns whether some queue is half full (the caller should let the senders run).
        """
        pressed = False
        for client in list(self.clients):
            if scope not in client.scopes:
                continue
            try:
                client.queue.put_nowait(text)
                pressed = pressed or 2 * client.queue.qsize() >= self.queue_size
            except asyncio.QueueFull:
                self.dropped += 1
                self._drop(client, "too slow: fell behind the live feed")
        return pressed

    def add(self, socket: Any, *, username: str, role: Role, batch: bool = False) -> LiveClient:
        """Register a socket and start its sender task (``batch``: see :meth:`_send`)."""
        client = LiveClient(socket, username, scopes_for(role), asyncio.Queue(self.queue_size), batch)
        client.sender = asyncio.create_task(self._send(client), name=f"live-{username}")
        self.clients.add(client)
        return client

    def _drop(self, client: LiveClient, reason: str) -> None:
        if client in self.clients:
            logger.info("closing live socket of %s: %s", client.username, reason)
            client.reason = reason
            self.remove(client)

    def remove(self, client: LiveClient) -> None:
        """Forget a client and stop its sender."""
        self.clients.discard(client)
        if client.sender is not None and not client.sender.done():
            client.sender.cancel()

    async def _send(self, client: LiveClient) -> None:
        """Drain the client's queue into its socket.

        A client that asked for batches gets the events that piled up while the previous send was
        in flight as ONE message ``{"type": "batch", "events": [event, ...]}`` (a lone event still
        goes as itself): under load that is one frame and one system call instead of dozens.
        """
        try:
            while True:
                text = await client.queue.get()
                if client.batch and not client.queue.empty():
                    frames = [text]
                    while not client.queue.empty() and len(frames) < MAX_BATCH:
                        frames.append(client.queue.get_nowait())
                    text = '{"type":"batch","events":[' + ",".join(frames) + "]}"
                await client.socket.send_text(text)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # the socket went away mid-send
            logger.debug("live socket of %s failed: %s", client.username, err)
            self.clients.discard(client)
