"""The running centre: database, bus, group-commit writer, live hub, bus consumers, unit-token cache.

One :class:`Center` per worker process. The FastAPI app holds it in ``app.state.center`` and starts
and stops its async parts in the app's lifespan. Alerts and heartbeats reach the same code path
whether they come over HTTP or over the bus: validated wire message -> group-commit writer ->
commit -> live event on the bus -> every worker's dashboards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from pydantic import ValidationError

from amane.bus import Bus, Delivery, connect_bus, subjects
from amane.center.alerts.schemas import AlertPublic
from amane.center.alerts.service import insert_alerts, public_from_wire
from amane.center.live.hub import LiveHub, Scope
from amane.center.units.schemas import UnitPublic
from amane.center.units.service import UnitIdentity, apply_heartbeats, list_units
from amane.config import CenterSettings
from amane.core.messages import Alert, Heartbeat, WireMessage, decode_as
from amane.store import Database, upgrade
from amane.store.writer import GroupCommitWriter

logger = logging.getLogger(__name__)

NAK_BACKOFF_S = 0.5
CONSUME_IN_FLIGHT = 256


class UnitTokenCache:
    """Verified unit tokens (by hash) for ``ttl`` seconds, so the hot ingest path skips the database."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[UnitIdentity, float]] = {}

    def get(self, digest: str) -> UnitIdentity | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            del self._entries[digest]
            return None
        return entry[0]

    def put(self, digest: str, unit: UnitIdentity) -> None:
        if self.ttl > 0:
            self._entries[digest] = (unit, time.monotonic() + self.ttl)

    def forget_unit(self, callsign: str) -> None:
        for digest in [d for d, (u, _) in self._entries.items() if u.callsign == callsign]:
            del self._entries[digest]


class Center:
    """Everything one centre worker runs (see the module docstring)."""

    def __init__(
        self, settings: CenterSettings, *, db: Database | None = None, bus: Bus | None = None
    ) -> None:
        self.settings = settings
        self.db = db or Database(settings.sqlalchemy_url)
        self.bus = bus or connect_bus(settings.bus_url)
        self.online_within = timedelta(seconds=settings.unit_online_seconds)
        self.live = LiveHub(self.bus, queue_size=settings.live_queue_size)
        self.writer = GroupCommitWriter(
            self.db,
            {
                "alert": insert_alerts,
                "heartbeat": partial(apply_heartbeats, online_within=self.online_within),
            },
            max_batch=settings.ingest_batch_max,
        )
        self.unit_tokens = UnitTokenCache(settings.unit_token_cache_seconds)
        self._tasks: list[asyncio.Task[None]] = []
        self._online: set[str] | None = None
        self.started = False

    def migrate(self) -> None:
        """Bring the schema up to date and make the evidence directory (idempotent)."""
        upgrade(self.db.write_engine)
        self.settings.evidence_path.mkdir(parents=True, exist_ok=True)

    async def start(self) -> None:
        if self.started:
            return
        await self.writer.start()
        await self.live.start()
        alerts = await self.bus.subscribe(subjects.ALL_ALERTS, durable="center-alerts", queue="center")
        beats = await self.bus.subscribe(subjects.ALL_HEARTBEATS, durable="center-heartbeats", queue="center")
        self._tasks = [
            asyncio.create_task(self._consume(alerts, Alert, self.ingest_alert), name="bus-alerts"),
            asyncio.create_task(
                self._consume(beats, Heartbeat, self.ingest_heartbeat), name="bus-heartbeats"
            ),
        ]
        if self.settings.offline_sweep_seconds > 0:
            self._tasks.append(asyncio.create_task(self._sweep_offline(), name="offline-sweep"))
        from amane.center.messages.consumer import consume_unit_messages  # it imports this module

        self._tasks.append(asyncio.create_task(consume_unit_messages(self), name="bus-unit-messages"))
        self.started = True

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.live.stop()
        await self.writer.stop()
        self.started = False

    async def ingest_alert(self, alert: Alert) -> str:
        """Store an alert once (``stored``/``duplicate``); a new one goes live to dashboards."""
        received = datetime.now(UTC)
        outcome: str = await self.writer.submit("alert", (alert, received))
        if outcome == "stored":
            public = public_from_wire(alert, received)
            await self.live.publish_model("alert.new", Scope.ALERTS, public)
        return outcome

    async def ingest_heartbeat(self, beat: Heartbeat) -> UnitPublic | None:
        """Record a heartbeat; returns the unit's new state (None: unknown unit)."""
        unit: UnitPublic | None = await self.writer.submit("heartbeat", (beat, datetime.now(UTC)))
        if unit is not None:
            await self.live.publish_model("unit.position", Scope.UNITS, unit)
        return unit

    async def alert_changed(self, alert: AlertPublic) -> None:
        """Tell dashboards an alert changed (review step, new evidence)."""
        await self.live.publish_model("alert.updated", Scope.ALERTS, alert)

    def _fleet(self) -> list[UnitPublic]:
        with self.db.session() as session:
            return list_units(session=session, online_within=self.online_within)

    async def sweep_offline_once(self) -> list[UnitPublic]:
        """Announce (``unit.updated``) the units that went offline since the last sweep; returns them."""
        fleet = await asyncio.to_thread(self._fleet)
        online = {u.callsign for u in fleet if u.online}
        gone = [] if self._online is None else [u for u in fleet if u.callsign in self._online - online]
        self._online = online
        for unit in gone:
            await self.live.publish_model("unit.updated", Scope.UNITS, unit)
        return gone

    async def _sweep_offline(self) -> None:
        """Heartbeats announce a unit coming online; silence announces nothing, so look for it."""
        while True:
            try:
                await self.sweep_offline_once()
            except Exception as err:  # a database hiccup must not end the sweeps
                logger.warning("offline sweep failed: %s", err)
            await asyncio.sleep(self.settings.offline_sweep_seconds)

    async def _consume(self, sub: Any, model: type[WireMessage], handle: Any) -> None:
        """Handle up to ``CONSUME_IN_FLIGHT`` deliveries at once, so the group-commit writer can batch
        them (one at a time, a worker would do one transaction per message). Each delivery is still
        acked only after its own commit; handlers start, and submit to the writer, in delivery order."""
        slots = asyncio.Semaphore(CONSUME_IN_FLIGHT)
        in_flight: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            slots.release()

        try:
            async for delivery in sub:
                await slots.acquire()
                task = asyncio.create_task(self._handle_delivery(delivery, model, handle))
                in_flight.add(task)
                task.add_done_callback(done)
        finally:
            for task in list(in_flight):  # unacked: the bus redelivers them (to this or another worker)
                task.cancel()

    async def _handle_delivery(self, delivery: Delivery, model: type[WireMessage], handle: Any) -> None:
        try:
            message = decode_as(model, delivery.data)
        except ValidationError as err:
            logger.warning("dropping an invalid message on %s: %s", delivery.subject, err)
            await self.bus.ack(delivery)  # redelivering it would not make it valid
            return
        unit_id = getattr(message, "unit_id", None)
        if delivery.subject.split(".")[2:3] != [unit_id]:
            logger.warning("dropping a message on %s that claims unit %s", delivery.subject, unit_id)
            await self.bus.ack(delivery)
            return
        try:
            await handle(message)
        except Exception as err:
            logger.warning(
                "could not store a message from %s (%s); it will be redelivered", delivery.subject, err
            )
            await asyncio.sleep(NAK_BACKOFF_S)
            await self.bus.nak(delivery)
            return
        await self.bus.ack(delivery)
