"""``amane eval behavior``: precision, recall and alarm delay of every behaviour rule on generated
scenarios, plus a replay of the real street video's detections.

Matching an alarm to a ground-truth event: same rule type, same zone or line, the alarm time
inside the event window widened by ``TOLERANCE_S`` on both sides, and (for per-track rules) at
least one tracker id in common with the actor's ids. Each event is matched by at most one alarm;
a second alarm for an already matched event is a duplicate and counts as a false positive.
Delay = alarm time - event start (the moment the rule's condition became true).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from amane.sim.behavior_scenarios import (
    CAMERA_ID,
    SCENARIOS,
    BehaviorScenario,
    GroundTruthEvent,
    make_scenario,
)
from amane.sim.behavior_scenarios import scene_config as sim_scene_config
from amane.vision.behavior import BehaviorConfig, BehaviorEngine, load_behavior_config
from amane.vision.behavior.replay import EPOCH, Frame, detection_file_frames, replay, video_frames
from amane.vision.behavior.rules import RULE_TYPES

logger = logging.getLogger(__name__)

TOLERANCE_S = 1.0
STREET_CONFIG = Path("examples/behavior-street.yaml")


@dataclass(frozen=True)
class AlarmRecord:
    """An alarm as the evaluation sees it."""

    rule: str
    target: str | None
    t: float
    tracker_ids: frozenset[int]
    summary: str = ""


def run_scenario(scenario: BehaviorScenario) -> list[AlarmRecord]:
    """Play a scenario through a fresh engine with the evaluated config; return its alarms."""
    engine = BehaviorEngine(BehaviorConfig(cameras={CAMERA_ID: sim_scene_config()}), snapshots=False)
    out = []
    for t, dets in scenario.frames:
        for f in engine.update(CAMERA_ID, dets, EPOCH + timedelta(seconds=t), None):
            out.append(
                AlarmRecord(
                    f.payload["rule"], f.payload["zone"], t, frozenset(f.payload["tracker_ids"]), f.summary
                )
            )
    return out


@dataclass
class RuleScore:
    """Counts for one rule."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    duplicates: int = 0

    def __post_init__(self) -> None:
        self.delays: list[float] = []

    def as_dict(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        d = np.asarray(self.delays)
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "delay_p95_s": round(float(np.percentile(d, 95)), 3) if len(d) else None,
            "delay_median_s": round(float(np.median(d)), 3) if len(d) else None,
            "delay_max_s": round(float(d.max()), 3) if len(d) else None,
            "within_1s": round(float(np.mean(d <= 1.0)), 4) if len(d) else None,
            "events": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "duplicates": self.duplicates,
        }


def _fits(alarm: AlarmRecord, event: GroundTruthEvent) -> bool:
    return (
        alarm.rule == event.rule
        and alarm.target == event.target
        and event.start_s - TOLERANCE_S <= alarm.t <= event.end_s + TOLERANCE_S
        and (event.tracker_ids is None or bool(alarm.tracker_ids & event.tracker_ids))
    )


def match(
    alarms: list[AlarmRecord], events: list[GroundTruthEvent], scores: dict[str, RuleScore]
) -> list[tuple[str, AlarmRecord | GroundTruthEvent]]:
    """Match one scenario's alarms to its events, adding to ``scores``; returns the errors."""
    matched: set[int] = set()
    errors: list[tuple[str, AlarmRecord | GroundTruthEvent]] = []
    for alarm in sorted(alarms, key=lambda a: a.t):
        score = scores[alarm.rule]
        free = [i for i, e in enumerate(events) if i not in matched and _fits(alarm, e)]
        if free:
            i = min(free, key=lambda k: events[k].start_s)
            matched.add(i)
            score.tp += 1
            score.delays.append(alarm.t - events[i].start_s)
        else:
            score.fp += 1
            if any(_fits(alarm, events[i]) for i in matched):
                score.duplicates += 1
            errors.append(("fp", alarm))
    for i, e in enumerate(events):
        if i not in matched:
            scores[e.rule].fn += 1
            errors.append(("fn", e))
    return errors


def evaluate_scenarios(seeds: range, kinds: list[str] | None = None) -> dict[str, Any]:
    """Score every rule over ``kinds`` x ``seeds`` scenarios."""
    scores = {r: RuleScore() for r in RULE_TYPES}
    per_kind: dict[str, dict[str, int]] = defaultdict(
        lambda: {"runs": 0, "alarms": 0, "events": 0, "errors": 0}
    )
    examples: list[str] = []
    frames = 0
    t0 = time.perf_counter()
    for kind in kinds or list(SCENARIOS):
        for seed in seeds:
            sc = make_scenario(kind, seed)
            frames += len(sc.frames)
            alarms = run_scenario(sc)
            errors = match(alarms, sc.events, scores)
            k = per_kind[kind]
            k["runs"] += 1
            k["alarms"] += len(alarms)
            k["events"] += len(sc.events)
            k["errors"] += len(errors)
            examples.extend(f"{kind} seed {seed}: {what} {item}" for what, item in errors[:2])
    return {
        "rules": {r: s.as_dict() for r, s in scores.items()},
        "scenarios": dict(per_kind),
        "seeds": len(seeds),
        "frames": frames,
        "seconds": round(time.perf_counter() - t0, 1),
        "tolerance_s": TOLERANCE_S,
        "error_examples": examples[:40],
    }


def _replay_summary(engine: BehaviorEngine, camera_id: str, frames: Iterable[Frame]) -> dict[str, Any]:
    """Replay frames; return what fired, and the walking speeds seen (for context)."""
    camera = engine.cameras[camera_id]
    window = next((r.config.window_s for r in camera.rules if r.type == "speed"), 1.0)
    alarms: list[dict[str, Any]] = []
    speeds: dict[int, list[float]] = defaultdict(list)
    n_frames = n_dets = 0
    t_first: float | None = None
    tracked: set[int] = set()
    for frame, dets, findings in replay(engine, camera_id, frames):
        t = frame.at.timestamp()
        t_first = t if t_first is None else t_first
        n_frames += 1
        n_dets += len(dets)
        for f in findings:
            alarms.append(
                {
                    "t_s": round(t - t_first, 2),
                    "rule": f.payload["rule"],
                    "summary": f.summary,
                    "track_ids": f.payload["track_ids"],
                    "measured": f.payload["measured"],
                    "thresholds": f.payload["thresholds"],
                }
            )
        for s in camera.book.tracks.values():
            if s.last_seen == t and s.class_id == 0:
                tracked.add(s.identity)
                v = s.speed(window)
                if v is not None:
                    speeds[s.identity].append(v)
    per_track = {
        str(i): {"median_mps": round(float(np.median(v)), 2), "max_mps": round(float(np.max(v)), 2)}
        for i, v in speeds.items()
        if len(v) >= 10
    }
    counts: dict[str, int] = defaultdict(int)
    for a in alarms:
        counts[a["rule"]] += 1
    return {
        "frames": n_frames,
        "detections": n_dets,
        "person_identities": len(tracked),
        "alarms": alarms,
        "alarm_counts": dict(counts),
        "person_speeds": per_track,
    }


def evaluate_video(config_path: Path, data: Path, camera_id: str = "street") -> dict[str, Any]:
    """Replay the YOLOX detections of the street video, then the default detector on the raw video."""
    from amane.vision.detect import build_detector

    config = load_behavior_config(config_path)
    video = data / "video" / "pedestrian_10s.mp4"
    dets_file = data / "video" / "pedestrian_10s_yolox_detections.json"
    out: dict[str, Any] = {"config": str(config_path)}
    if not dets_file.is_file():
        return {**out, "skipped": f"{dets_file} not found"}
    out["yolox_replay"] = _replay_summary(
        BehaviorEngine(config, snapshots=False), camera_id, detection_file_frames(dets_file, fps=24.0)
    )
    t0 = time.perf_counter()
    summary = _replay_summary(
        BehaviorEngine(config, snapshots=False), camera_id, video_frames(video, build_detector())
    )
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    out["classical_detector"] = summary
    return out


def behavior_command(
    json_out: Annotated[Path, typer.Option("--json", help="Write the results here")],
    seeds: Annotated[int, typer.Option(help="Seeds per scenario kind")] = 30,
    quick: Annotated[bool, typer.Option("--quick", help="5 seeds per kind, no video")] = False,
    video_config: Annotated[Path, typer.Option(help="Zones of the real video")] = STREET_CONFIG,
    data: Annotated[Path, typer.Option(help="Evaluation data folder")] = Path("../shared/data"),
) -> None:
    """Behaviour rules: precision, recall and delay per rule on generated scenarios; the real street video."""
    result = evaluate_scenarios(range(5 if quick else seeds))
    if not quick:
        result["real_video"] = evaluate_video(video_config, data)
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(result, indent=2, default=str))
    print(f"{'rule':18} {'precision':>9} {'recall':>7} {'p95 delay s':>11} {'events':>6} {'fp':>4}")
    for rule, s in result["rules"].items():
        delay = "-" if s["delay_p95_s"] is None else f"{s['delay_p95_s']:.2f}"
        print(f"{rule:18} {s['precision']:9.3f} {s['recall']:7.3f} {delay:>11} {s['events']:6d} {s['fp']:4d}")
    print(f"{result['frames']} frames in {result['seconds']} s")
    for name, run in (result.get("real_video") or {}).items():
        if isinstance(run, dict):
            print(f"real video, {name}: {run['frames']} frames, alarms {run['alarm_counts']}")
    print(f"written to {json_out}")
