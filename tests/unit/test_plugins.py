"""Plug-ins named in unit.yaml: loaded by name or factory, clear errors otherwise, and the REAL behaviour and
plate plug-ins running inside the pipeline on a rendered street."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from amane.config.unit import RecognizerEntry
from amane.core.errors import ConfigError
from amane.core.messages import Alert, AlertKind
from amane.sim.scene import SceneConfig
from amane.sim.source import SimCamera, SimSource
from amane.unit.evidence import EvidenceStore
from amane.unit.metrics import UnitMetrics
from amane.unit.pipeline import UnitPipeline
from amane.unit.plugins import load_plugins
from amane.vision.detect import build_detector
from amane.vision.recognize import Finding, SceneAnalyzer, TrackRecognizer
from amane.watchlists.hotlist import Hotlist, HotlistEntry, HotlistReason


def not_a_plugin(options: dict[str, Any]) -> object:
    return object()


def hotlist(path: Path) -> Path:
    store = Hotlist(path)
    store.add(
        [
            HotlistEntry(
                plate="12345-ب-6",
                reason=HotlistReason.STOLEN,
                agency="DGSN",
                legal_basis="case 1",
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        ]
    )
    store.close()
    return path


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (
            {
                "name": "behaviour",
                "options": {
                    "cameras": {"front": {"zones": [{"id": "kerb", "polygon": [[0, 0], [10, 0], [10, 10]]}]}}
                },
            },
            None,
        ),
        ({"name": "behaviour", "enabled": False, "options": {"colour": 1}}, None),
        ({"name": "behaviour", "options": {"colour": 1}}, "recognizer behaviour: bad options"),
        ({"name": "plates", "options": {}}, "recognizer plates: bad options"),
        ({"name": "plates", "options": {"hotlist": "/nonexistent/hotlist.db"}}, "hotlist file not found"),
        ({"name": "lidar"}, "recognizer lidar: unknown name"),
        ({"name": "lidar", "factory": "amane.nope:build"}, "cannot import amane.nope"),
        (
            {"name": "odd", "factory": f"{__name__}:not_a_plugin"},
            "neither a TrackRecognizer nor a SceneAnalyzer",
        ),
    ],
)
def test_loading_table(entry: dict[str, Any], error: str | None) -> None:
    parsed = RecognizerEntry.model_validate(entry)
    if error is None:
        recognizers, analyzers = load_plugins([parsed])
        assert recognizers == [] and len(analyzers) == int(parsed.enabled)
        return
    with pytest.raises(ConfigError, match=error):
        load_plugins([parsed])


def test_plates_plugin_loads_with_a_real_hotlist(tmp_path: Path) -> None:
    entry = RecognizerEntry(name="plates", options={"hotlist": str(hotlist(tmp_path / "hotlist.db"))})
    try:
        recognizers, analyzers = load_plugins([entry])
    except ConfigError as err:  # the plate model ships with the plates package once trained
        assert "recognizer plates: cannot start" in str(err) and "model" in str(err)
        pytest.skip(f"plate model not available: {err}")
    assert analyzers == [] and isinstance(recognizers[0].impl, TrackRecognizer)
    assert recognizers[0].impl.name == "plates"


def test_real_behaviour_rules_raise_alerts_in_the_pipeline(tmp_path: Path) -> None:
    zone = [[0, 150], [640, 150], [640, 260], [0, 260]]  # the pavement people walk on
    _, analyzers = load_plugins(
        [
            RecognizerEntry(
                name="behaviour",
                options={
                    "cameras": {
                        "front": {
                            "zones": [{"id": "pavement", "polygon": zone}],
                            "rules": [{"type": "intrusion", "zone": "pavement", "min_inside_s": 0.5}],
                        }
                    }
                },
            )
        ]
    )
    assert isinstance(analyzers[0].impl, SceneAnalyzer)
    alerts: list[Alert] = []
    pipeline = UnitPipeline(
        "RBT-4",
        detector_factory=lambda: build_detector(None),
        sink=lambda a, _ev, _lat: alerts.append(a),
        evidence=EvidenceStore(tmp_path / "ev", max_age_s=60, max_bytes=10**8),
        metrics=UnitMetrics("RBT-4"),
        analyzers=analyzers,
    )
    source = SimSource(
        [SimCamera("front", SceneConfig(width=640, height=360, seed=5, vehicles=0, pedestrians=2))],
        fps=10.0,
        realtime=False,
        duration_s=6.0,
    )
    while (frames := source.read()) is not None:
        for frame in frames:
            pipeline.process(frame)
    assert alerts, "people on the pavement should trip the intrusion rule"
    assert {a.kind for a in alerts} == {AlertKind.BEHAVIOUR}
    assert all(a.payload.get("rule") == "intrusion" and a.evidence for a in alerts)


def test_real_plate_plugin_reads_a_rendered_hotlisted_plate(tmp_path: Path) -> None:
    entry = RecognizerEntry(name="plates", options={"hotlist": str(hotlist(tmp_path / "hotlist.db"))})
    try:
        recognizers, _ = load_plugins([entry])
    except ConfigError as err:
        pytest.skip(f"plate model not available: {err}")
    alerts: list[Alert] = []
    pipeline = UnitPipeline(
        "RBT-4",
        detector_factory=lambda: build_detector(None),
        sink=lambda a, _ev, _lat: alerts.append(a),
        evidence=EvidenceStore(tmp_path / "ev", max_age_s=60, max_bytes=10**8),
        metrics=UnitMetrics("RBT-4"),
        recognizers=recognizers,
    )
    scene = SceneConfig(
        width=960, height=540, seed=3, vehicles=1, pedestrians=0, lingerer=False, plates=["12345-ب-6"]
    )
    source = SimSource([SimCamera("front", scene)], fps=6.0, realtime=False, duration_s=8.0)
    while (frames := source.read()) is not None:
        for frame in frames:
            pipeline.process(frame)
    pipeline.flush()
    plate_alerts = [a for a in alerts if a.kind is AlertKind.PLATE]
    assert plate_alerts, "the hotlisted plate on the passing car is read and hit"
    assert {e.key for e in plate_alerts[0].evidence} >= {"snapshot.jpg", "crop.jpg"}
    assert pipeline.metrics.plugin_errors.labels(plugin="plates")._value.get() == 0


class WantsPosition:
    """A recogniser that asks where the unit is (like the face plug-in's authorised areas)."""

    name = "wants-position"
    class_ids = frozenset({0})

    def __init__(self) -> None:
        self.position: object = lambda: None

    def observe(self, observation: object) -> list[Finding]:
        return []

    def end_track(self, track_id: int) -> list[Finding]:
        return []


def wants_position(options: dict[str, Any]) -> WantsPosition:
    return WantsPosition()


def test_plugins_that_ask_get_the_unit_position(tmp_path: Path) -> None:
    from amane.config.unit import UnitConfig
    from amane.unit.runtime import UnitRuntime

    config = UnitConfig.model_validate(
        {
            "unit_id": "RBT-4",
            "center": {"url": "http://127.0.0.1:9", "token": "amu_x"},
            "simulated": {"cameras": [{"id": "front"}]},
            "gps": {"type": "fixed", "lat": 34.02, "lon": -6.83},
            "recognizers": [{"name": "mine", "factory": f"{__name__}:wants_position"}],
            "evidence": {"dir": str(tmp_path / "ev")},
            "outbox": {"path": str(tmp_path / "outbox.db")},
        }
    )
    runtime = UnitRuntime(config)
    (plugin,) = runtime.pipeline._recognizers
    assert plugin.impl.position() == (34.02, -6.83)  # type: ignore[union-attr, operator]
    runtime.close()
