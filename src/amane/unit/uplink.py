"""The uplink: drains the outbox to the centre, in order, with backoff, until stopped.

When the link comes back after an outage, the backlog's positions are thinned first (one per
``position_interval_s``, see :meth:`Outbox.thin_positions`), so alerts and then a sparse track go up.

It sends what is due (alerts first), marks each item delivered, retries failures with the outbox's
exponential backoff and jitter, and when the link is down waits (link-level backoff) instead of
hammering the centre. Items are woken by :meth:`Outbox.on_put`, so a fresh alert leaves at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from dataclasses import dataclass

from amane.unit.outbox import Backoff, ItemKind, Outbox
from amane.unit.transport import RejectedError, RetryableError, Transport

logger = logging.getLogger(__name__)


@dataclass
class UplinkStats:
    """Counters of the uplink (read by metrics)."""

    sent: int = 0
    retried: int = 0
    rejected: int = 0
    link_up: bool = False
    link_failures: int = 0


class Uplink:
    """Drains an :class:`Outbox` through a :class:`Transport`."""

    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        *,
        link_backoff: Backoff | None = None,
        batch: int = 50,
        idle_poll_s: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        if batch < 1:
            raise ValueError(f"batch must be >= 1, got {batch}")
        self.outbox = outbox
        self.transport = transport
        self.link_backoff = link_backoff or Backoff(initial_s=0.5, max_s=60.0)
        self.batch = batch
        self.idle_poll_s = idle_poll_s
        self.stats = UplinkStats()
        self._rng = rng or random.Random()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        outbox.on_put(self.wake)

    def wake(self) -> None:
        """Something new is in the outbox (callable from any thread)."""
        with self._lock:
            loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def drain_once(self) -> bool:
        """Send what is due now. Returns False when the link went down during the pass."""
        while True:
            items = await asyncio.to_thread(self.outbox.due, self.batch)
            if not items:
                return True
            alerts_sent = False
            for item in items:
                if alerts_sent and item.kind is not ItemKind.ALERT:
                    break  # their evidence is due now and goes before acks and positions: fetch again
                try:
                    await self.transport.send(item)
                except RetryableError as err:
                    self.stats.retried += 1
                    if err.link_down:  # not this item's fault: it keeps its place at the head of the line
                        self._link(False, str(err))
                        return False
                    delay = await asyncio.to_thread(self.outbox.failed, item, str(err))
                    logger.debug("uplink: %s %s retry in %.1f s: %s", item.kind.value, item.id, delay, err)
                    continue
                except RejectedError as err:
                    await asyncio.to_thread(self.outbox.rejected, item, str(err))
                    self.stats.rejected += 1
                    continue
                await asyncio.to_thread(self.outbox.delivered, item)
                alerts_sent = alerts_sent or item.kind is ItemKind.ALERT
                self.stats.sent += 1
                self._link(True, "")

    def _link(self, up: bool, error: str) -> None:
        if up and not self.stats.link_up:
            logger.info("uplink: link to the centre is up")
            if self.stats.link_failures:  # back after an outage: thin the positions of the backlog
                thinned = self.outbox.thin_positions()
                if thinned:
                    logger.info("uplink: %d backlog positions thinned out", thinned)
        if not up and self.stats.link_up:
            logger.warning("uplink: link to the centre is down: %s", error)
        self.stats.link_up = up
        self.stats.link_failures = 0 if up else self.stats.link_failures + 1

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop`` is set."""
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
        wake = self._wake
        try:
            while not stop.is_set():
                wake.clear()
                ok = await self.drain_once()
                if ok:
                    due = await asyncio.to_thread(self.outbox.next_due_in)
                    wait = self.idle_poll_s if due is None else min(self.idle_poll_s, max(due, 0.01))
                else:
                    wait = self.link_backoff.delay(self.stats.link_failures, self._rng)
                    wake.clear()  # a new item does not bring the link back: wait the backoff out
                await _wait_any(stop, wake if ok else None, wait)
        finally:
            with self._lock:
                self._loop = None
                self._wake = None


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event | None, wait_s: float) -> None:
    waiters = [asyncio.create_task(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.create_task(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiters:
            task.cancel()
