"""The behaviour scenario generator, and a quick accuracy floor of the rules on noisy scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from amane.eval.behavior import evaluate_scenarios
from amane.sim.behavior_scenarios import SCENARIOS, make_scenario
from amane.vision.behavior.rules import RULE_TYPES


def test_same_seed_same_stream_other_seed_other_stream() -> None:
    a, b, c = make_scenario("loiter", 4), make_scenario("loiter", 4), make_scenario("loiter", 5)
    assert len(a.frames) == len(b.frames) and a.events == b.events
    assert all(np.array_equal(x.xyxy, y.xyxy) for (_, x), (_, y) in zip(a.frames, b.frames, strict=True))
    assert a.events != c.events


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_streams_are_timed_tracked_and_labelled(kind: str) -> None:
    rule, distractor, _ = SCENARIOS[kind]
    sc = make_scenario(kind, 0)
    times = [t for t, _ in sc.frames]
    assert np.allclose(np.diff(times), 1 / sc.fps)
    assert sc.fps in (10.0, 12.0, 15.0)
    assert all((d.tracker_id >= 0).all() for _, d in sc.frames)
    own = [e for e in sc.events if e.rule == rule]
    assert (not own) if distractor else own
    assert all(e.start_s <= e.end_s for e in sc.events)


def test_every_rule_has_true_events_and_noise_is_there() -> None:
    rules = {e.rule for k in SCENARIOS for e in make_scenario(k, 1).events}
    assert rules == set(RULE_TYPES)
    ids_per_actor = [
        len(e.tracker_ids)
        for k in SCENARIOS
        for s in range(3)
        for e in make_scenario(k, s).events
        if e.tracker_ids
    ]
    assert max(ids_per_actor) >= 2  # id switches happen
    clean, noisy = make_scenario("crowd", 2, noise=False), make_scenario("crowd", 2)
    assert sum(len(d) for _, d in noisy.frames) < sum(len(d) for _, d in clean.frames)  # missed detections


def test_quick_accuracy_floor_on_noisy_scenarios() -> None:
    result = evaluate_scenarios(range(100, 104))
    for rule, score in result["rules"].items():
        assert score["events"] >= 4, rule
        assert score["precision"] >= 0.9, (rule, score)
        assert score["recall"] >= 0.9, (rule, score)
        assert score["delay_p95_s"] <= 1.0, (rule, score)


def test_falls_topple_in_any_direction_and_slow_lie_downs_take_longer() -> None:
    """Fallers land toward and away from the camera, the body turning (not shrinking in place);
    a deliberate lie-down lowers the box top at a slow, steady rate."""
    build_fall, build_crouch = SCENARIOS["fall"][2], SCENARIOS["crouch"][2]
    scripts = [build_fall(np.random.default_rng(s)) for s in range(12)]
    headings = [next(a for a in sc.actors if a.name == "faller").heading for sc in scripts]
    assert any(np.sin(h) > 0.5 for h in headings) and any(np.sin(h) < -0.5 for h in headings)
    for sc in scripts:
        ev = sc.scripted[0]
        assert ev.onset_s is not None and 0.3 <= ev.start_s - ev.onset_s <= 0.8
        faller = next(a for a in sc.actors if a.name == "faller")
        mid = [k for k in faller.size if ev.onset_s < k[0] < ev.start_s]
        assert mid and all(k[1] > 0.35 and k[3] > 0.3 for k in mid)  # part-way: longer and still high
    lie = next(a for a in build_crouch(np.random.default_rng(0)).actors if a.name == "lies_down_slowly")
    t = np.array([k[0] for k in lie.size])
    height = np.array([k[3] for k in lie.size])
    rate = -np.diff(height[1:]) / np.diff(t[1:]) / height[0]  # standing heights per second
    assert t[-1] - t[1] >= 3.5 and (rate >= 0).all() and rate.max() <= 0.35  # a fall: above 1.5
