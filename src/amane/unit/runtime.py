"""Running a unit: capture threads, analysis workers, the uplink, the inbox, heartbeats and the crew page.

Threads do the pixel work (OpenCV releases the GIL): one capture thread per source puts each camera's
newest frame in a one-frame slot (a newer frame replaces an unconsumed one: counted ``dropped_replaced``),
and ``workers`` analysis threads each own a share of the cameras and take their newest frames (frames
older than ``max_frame_age_s`` when a worker gets to them are dropped: ``dropped_stale``). Nothing queues
without bound. Files and folders that are not paced in real time are read with back-pressure instead
(every frame is analysed). The network side is asyncio: the uplink drains the outbox, the inbox polls or
subscribes, heartbeats carry the position.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amane.bus import Bus, connect_bus
from amane.config.unit import UnitConfig
from amane.core.errors import ConfigError
from amane.core.messages import Alert, GeoPoint, Heartbeat, UnitMessage, UnitStatus, utcnow
from amane.unit.crew import CrewPage
from amane.unit.evidence import EvidenceStore
from amane.unit.gps import PositionProvider, open_position
from amane.unit.inbox import Inbox, poll_inbox, subscribe_inbox
from amane.unit.metrics import UnitMetrics
from amane.unit.outbox import Backoff, Outbox
from amane.unit.pipeline import Plugin, ScheduleSettings, UnitPipeline
from amane.unit.plugins import load_plugins
from amane.unit.transport import BusTransport, HttpTransport, Transport
from amane.unit.uplink import Uplink
from amane.vision.detect import Detector, build_detector
from amane.vision.sources import FrameSource, open_source
from amane.vision.sources.base import Frame

logger = logging.getLogger(__name__)


class FrameSlots:
    """One slot per camera holding its newest unanalysed frame."""

    def __init__(self, on_replaced: Callable[[str], None]) -> None:
        self._slots: dict[str, Frame] = {}
        self._cond = threading.Condition()
        self._on_replaced = on_replaced

    def put(self, frame: Frame, *, block: bool, stop: threading.Event) -> None:
        """Store ``frame``; with ``block`` wait until the previous frame of the camera was taken."""
        with self._cond:
            if block:
                self._cond.wait_for(lambda: frame.camera_id not in self._slots or stop.is_set())
            elif frame.camera_id in self._slots:
                self._on_replaced(frame.camera_id)
            self._slots[frame.camera_id] = frame
            self._cond.notify_all()

    def take(self, cameras: frozenset[str], timeout_s: float) -> Frame | None:
        """The oldest waiting newest-frame among ``cameras`` (fair between cameras), or None on timeout."""
        with self._cond:
            ready = [f for c, f in self._slots.items() if c in cameras]
            if not ready:
                self._cond.wait(timeout_s)
                ready = [f for c, f in self._slots.items() if c in cameras]
                if not ready:
                    return None
            frame = min(ready, key=lambda f: f.at)
            del self._slots[frame.camera_id]
            self._cond.notify_all()
            return frame

    def wake(self) -> None:
        """Wake every waiter (shutdown)."""
        with self._cond:
            self._cond.notify_all()


def is_live(source: FrameSource) -> bool:
    """Whether a source runs in real time (drop stale frames) or may be read with back-pressure."""
    config = getattr(source, "config", None)
    for inner in (config, getattr(config, "source", None)):
        if inner is not None and getattr(inner, "type", None) in ("file", "folder"):
            return bool(getattr(inner, "realtime", False))
    if config is not None and getattr(config, "type", None) == "rig":
        return not all(
            getattr(c, "type", "") in ("file", "folder") and not getattr(c, "realtime", False)
            for c in config.cameras
        )
    return True


@dataclass
class RecentAlert:
    """An alert as the crew page lists it."""

    alert: Alert
    evidence: dict[str, Path]


class UnitRuntime:
    """One patrol unit: sources, pipeline, outbox, uplink, inbox, heartbeats, crew page."""

    def __init__(
        self,
        config: UnitConfig,
        *,
        sources: Sequence[FrameSource] | None = None,
        transport: Transport | None = None,
        bus: Bus | None = None,
        position: PositionProvider | None = None,
        plugins: tuple[list[Plugin], list[Plugin]] | None = None,
        detector_factory: Callable[[], Detector] | None = None,
        on_alert: Callable[[Alert, float | None], None] | None = None,
        exit_when_sources_end: bool = False,
    ) -> None:
        self.config = config
        self.metrics = UnitMetrics(config.unit_id)
        self.outbox = Outbox(
            config.outbox.path,
            max_items=config.outbox.max_items,
            position_interval_s=config.outbox.position_interval_s,
            backoff=Backoff(
                config.outbox.retry_initial_s, max(config.outbox.retry_initial_s, config.outbox.retry_max_s)
            ),
        )
        self.inbox = Inbox(
            config.outbox.path.with_name(config.outbox.path.stem + "-inbox.db"), config.unit_id, self.outbox
        )
        ev = config.evidence
        self.evidence = EvidenceStore(
            ev.dir,
            max_age_s=ev.max_age_days * 86400,
            max_bytes=int(ev.max_total_mb * 1e6),
            jpeg_quality=ev.jpeg_quality,
            max_side=ev.max_side,
        )
        self.position = (
            position if position is not None else (open_position(config.gps) if config.gps else None)
        )
        recognizers, analyzers = plugins if plugins is not None else load_plugins(config.recognizers)
        for plugin in (
            *recognizers,
            *analyzers,
        ):  # plug-ins that ask where the unit is (face authorisation areas)
            if hasattr(plugin.impl, "position") and self.position is not None:
                plugin.impl.position = self._lat_lon
        det_cfg = config.detector
        s = config.scheduling
        self.pipeline = UnitPipeline(
            config.unit_id,
            detector_factory=detector_factory or (lambda: build_detector(det_cfg)),
            sink=self._sink,
            evidence=self.evidence,
            metrics=self.metrics,
            motion=config.motion,
            tracker=config.tracker,
            recognizers=recognizers,
            analyzers=analyzers,
            position=self.position,
            schedule=ScheduleSettings(
                s.recognize_every_frames, s.best_crops, s.min_track_frames, s.min_crop_px
            ),
        )
        self._sources_given = sources
        self.sources: list[FrameSource] = []
        self._bus = bus
        self._transport = transport
        self.uplink: Uplink | None = None
        self.recent: deque[RecentAlert] = deque(maxlen=100)
        self._recent_lock = threading.Lock()
        self._on_alert = on_alert
        self._exit_when_done = exit_when_sources_end
        self._stop = threading.Event()
        self._slots = FrameSlots(
            lambda cid: self.metrics.frames.labels(camera=cid, outcome="dropped_replaced").inc()
        )
        self._threads: list[threading.Thread] = []
        self._captures: list[threading.Thread] = []
        self._sources_done = threading.Event()
        self._source_counts: dict[int, dict[str, int]] = {}
        self.crew: CrewPage | None = None
        self.status = UnitStatus.AVAILABLE

    def _lat_lon(self) -> tuple[float, float] | None:
        fix = self.position.fix() if self.position is not None else None
        return None if fix is None else (fix.lat, fix.lon)

    # -- alerts -----------------------------------------------------------------------------------------
    def _sink(self, alert: Alert, evidence: dict[str, tuple[Path, str]], latency: float | None) -> None:
        self.outbox.put_alert(alert, evidence)
        with self._recent_lock:
            self.recent.appendleft(RecentAlert(alert, {k: p for k, (p, _) in evidence.items()}))
        logger.info("alert %s %s on %s: %s", alert.kind.value, alert.id, alert.camera_id, alert.summary)
        if self._on_alert is not None:
            self._on_alert(alert, latency)

    def recent_alerts(self) -> list[RecentAlert]:
        """Newest first."""
        with self._recent_lock:
            return list(self.recent)

    # -- threads ------------------------------------------------------------------------------------------
    def _open_sources(self) -> None:
        if self._sources_given is not None:
            self.sources = list(self._sources_given)
            return
        try:
            for cfg in self.config.sources:
                self.sources.append(open_source(cfg))
            if self.config.simulated is not None:
                self.sources.append(self.config.simulated.open())
        except (OSError, ValueError) as err:
            for source in self.sources:
                source.close()
            raise ConfigError(f"cannot open a video source: {err}") from err

    def _capture(self, source: FrameSource) -> None:
        live = is_live(source)
        while not self._stop.is_set():
            try:
                frames = source.read()
            except Exception:  # a source bug must not kill the unit; the source counts its own errors
                logger.exception("source %s failed to read", source.camera_ids)
                time.sleep(0.5)
                continue
            if frames is None:
                logger.info("source %s ended", ",".join(source.camera_ids))
                return
            for frame in frames:
                self._slots.put(frame, block=not live, stop=self._stop)

    def _work(self, cameras: frozenset[str], max_age_s: float, live_cameras: frozenset[str]) -> None:
        while not self._stop.is_set():
            frame = self._slots.take(cameras, 0.2)
            if frame is None:
                continue
            if frame.camera_id in live_cameras and (utcnow() - frame.at).total_seconds() > max_age_s:
                self.metrics.frames.labels(camera=frame.camera_id, outcome="dropped_stale").inc()
                continue
            cpu0 = time.thread_time()
            try:
                self.pipeline.process(frame)
                self.metrics.frame_cpu_seconds.labels(camera=frame.camera_id).observe(
                    time.thread_time() - cpu0
                )
            except Exception:  # keep analysing the other frames; the error is logged with its frame
                logger.exception("camera %s: analysis failed on frame %d", frame.camera_id, frame.index)
                self.metrics.frames.labels(camera=frame.camera_id, outcome="error").inc()

    def start_threads(self) -> None:
        """Open the sources and start capture and analysis threads."""
        self._open_sources()
        cameras = [c for s in self.sources for c in s.camera_ids]
        live = frozenset(c for s in self.sources if is_live(s) for c in s.camera_ids)
        workers = max(1, min(self.config.scheduling.workers, len(cameras)))
        for i in range(workers):
            share = frozenset(cameras[i::workers])
            t = threading.Thread(
                target=self._work,
                args=(share, self.config.scheduling.max_frame_age_s, live),
                name=f"{self.config.unit_id}-analyse-{i}",
                daemon=True,
            )
            self._threads.append(t)
        self._captures = [
            threading.Thread(
                target=self._capture, args=(s,), name=f"{self.config.unit_id}-capture-{i}", daemon=True
            )
            for i, s in enumerate(self.sources)
        ]
        for t in [*self._threads, *self._captures]:
            t.start()

    def captures_done(self) -> bool:
        """All sources ended (False before they started)."""
        return bool(self._captures) and all(not t.is_alive() for t in self._captures)

    def stop_threads(self) -> None:
        """Stop the threads, close the sources, end every track (emitting what track ends conclude)."""
        self._stop.set()
        self._slots.wake()
        for t in [*self._threads, *self._captures]:
            t.join(timeout=5.0)
        for source in self.sources:
            source.close()
        self.pipeline.flush()

    # -- async side ---------------------------------------------------------------------------------------
    def _make_transport(self) -> Transport:
        link = self.config.center
        token = link.resolve_token()
        http = HttpTransport(link.url, token, timeout_s=link.timeout_s) if link.url and token else None
        if link.transport == "http":
            if http is None:
                raise ConfigError(
                    f"unit {self.config.unit_id}: no token: set center.token or ${link.token_env}"
                )
            return http
        if self._bus is None:
            self._bus = connect_bus(link.bus_url)
        return BusTransport(self._bus, self.config.unit_id, evidence_http=http)

    def heartbeat(self) -> Heartbeat:
        """The unit's current position, heading, speed and status."""
        fix = self.position.fix() if self.position is not None else None
        return Heartbeat(
            unit_id=self.config.unit_id,
            position=None if fix is None else GeoPoint(lat=fix.lat, lon=fix.lon),
            heading_deg=None if fix is None or fix.heading_deg is None else fix.heading_deg % 360.0,
            speed_mps=None if fix is None or fix.speed_mps is None else min(150.0, max(0.0, fix.speed_mps)),
            status=self.status,
        )

    def set_status(self, status: UnitStatus) -> None:
        """The crew changed the unit's status (en route, on scene, ...): tell the centre at once."""
        if status is not self.status:
            logger.info("unit %s status: %s", self.config.unit_id, status.value)
        self.status = status
        self.outbox.put_heartbeat(self.heartbeat())

    def send_crew_message(self, body: str) -> UnitMessage:
        """Queue the crew's message to the centre."""
        message = UnitMessage(direction="from_unit", unit_id=self.config.unit_id, body=body, sender="crew")
        self.outbox.put_message(message)
        return message

    async def _heartbeats(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.outbox.put_heartbeat, self.heartbeat())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.config.center.heartbeat_s)

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        last_purge = 0.0
        while not stop.is_set():
            await asyncio.to_thread(self.outbox.enforce_bounds)
            self.refresh_metrics()
            if time.monotonic() - last_purge > 600:
                await asyncio.to_thread(self.evidence.purge)
                last_purge = time.monotonic()
            if self._exit_when_done and self.captures_done() and not self._sources_done.is_set():
                self._sources_done.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=2.0)

    def refresh_metrics(self) -> None:
        """Copy counters kept elsewhere (outbox, uplink, sources) into the registry."""
        pending = self.outbox.pending()
        for kind in ("alert", "evidence", "ack", "message", "heartbeat"):
            self.metrics.outbox_pending.labels(kind=kind).set(pending.get(kind, 0))
        if self.uplink is not None:
            self.metrics.link_up.set(1 if self.uplink.stats.link_up else 0)
        for source in self.sources:
            counts = source.stats.as_dict()
            last = self._source_counts.get(id(source), {})
            camera = ",".join(source.camera_ids)
            for key, outcome in (("frames_corrupt", "corrupt"), ("frames_dropped", "source_dropped")):
                delta = counts[key] - last.get(key, 0)
                if delta > 0:
                    self.metrics.frames.labels(camera=camera, outcome=outcome).inc(delta)
            self._source_counts[id(source)] = counts

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` (with ``exit_when_sources_end``: until the sources end, backlog sent)."""
        transport = self._transport or self._make_transport()
        self.uplink = Uplink(self.outbox, transport)
        inner = asyncio.Event()
        tasks = [
            asyncio.create_task(self.uplink.run(inner)),
            asyncio.create_task(self._heartbeats(inner)),
            asyncio.create_task(self._housekeeping(inner)),
        ]
        if isinstance(transport, BusTransport) and self._bus is not None:
            tasks.append(
                asyncio.create_task(subscribe_inbox(self.inbox, self._bus, self.config.region, inner))
            )
        if not isinstance(transport, BusTransport) or self.config.center.url:
            tasks.append(
                asyncio.create_task(
                    poll_inbox(self.inbox, transport, inner, self.config.center.poll_messages_s)
                )
            )
        if self.config.crew_page.enabled:
            try:
                self.crew = CrewPage(self, self.config.crew_page.host, self.config.crew_page.port)
                self.crew.start()
            except OSError as err:  # the unit must run without its page (port taken, bad address)
                logger.error(
                    "crew page not started on %s:%d: %s",
                    self.config.crew_page.host,
                    self.config.crew_page.port,
                    err,
                )
        await asyncio.to_thread(self.start_threads)
        try:
            while not stop.is_set():
                if self._exit_when_done and self._sources_done.is_set():
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
        finally:
            await asyncio.to_thread(self.stop_threads)
            if self._exit_when_done and not stop.is_set():
                await self._drain(timeout_s=30.0)
            inner.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.crew is not None:
                self.crew.stop()
            if self._transport is None:
                await transport.close()
            self.refresh_metrics()

    async def _drain(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pending = self.outbox.pending()
            if not pending.get("alert") and not pending.get("evidence"):
                return
            await asyncio.sleep(0.2)

    def close(self) -> None:
        """Release the stores and the position provider."""
        if self.position is not None:
            self.position.close()
        self.inbox.close()
        self.outbox.close()

    def describe(self) -> dict[str, Any]:
        """A summary for logs and the crew page."""
        return {
            "unit_id": self.config.unit_id,
            "cameras": [c for s in self.sources for c in s.camera_ids],
            "outbox": self.outbox.pending(),
            "link_up": bool(self.uplink and self.uplink.stats.link_up),
        }
