"""The unit's perception pipeline: frame -> motion gate -> detector -> tracker -> recognisers -> alerts.

Per camera: the motion gate says where something moved; the detector looks only there (a still scene
costs one downscaled difference); the tracker gives stable ids; each track's best sightings are kept
and, on the :class:`~amane.unit.schedule.TrackBook` schedule, handed to the
:class:`~amane.vision.recognize.TrackRecognizer` plug-ins (and once more when the track ends); every
:class:`~amane.vision.recognize.SceneAnalyzer` sees all tracks of every analysed frame. Each
:class:`~amane.vision.recognize.Finding` becomes an :class:`~amane.core.messages.Alert` (its UUID born
here) with a bearing from the camera view, a ground position from the GPS fix, heading, bearing and the
range estimated from the box height, and evidence (snapshot with the box drawn, plus the crop) written
locally and queued for upload through the ``sink`` (the outbox).

``process`` may be called from several threads, but a camera must be fed by one thread at a time
(the runtime assigns cameras to workers); detectors are made per thread by ``detector_factory``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from amane.core.detections import Detections
from amane.core.geometry import TYPICAL_HEIGHT_M, CameraView, ground_position, perspective_rays
from amane.core.messages import Alert, GeoPoint, utcnow
from amane.unit.evidence import EvidenceStore, draw_box
from amane.unit.gps import Fix, PositionProvider
from amane.unit.metrics import UnitMetrics
from amane.unit.schedule import Sighting, TrackBook
from amane.vision.detect import Detector
from amane.vision.motion import MotionConfig, MotionGate
from amane.vision.recognize import Finding, SceneAnalyzer, TrackObservation, TrackRecognizer
from amane.vision.sources.base import Frame, Image, is_valid_image
from amane.vision.track import Tracker, TrackerConfig, build_tracker

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
AlertSink = Callable[[Alert, dict[str, tuple[Path, str]], float | None], None]
"""Receives each alert, its evidence files (key -> (path, content type)) and the frame-to-alert latency
(seconds, None for alerts concluded at a track's end)."""


@dataclass
class Plugin:
    """A recogniser or analyser and the cameras it runs on (None: all)."""

    impl: TrackRecognizer | SceneAnalyzer
    cameras: frozenset[str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wants(self, camera_id: str) -> bool:
        """Whether it runs on this camera."""
        return self.cameras is None or camera_id in self.cameras


@dataclass(frozen=True)
class ScheduleSettings:
    """How often recognisers run (see :class:`~amane.unit.schedule.TrackBook`)."""

    every_frames: int = 5
    best_crops: int = 3
    min_track_frames: int = 2
    min_crop_px: int = 24


@dataclass
class _Camera:
    gate: MotionGate
    tracker: Tracker
    book: TrackBook
    view: CameraView | None = None
    frames: int = 0


@dataclass(frozen=True)
class _Context:
    """What a finding is tied to: where the evidence and geometry come from."""

    camera_id: str
    snapshot: Image | None
    snapshot_box: Box | None
    frame_box: Box | None
    class_id: int
    bearing_deg: float | None
    view: CameraView | None
    fix: Fix | None
    crop: Image | None
    track_based: bool = False
    """A recogniser's finding on a kept sighting: the snapshot and boxes are the pipeline's own."""


class UnitPipeline:
    """All cameras of one unit through perception to alerts."""

    def __init__(
        self,
        unit_id: str,
        *,
        detector_factory: Callable[[], Detector],
        sink: AlertSink,
        evidence: EvidenceStore,
        metrics: UnitMetrics,
        motion: MotionConfig | None = None,
        tracker: TrackerConfig | None = None,
        recognizers: Sequence[Plugin] = (),
        analyzers: Sequence[Plugin] = (),
        position: PositionProvider | None = None,
        schedule: ScheduleSettings | None = None,
    ) -> None:
        self.unit_id = unit_id
        self._detector_factory = detector_factory
        self._sink = sink
        self._evidence = evidence
        self.metrics = metrics
        self._motion = motion or MotionConfig()
        self._tracker_cfg = tracker or TrackerConfig()
        self._recognizers = [p for p in recognizers if isinstance(p.impl, TrackRecognizer)]
        self._analyzers = [p for p in analyzers if isinstance(p.impl, SceneAnalyzer)]
        self._position = position
        self._schedule = schedule or ScheduleSettings()
        self._ids = itertools.count(1)
        self._cameras: dict[str, _Camera] = {}
        self._cameras_lock = threading.Lock()
        self._local = threading.local()
        self._interesting = frozenset(c for p in self._recognizers for c in _classes(p))

    # -- per camera / per thread state -----------------------------------------------------------------
    def _camera(self, camera_id: str) -> _Camera:
        cam = self._cameras.get(camera_id)
        if cam is None:
            with self._cameras_lock:
                cam = self._cameras.get(camera_id)
                if cam is None:
                    s = self._schedule
                    cam = self._cameras[camera_id] = _Camera(
                        MotionGate(self._motion),
                        build_tracker(self._tracker_cfg, self._ids),
                        TrackBook(
                            every_frames=s.every_frames,
                            best_crops=s.best_crops,
                            min_track_frames=s.min_track_frames,
                            min_crop_px=s.min_crop_px,
                        ),
                    )
        return cam

    def _detector(self) -> Detector:
        detector: Detector | None = getattr(self._local, "detector", None)
        if detector is None:
            detector = self._local.detector = self._detector_factory()
        return detector

    # -- the frame path ----------------------------------------------------------------------------------
    def process(self, frame: Frame) -> list[Alert]:
        """Analyse one frame; returns the alerts it raised (already handed to the sink)."""
        cid = frame.camera_id
        if not is_valid_image(frame.image):
            logger.debug("camera %s: skipping a malformed frame", cid)
            self.metrics.frames.labels(camera=cid, outcome="corrupt").inc()
            return []
        cam = self._camera(cid)
        cam.frames += 1
        cam.view = frame.view
        stage = self.metrics.stage_seconds
        t0 = time.perf_counter()
        regions = cam.gate.update(frame.image)
        t1 = time.perf_counter()
        stage.labels(camera=cid, stage="motion").observe(t1 - t0)
        if regions:
            detections = self._detector().detect(frame.image, regions)
            t2 = time.perf_counter()
            stage.labels(camera=cid, stage="detect").observe(t2 - t1)
        else:
            detections, t2 = Detections.empty(), t1
        tracked = cam.tracker.update(detections, frame.at)
        t3 = time.perf_counter()
        stage.labels(camera=cid, stage="track").observe(t3 - t2)
        outcome = "analysed" if regions or len(tracked) else "still"
        self.metrics.frames.labels(camera=cid, outcome=outcome).inc()
        findings = self._recognise(cam, frame, tracked)
        t4 = time.perf_counter()
        stage.labels(camera=cid, stage="recognize").observe(t4 - t3)
        findings += self._analyse(frame, tracked)
        t5 = time.perf_counter()
        stage.labels(camera=cid, stage="analyze").observe(t5 - t4)
        ended = self._end_tracks(cam, cam.tracker.pop_ended())
        alerts = [self._emit(f, ctx, frame.at) for f, ctx in findings]
        alerts += [self._emit(f, ctx, None) for f, ctx in ended]
        t6 = time.perf_counter()
        stage.labels(camera=cid, stage="evidence").observe(t6 - t5)
        stage.labels(camera=cid, stage="total").observe(t6 - t0)
        self.metrics.tracks.labels(camera=cid).set(len(cam.book))
        return alerts

    def _recognise(self, cam: _Camera, frame: Frame, tracked: Detections) -> list[tuple[Finding, _Context]]:
        if not self._recognizers:
            return []
        out: list[tuple[Finding, _Context]] = []
        fix = self._position.fix() if self._position is not None else None
        bearings = box_bearings(frame.view, tracked.xyxy)
        for i in range(len(tracked)):
            track_id, class_id = int(tracked.tracker_id[i]), int(tracked.class_id[i])
            if track_id < 0 or class_id not in self._interesting:
                continue
            x1, y1, x2, y2 = (float(v) for v in tracked.xyxy[i])
            bearing = None if bearings is None else float(bearings[i])
            for sighting in cam.book.offer(
                track_id, frame.camera_id, class_id, (x1, y1, x2, y2), frame.image, frame.at, bearing, fix
            ):
                out += self._observe(sighting, sighting, cam.view)
        return out

    def _observe(
        self, sighting: Sighting, best: Sighting, view: CameraView | None
    ) -> list[tuple[Finding, _Context]]:
        obs = sighting.observation
        ctx = _context(sighting, best, view)
        out = []
        for plugin in self._recognizers:
            recognizer = plugin.impl
            assert isinstance(recognizer, TrackRecognizer)
            if obs.class_id not in recognizer.class_ids or not plugin.wants(obs.camera_id):
                continue
            out += [(f, ctx) for f in self._call(plugin, partial(recognizer.observe, obs))]
        return out

    def _analyse(self, frame: Frame, tracked: Detections) -> list[tuple[Finding, _Context]]:
        out = []
        for plugin in self._analyzers:
            analyzer = plugin.impl
            assert isinstance(analyzer, SceneAnalyzer)
            if not plugin.wants(frame.camera_id):
                continue
            findings = self._call(
                plugin, partial(analyzer.update, frame.camera_id, tracked, frame.at, frame.image)
            )
            for f in findings:
                out.append((f, self._frame_context(frame, f)))
        return out

    def _frame_context(self, frame: Frame, finding: Finding) -> _Context:
        box = finding.box
        crop = None
        if box is not None:
            h, w = frame.image.shape[:2]
            x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
            x2, y2 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
            crop = frame.image[y1:y2, x1:x2].copy() if x2 > x1 and y2 > y1 else None
        fix = self._position.fix() if self._position is not None else None
        bearing = finding.bearing_deg
        if bearing is None and box is not None:
            bearing = frame.bearing_of((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        class_id = (
            int(finding.payload.get("class_id", 0)) if isinstance(finding.payload.get("class_id"), int) else 0
        )
        return _Context(frame.camera_id, frame.image, box, box, class_id, bearing, frame.view, fix, crop)

    def _end_tracks(self, cam: _Camera, ended: list[int]) -> list[tuple[Finding, _Context]]:
        out: list[tuple[Finding, _Context]] = []
        for track_id in ended:
            remaining, best = cam.book.end(track_id)
            if best is None:
                continue
            for sighting in remaining:
                out += self._observe(sighting, best, cam.view)
            ctx = _context(best, best, cam.view)
            for plugin in self._recognizers:
                recognizer = plugin.impl
                assert isinstance(recognizer, TrackRecognizer)
                if best.observation.class_id in recognizer.class_ids and plugin.wants(
                    best.observation.camera_id
                ):
                    out += [(f, ctx) for f in self._call(plugin, partial(recognizer.end_track, track_id))]
        return out

    def flush(self) -> list[Alert]:
        """End every track of every camera (shutdown or end of the sources) and emit what that concludes."""
        alerts: list[Alert] = []
        for cam in list(self._cameras.values()):
            ended = self._end_tracks(cam, cam.tracker.end_all())
            alerts += [self._emit(f, ctx, None) for f, ctx in ended]
        return alerts

    def _call(self, plugin: Plugin, fn: Callable[[], list[Finding]]) -> list[Finding]:
        name = getattr(plugin.impl, "name", type(plugin.impl).__name__)
        try:
            with plugin.lock:
                return list(fn())
        except Exception:  # a plug-in bug must not stop the unit
            logger.exception("plug-in %s failed", name)
            self.metrics.plugin_errors.labels(plugin=name).inc()
            return []

    # -- findings to alerts ------------------------------------------------------------------------------
    def _emit(self, finding: Finding, ctx: _Context, frame_at: datetime | None) -> Alert:
        alert_id = uuid.uuid4()
        bearing = finding.bearing_deg if finding.bearing_deg is not None else ctx.bearing_deg
        position, distance = _ground(ctx, bearing)
        payload: dict[str, Any] = {"track_id": finding.track_id, **finding.payload}
        if ctx.frame_box is not None:
            payload.setdefault("box", [round(v, 1) for v in ctx.frame_box])
        if distance is not None:
            payload.setdefault("distance_m", round(distance, 1))
        images = self._evidence_images(finding, ctx)
        stored = self._evidence.save(alert_id, finding.observed_at, images) if images else []
        alert = Alert(
            id=alert_id,
            kind=finding.kind,
            severity=finding.severity,
            unit_id=self.unit_id,
            camera_id=finding.camera_id[:64],
            observed_at=finding.observed_at,
            position=position,
            bearing_deg=None if bearing is None else float(bearing) % 360.0,
            summary=finding.summary[:500],
            payload=payload,
            evidence=[s.ref for s in stored],
        )
        latency = None if frame_at is None else (utcnow() - frame_at).total_seconds()
        self.metrics.alerts.labels(kind=finding.kind.value).inc()
        if latency is not None:
            self.metrics.latency.observe(latency)
        self._sink(alert, {s.ref.key: (s.path, s.ref.content_type or "image/jpeg") for s in stored}, latency)
        return alert

    def _evidence_images(self, finding: Finding, ctx: _Context) -> dict[str, Image]:
        """``snapshot`` (the frame with the box drawn), ``crop`` and, when a recogniser made its own
        picture of a track (a plate close-up), ``detail`` as it made it."""
        images: dict[str, Image] = {}
        label = finding.summary[:60]
        if ctx.track_based and ctx.snapshot is not None:
            snap_box = ctx.snapshot_box
            images["snapshot"] = draw_box(ctx.snapshot, snap_box, label) if snap_box else ctx.snapshot
            if finding.snapshot is not None and finding.snapshot.size:
                images["detail"] = finding.snapshot
        elif finding.snapshot is not None:
            snap = finding.snapshot
            images["snapshot"] = draw_box(snap, finding.box, label) if finding.box is not None else snap
        elif ctx.snapshot is not None:
            images["snapshot"] = (
                draw_box(ctx.snapshot, ctx.snapshot_box, label) if ctx.snapshot_box else ctx.snapshot
            )
        crop = finding.crop if finding.crop is not None else ctx.crop
        if crop is not None and crop.size:
            images["crop"] = crop
        return images


def box_bearings(view: CameraView | None, xyxy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """Bearings (degrees clockwise from ahead, [0, 360)) of the centres of ``xyxy`` boxes, all at once.

    >>> view = CameraView(yaw_deg=90.0, pitch_deg=0.0, hfov_deg=90.0, width=1280, height=720)
    >>> box_bearings(view, np.array([[600.0, 300, 680, 420], [1200, 300, 1280, 420]])).round(3).tolist()
    [90.0, 133.152]
    """
    if view is None or len(xyxy) == 0:
        return None
    centres = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    rays = perspective_rays(centres[:, 0], centres[:, 1], yaw_deg=view.yaw_deg, pitch_deg=view.pitch_deg,
                            hfov_deg=view.hfov_deg, width=view.width, height=view.height)
    bearings: npt.NDArray[np.float64] = np.degrees(np.arctan2(rays[:, 1], rays[:, 0])) % 360.0
    return bearings


def _classes(plugin: Plugin) -> frozenset[int]:
    impl = plugin.impl
    return frozenset(impl.class_ids) if isinstance(impl, TrackRecognizer) else frozenset()


def _context(sighting: Sighting, best: Sighting, view: CameraView | None) -> _Context:
    obs: TrackObservation = sighting.observation
    fix = sighting.extra if isinstance(sighting.extra, Fix) else None
    return _Context(
        obs.camera_id,
        best.snapshot,
        best.snapshot_box,
        sighting.frame_box,
        obs.class_id,
        obs.bearing_deg,
        view,
        fix,
        obs.crop(),
        track_based=True,
    )


def _ground(ctx: _Context, bearing: float | None) -> tuple[GeoPoint | None, float | None]:
    """The object's estimated position (or the unit's when range or heading is unknown), and its range."""
    if ctx.fix is None:
        return None, None
    distance = None
    if ctx.view is not None and ctx.frame_box is not None and ctx.class_id in TYPICAL_HEIGHT_M:
        box_h = ctx.frame_box[3] - ctx.frame_box[1]
        if box_h > 1:
            distance = ctx.view.distance_to(ctx.frame_box, TYPICAL_HEIGHT_M[ctx.class_id])
    if distance is None or bearing is None or ctx.fix.heading_deg is None:
        return GeoPoint(lat=ctx.fix.lat, lon=ctx.fix.lon), distance
    lat, lon = ground_position(ctx.fix.lat, ctx.fix.lon, ctx.fix.heading_deg, bearing, min(distance, 200.0))
    return GeoPoint(lat=lat, lon=lon), distance
