"""The real street video (YOLOX detections): ordinary walking raises no loitering or running alarm."""

from __future__ import annotations

from pathlib import Path

import pytest

from amane.vision.behavior import BehaviorEngine, load_behavior_config
from amane.vision.behavior.replay import detection_file_frames, replay

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.shared_data
def test_street_walkers_raise_no_loitering_or_running(shared_data: Path) -> None:
    config = load_behavior_config(ROOT / "examples" / "behavior-street.yaml")
    engine = BehaviorEngine(config, snapshots=False)
    frames = detection_file_frames(shared_data / "video" / "pedestrian_10s_yolox_detections.json", fps=24.0)
    fired = [f.payload["rule"] for _, _, found in replay(engine, "street", frames) for f in found]
    people = [t for t in engine.cameras["street"].book.tracks.values() if t.class_id == 0]
    assert len(frames) == 240 and people  # the stream was tracked
    assert "loitering" not in fired
    assert "speed" not in fired
    assert fired.count("line_crossing") >= 1  # people do walk across the mid line
