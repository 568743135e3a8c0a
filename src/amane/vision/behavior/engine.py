"""The behaviour engine: every camera's rules over its tracks, frame by frame.

:class:`BehaviorEngine` is a :class:`~amane.vision.recognize.SceneAnalyzer`: the unit pipeline
calls :meth:`~BehaviorEngine.update` on every analysed frame with the tracked detections, and
the same object replays a recorded detection stream offline (see ``replay.py``).

>>> from datetime import UTC, datetime, timedelta
>>> cfg = BehaviorConfig.model_validate({"cameras": {"cam": {
...     "zones": [{"id": "yard", "polygon": [[0, 0], [200, 0], [200, 200], [0, 200]]}],
...     "rules": [{"type": "intrusion", "zone": "yard"}]}}})
>>> engine = BehaviorEngine(cfg)
>>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
>>> box = Detections(xyxy=np.array([[90.0, 50, 110, 150]]), tracker_id=np.array([4]))
>>> found = [f for i in range(5) for f in engine.update("cam", box, t0 + timedelta(seconds=0.1 * i), None)]
>>> [(f.track_id, f.payload["rule"], f.payload["zone"]) for f in found]
[(4, 'intrusion', 'yard')]
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from amane.core.detections import Detections
from amane.core.messages import AlertKind
from amane.vision.behavior.calibration import GroundCalibration
from amane.vision.behavior.config import BehaviorConfig, CameraBehaviorConfig
from amane.vision.behavior.geometry import Line, Zone
from amane.vision.behavior.rules import Alarm, Rule, Scene, build_rule
from amane.vision.behavior.tracks import TrackBook
from amane.vision.recognize import Finding, Image

logger = logging.getLogger(__name__)


class CameraRuntime:
    """One camera: its geometry, its track book and its rules."""

    def __init__(self, camera_id: str, config: CameraBehaviorConfig) -> None:
        self.camera_id = camera_id
        self.config = config
        self.calibration = GroundCalibration(config.calibration) if config.calibration else None
        self.zones = {z.id: Zone(z) for z in config.zones}
        self.lines = {ln.id: Line(ln) for ln in config.lines}
        self.book = TrackBook(config.stitch, self.calibration)
        self.rules: list[Rule[Any]] = [build_rule(r, camera_id) for r in config.rules if r.enabled]

    def step(self, tracks: Detections, at: datetime, image_size: tuple[int, int] | None) -> list[Alarm]:
        """Advance every rule by one frame."""
        t = at.timestamp()
        if t < self.book.now:
            logger.warning("camera %s: frame at %s is older than the last one; ignored", self.camera_id, at)
            return []
        size = image_size or self.config.image_size
        visible = self.book.update(tracks, t, size)
        scene = Scene(
            t=t,
            at=at,
            visible=visible,
            tracks=self.book.tracks,
            zones=self.zones,
            lines=self.lines,
            calibration=self.calibration,
            image_size=size,
        )
        return [alarm for rule in self.rules for alarm in rule.step(scene)]


class BehaviorEngine:
    """Behaviour rules for every configured camera; cameras without a config are ignored."""

    name = "behavior"

    def __init__(self, config: BehaviorConfig, *, snapshots: bool = True) -> None:
        self.config = config
        self.snapshots = snapshots
        self.cameras = {cid: CameraRuntime(cid, cam) for cid, cam in config.cameras.items()}

    def update(self, camera_id: str, tracks: Detections, at: datetime, frame: Image | None) -> list[Finding]:
        """Advance the rules of ``camera_id`` to ``at``; return the alarms that fire now."""
        camera = self.cameras.get(camera_id)
        if camera is None:
            return []
        size = (int(frame.shape[1]), int(frame.shape[0])) if frame is not None else None
        alarms = camera.step(tracks, at, size)
        for alarm in alarms:
            logger.debug("camera %s: %s (%s)", camera_id, alarm.summary, alarm.measured)
        return [self._finding(camera, alarm, at, frame) for alarm in alarms]

    def _finding(self, camera: CameraRuntime, alarm: Alarm, at: datetime, frame: Image | None) -> Finding:
        crop = snapshot = None
        if frame is not None and self.snapshots:
            snapshot = draw_snapshot(frame, camera, alarm)
            if alarm.box is not None:
                x1, y1, x2, y2 = (round(v) for v in alarm.box)
                h, w = frame.shape[:2]
                crop = frame[max(0, y1) : min(h, y2), max(0, x1) : min(w, x2)].copy()
        return Finding(
            kind=AlertKind.BEHAVIOUR,
            severity=alarm.severity,
            summary=alarm.summary[:500],
            track_id=alarm.track_ids[0] if alarm.track_ids else -1,
            camera_id=camera.camera_id,
            observed_at=at,
            payload=alarm.payload(),
            crop=crop,
            snapshot=snapshot,
            box=alarm.box,
        )


def draw_snapshot(frame: Image, camera: CameraRuntime, alarm: Alarm) -> Image:
    """A copy of the frame with the alarm's zone or line and the involved boxes drawn."""
    out = frame.copy()
    if alarm.zone in camera.zones:
        pts = camera.zones[alarm.zone].vertices.round().astype(np.int32)
        cv2.polylines(out, [pts], isClosed=True, color=(0, 200, 255), thickness=2)
    if alarm.zone in camera.lines:
        line = camera.lines[alarm.zone]
        cv2.line(out, tuple(int(v) for v in line.a), tuple(int(v) for v in line.b), (0, 200, 255), 2)
    for ident in alarm.track_ids:
        track = camera.book.tracks.get(ident)
        if track is not None:
            x1, y1, x2, y2 = (round(v) for v in track.box)
            cv2.rectangle(out, (x1, y1), (x2, y2), (0, 0, 255), 2)
    cv2.putText(out, alarm.summary[:80], (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 2, cv2.LINE_AA)
    return out
