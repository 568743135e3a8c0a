"""Every rule on rendered scenes: clean streams give exactly the true events; hand-made cases for
time windows, id switches, cooldown, snapshots and the SceneAnalyzer protocol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from amane.core.detections import Detections
from amane.core.messages import AlertKind
from amane.eval.behavior import RuleScore, match, run_scenario
from amane.sim.behavior_scenarios import SCENARIOS, make_scenario
from amane.vision.behavior import BehaviorConfig, BehaviorEngine
from amane.vision.behavior.rules import RULE_TYPES
from amane.vision.recognize import SceneAnalyzer

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # a Monday evening


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_clean_scenario_fires_exactly_the_true_events(kind: str) -> None:
    sc = make_scenario(kind, seed=3, noise=False)
    rule, distractor, _ = SCENARIOS[kind]
    scores = {r: RuleScore() for r in RULE_TYPES}
    errors = match(run_scenario(sc), sc.events, scores)
    assert errors == []
    own = [e for e in sc.events if e.rule == rule]
    assert (len(own) == 0) == distractor
    assert all(0 <= d <= 1.0 for s in scores.values() for d in s.delays)


def _person(x: float, y: float, h: float = 100.0, w: float = 30.0) -> list[float]:
    return [x - w / 2, y - h, x + w / 2, y]


def _engine(rules: list[dict[str, object]], **camera: object) -> BehaviorEngine:
    cam = {
        "zones": [{"id": "yard", "polygon": [[200, 200], [400, 200], [400, 400], [200, 400]]}],
        "lines": [{"id": "gate", "points": [[0, 300], [600, 300]]}],
        "rules": rules,
        **camera,
    }
    return BehaviorEngine(BehaviorConfig.model_validate({"cameras": {"cam": cam}}))


def _run(
    engine: BehaviorEngine,
    boxes: list[list[list[float]]],
    ids: list[list[int]],
    fps: float = 10.0,
    start: datetime = T0,
    frame: np.ndarray | None = None,
) -> list[tuple[float, str, dict[str, object]]]:
    out = []
    for k, (bs, ts) in enumerate(zip(boxes, ids, strict=True)):
        at = start + timedelta(seconds=k / fps)
        dets = Detections(xyxy=np.asarray(bs, dtype=float).reshape(-1, 4), tracker_id=np.asarray(ts))
        for f in engine.update("cam", dets, at, frame):
            out.append((k / fps, f.summary, f.payload))
    return out


@pytest.mark.parametrize(
    ("window", "start", "fires"),
    [
        ([], T0, True),
        ([{"start": "20:00", "end": "06:00"}], T0, True),  # 21:00 is inside a window past midnight
        ([{"start": "20:00", "end": "06:00"}], T0 + timedelta(hours=10), False),  # 07:00 next day: no
        ([{"start": "08:00", "end": "18:00"}], T0, False),
        ([{"start": "20:00", "end": "23:00", "days": [5, 6]}], T0, False),  # weekends only
    ],
)
def test_intrusion_time_windows(window: list[dict[str, object]], start: datetime, fires: bool) -> None:
    engine = _engine([{"type": "intrusion", "zone": "yard", "schedule": window}])
    got = _run(engine, [[_person(300, 350)]] * 10, [[1]] * 10, start=start)
    assert bool(got) == fires
    if fires:
        assert len(got) == 1 and got[0][2]["zone"] == "yard"


@pytest.mark.parametrize(("direction", "expected"), [("any", 2), ("positive", 1), ("negative", 1)])
def test_line_crossing_direction_and_counts(direction: str, expected: int) -> None:
    engine = _engine([{"type": "line_crossing", "line": "gate", "direction": direction, "cooldown_s": 0}])
    down = [_person(100, y) for y in range(250, 360, 10)]  # crosses y=300 downward: positive side
    up = list(reversed(down))
    got = _run(engine, [[b] for b in down + up], [[1]] * (2 * len(down)))
    assert len(got) == expected
    engine_rule = engine.cameras["cam"].rules[0]
    assert engine_rule.counts == {"positive": 1, "negative": 1}  # type: ignore[attr-defined]
    assert got[0][2]["measured"]["direction"] == ("positive" if direction == "any" else direction)  # type: ignore[index]


def test_loitering_survives_an_id_switch_and_fires_once() -> None:
    engine = _engine([{"type": "loitering", "zone": "yard", "dwell_s": 5}])
    n = 100  # 10 s at 10 fps, id 1 -> gap of 1 s -> id 2
    boxes = [[_person(300 + (k % 7), 350)] if not 40 <= k < 50 else [] for k in range(n)]
    ids = [[1] if k < 40 else ([] if k < 50 else [2]) for k in range(n)]
    got = _run(engine, boxes, ids)
    assert len(got) == 1
    payload = got[0][2]
    assert payload["tracker_ids"] == [1, 2] and payload["measured"]["dwell_s"] >= 5  # type: ignore[index]
    assert got[0][0] >= 5.0


def test_cooldown_and_rearm_deduplicate() -> None:
    engine = _engine([{"type": "intrusion", "zone": "yard", "cooldown_s": 3, "rearm_s": 0.5}])
    inside, outside = _person(300, 350), _person(100, 150)
    seq = [inside] * 10 + [outside] * 10 + [inside] * 10 + [outside] * 10 + [inside] * 10
    got = _run(engine, [[b] for b in seq], [[1]] * len(seq))
    # in at 0 s (fires), again at 2 s (within the 3 s cooldown: suppressed), again at 4 s (fires)
    times = [t for t, _, _ in got]
    assert len(times) == 2 and 0.3 <= times[0] <= 0.45 and 4.3 <= times[1] <= 4.45


def test_engine_is_a_scene_analyzer_with_snapshot_and_explanation() -> None:
    engine = _engine([{"type": "intrusion", "zone": "yard"}])
    assert isinstance(engine, SceneAnalyzer)
    frame = np.zeros((480, 640, 3), np.uint8)
    findings = []
    for k in range(5):
        dets = Detections(xyxy=np.array([_person(300, 350)]), tracker_id=np.array([9]))
        findings += engine.update("cam", dets, T0 + timedelta(seconds=k / 10), frame)
    assert len(findings) == 1
    f = findings[0]
    assert f.kind is AlertKind.BEHAVIOUR and f.track_id == 9 and f.camera_id == "cam"
    assert f.snapshot is not None and f.snapshot.shape == frame.shape and f.snapshot.any()
    assert f.crop is not None and f.crop.shape[:2] == (100, 30)
    assert set(f.payload) >= {"rule", "zone", "measured", "thresholds", "track_ids"}
    assert engine.update("other-camera", Detections.empty(), T0, None) == []


def test_frames_out_of_order_are_ignored() -> None:
    engine = _engine([{"type": "intrusion", "zone": "yard", "min_inside_s": 0}])
    dets = Detections(xyxy=np.array([_person(300, 350)]), tracker_id=np.array([1]))
    assert len(engine.update("cam", dets, T0, None)) == 1
    assert engine.update("cam", dets, T0 - timedelta(seconds=1), None) == []


def _posture_change(end: list[float], change_s: float, fps: float = 10.0) -> list[list[list[float]]]:
    """A person standing 2 s (box 30 x 100 px, bottom at row 350), then changing linearly to the
    box ``end`` over ``change_s`` and holding it for 3 s."""
    start = np.asarray(_person(300, 350))
    stand, change, hold = int(2 * fps), max(int(change_s * fps), 1), int(3 * fps)
    frames = [start] * stand
    frames += [start + (np.asarray(end) - start) * (k + 1) / change for k in range(change)]
    frames += [np.asarray(end)] * hold
    return [[list(map(float, b))] for b in frames]


@pytest.mark.parametrize(
    ("end", "change_s", "fires"),
    [
        (_person(300, 355, h=30, w=95), 0.4, True),  # falls across the view
        (_person(300, 375, h=60, w=45), 0.4, True),  # falls along the view: head down, bottom closer
        (_person(300, 355, h=30, w=95), 3.0, False),  # lies down slowly
        (_person(300, 350, h=68, w=50), 0.5, False),  # squats: the head down by a third
        (_person(300, 300, h=50, w=30), 0.3, False),  # the legs hidden behind an obstacle
    ],
)
def test_person_down_tells_a_fall_from_lying_down_squatting_and_occlusion(
    end: list[float], change_s: float, fires: bool
) -> None:
    engine = _engine([{"type": "person_down"}])
    boxes = _posture_change(end, change_s)
    got = _run(engine, boxes, [[1]] * len(boxes))
    assert [p["rule"] for _, _, p in got] == (["person_down"] if fires else [])
    if fires:
        t, _, payload = got[0]
        assert 2.0 + change_s + 0.4 <= t <= 2.0 + change_s + 1.0  # within a second of being down
        assert payload["measured"]["head_drop"] >= payload["thresholds"]["min_head_drop"]  # type: ignore[index]
