"""The pipeline on rendered street scenes: motion gate, detector, tracker, recogniser schedule, alerts
with evidence, bearing and ground position; garbage frames counted, not fatal."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from amane.core.detections import Detections
from amane.core.geometry import haversine_m, initial_bearing
from amane.core.messages import Alert, AlertKind, Severity
from amane.sim.scene import SceneConfig
from amane.sim.source import SimCamera, SimSource
from amane.unit.evidence import EvidenceStore
from amane.unit.gps import FixedPosition
from amane.unit.metrics import UnitMetrics
from amane.unit.pipeline import Plugin, ScheduleSettings, UnitPipeline
from amane.vision.detect import Detector, build_detector
from amane.vision.recognize import Finding, TrackObservation
from amane.vision.sources.base import Frame, Image


@dataclass
class TrackProbe:
    """A recogniser plug-in reporting each track once and recording what the schedule gave it."""

    name: str = "probe"
    class_ids: frozenset[int] = frozenset({0, 2, 3})
    observed: dict[int, list[TrackObservation]] = field(default_factory=lambda: defaultdict(list))
    ended: list[int] = field(default_factory=list)

    def observe(self, observation: TrackObservation) -> list[Finding]:
        first = observation.track_id not in self.observed
        self.observed[observation.track_id].append(observation)
        if not first:
            return []
        return [
            Finding(
                AlertKind.BEHAVIOUR,
                Severity.LOW,
                f"track {observation.track_id}",
                observation.track_id,
                observation.camera_id,
                observation.observed_at,
                payload={"class_id": observation.class_id},
            )
        ]

    def end_track(self, track_id: int) -> list[Finding]:
        self.ended.append(track_id)
        return []


class CountingDetector:
    """The real default detector, counting its calls."""

    def __init__(self) -> None:
        self.inner: Detector = build_detector(None)
        self.calls = 0

    def detect(
        self, image: Image, regions: list[tuple[float, float, float, float]] | None = None
    ) -> Detections:
        self.calls += 1
        return self.inner.detect(image, regions)


def make_pipeline(
    tmp_path: Path, probe: TrackProbe, detector: CountingDetector, every: int = 5
) -> tuple[UnitPipeline, list[tuple[Alert, dict[str, tuple[Path, str]]]]]:
    alerts: list[tuple[Alert, dict[str, tuple[Path, str]]]] = []
    pipeline = UnitPipeline(
        "RBT-3",
        detector_factory=lambda: detector,
        sink=lambda a, ev, _lat: alerts.append((a, ev)),
        evidence=EvidenceStore(tmp_path / "evidence", max_age_s=3600, max_bytes=10**8),
        metrics=UnitMetrics("RBT-3"),
        recognizers=[Plugin(probe)],
        position=FixedPosition(34.02, -6.83, 90.0),
        schedule=ScheduleSettings(every_frames=every, best_crops=3, min_track_frames=2, min_crop_px=16),
    )
    return pipeline, alerts


def run_scene(pipeline: UnitPipeline, seconds: float, fps: float = 10.0, **scene: object) -> SimSource:
    config = SceneConfig(width=640, height=360, seed=5, **scene)  # type: ignore[arg-type]
    source = SimSource(
        [SimCamera("front", config, yaw_deg=0.0, hfov_deg=90.0)], fps=fps, realtime=False, duration_s=seconds
    )
    while (frames := source.read()) is not None:
        for frame in frames:
            pipeline.process(frame)
    pipeline.flush()
    return source


def test_tracks_get_recognised_on_a_schedule_and_become_alerts(tmp_path: Path) -> None:
    probe, detector = TrackProbe(), CountingDetector()
    pipeline, alerts = make_pipeline(tmp_path, probe, detector, every=5)
    run_scene(pipeline, seconds=8.0, vehicles=3, pedestrians=2)
    frames = 80
    assert len(probe.observed) >= 3, "the moving actors should be tracked"
    for track_id, seen in probe.observed.items():
        assert len(seen) <= frames // 5 + 3 + 1  # every 5th frame at most, plus the best crops at the end
        assert track_id in probe.ended
        assert all(o.crop().size > 0 for o in seen)
    assert len(alerts) == len(probe.observed)  # the probe reports each track once
    for alert, evidence in alerts:
        assert alert.unit_id == "RBT-3" and alert.camera_id == "front"
        assert alert.bearing_deg is not None
        assert alert.bearing_deg <= 45.0 + 1e-6 or alert.bearing_deg >= 315.0 - 1e-6  # within the 90° view
        assert alert.position is not None  # ground position: ahead of a unit heading east
        distance = haversine_m(34.02, -6.83, alert.position.lat, alert.position.lon)
        assert 1.0 < distance <= 200.0 and distance == pytest.approx(alert.payload["distance_m"], abs=0.2)
        # heading east, a front camera sees bearings 315..45: the object lies north-east to south-east
        assert (
            45.0 - 1e-6
            <= initial_bearing(34.02, -6.83, alert.position.lat, alert.position.lon)
            <= 135.0 + 1e-6
        )
        assert {e.key for e in alert.evidence} == {"snapshot.jpg", "crop.jpg"} == set(evidence)
        for ref in alert.evidence:
            path, _ = evidence[ref.key]
            image = cv2.imread(str(path))
            assert image is not None and image.size > 0
    metrics = pipeline.metrics.render().decode()
    assert 'amane_unit_stage_seconds_count{camera="front",stage="detect"}' in metrics


def test_a_still_scene_never_runs_the_detector(tmp_path: Path) -> None:
    probe, detector = TrackProbe(), CountingDetector()
    pipeline, alerts = make_pipeline(tmp_path, probe, detector)
    run_scene(pipeline, seconds=3.0, vehicles=0, pedestrians=0, lingerer=False)
    assert detector.calls == 0 and alerts == [] and probe.observed == {}
    still = pipeline.metrics.frames.labels(camera="front", outcome="still")._value.get()
    assert still == 30


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((0, 640, 3), np.uint8),
        np.zeros((360, 640), np.uint8),
        np.zeros((360, 640, 3), np.float32),
        np.zeros((360, 640, 4), np.uint8),
    ],
    ids=["empty", "grey", "float", "bgra"],
)
def test_garbage_frames_are_counted_not_fatal(tmp_path: Path, image: np.ndarray) -> None:  # type: ignore[type-arg]
    probe, detector = TrackProbe(), CountingDetector()
    pipeline, _ = make_pipeline(tmp_path, probe, detector)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    good = np.full((360, 640, 3), 90, np.uint8)
    for i, img in enumerate([good, image, good]):
        pipeline.process(Frame("front", img, at + timedelta(seconds=i / 10), i))
    assert pipeline.metrics.frames.labels(camera="front", outcome="corrupt")._value.get() == 1


def test_a_failing_plugin_is_counted_and_the_pipeline_goes_on(tmp_path: Path) -> None:
    class Broken(TrackProbe):
        def observe(self, observation: TrackObservation) -> list[Finding]:
            raise RuntimeError("bug in a plug-in")

    probe, detector = Broken(name="broken"), CountingDetector()
    pipeline, alerts = make_pipeline(tmp_path, probe, detector)
    run_scene(pipeline, seconds=4.0, vehicles=2, pedestrians=1)
    assert alerts == []
    assert pipeline.metrics.plugin_errors.labels(plugin="broken")._value.get() >= 1
    _ = math
