"""ByteTrack on scripted trajectories: stable ids through crossings, occlusions and weak detections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from amane.core.detections import Detections
from amane.vision.track import CameraTrackers, TrackerConfig, build_tracker

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FPS = 15.0


def at(frame: int) -> datetime:
    return T0 + timedelta(seconds=frame / FPS)


def dets(rows: list[tuple[float, float, float, float, float, int]]) -> Detections:
    if not rows:
        return Detections.empty()
    arr = np.array(rows, float)
    return Detections(arr[:, :4], arr[:, 4], arr[:, 5].astype(np.int64))


def box(cx: float, cy: float, w: float = 40, h: float = 100) -> tuple[float, float, float, float]:
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def test_two_people_crossing_keep_their_ids() -> None:
    tracker = build_tracker()
    ids_a: set[int] = set()
    ids_b: set[int] = set()
    for f in range(60):
        a = box(100 + 8 * f, 300)
        b = box(580 - 8 * f, 330)
        out = tracker.update(dets([(*a, 0.9, 0), (*b, 0.85, 0)]), at(f))
        for xyxy, tid in zip(out.xyxy, out.tracker_id, strict=True):
            is_a = np.abs(xyxy - np.array(a)).sum() < np.abs(xyxy - np.array(b)).sum()
            (ids_a if is_a else ids_b).add(int(tid))
    assert ids_a == {1} and ids_b == {2}


@pytest.mark.parametrize(
    ("gap_frames", "same_id"),
    [(3, True), (15, True), (30, False)],  # lost_track_s = 1.5 s = 22 frames at 15 fps
)
def test_occlusion_gap_within_the_lost_buffer_keeps_the_id(gap_frames: int, same_id: bool) -> None:
    tracker = build_tracker(TrackerConfig(lost_track_s=1.5))
    ids: list[int] = []
    for f in range(40 + gap_frames):
        hidden = 20 <= f < 20 + gap_frames
        d = dets([]) if hidden else dets([(*box(100 + 5 * f, 200), 0.9, 0)])
        ids.extend(int(i) for i in tracker.update(d, at(f)).tracker_id)
    assert (len(set(ids)) == 1) is same_id
    if not same_id:
        assert tracker.pop_ended() == [1]


def test_low_score_detections_continue_a_track_but_do_not_start_one() -> None:
    tracker = build_tracker()
    ids: list[list[int]] = []
    for f in range(30):
        score = 0.9 if f < 10 else 0.3  # fades (occlusion, blur) after frame 10
        rows = [(*box(100 + 6 * f, 200), score, 0)]
        if f >= 10:
            rows.append((*box(600, 400), 0.3, 2))  # a weak newcomer never becomes a track
        ids.append(tracker.update(dets(rows), at(f)).tracker_id.tolist())
    assert ids[0] == [] and all(i == [1] for i in ids[1:])


def test_ended_tracks_are_reported_once_and_ids_never_reused() -> None:
    tracker = build_tracker(TrackerConfig(lost_track_s=0.5))
    seen_ids: list[int] = []
    ended: list[int] = []
    for person in range(5):  # five people pass one after the other
        for f in range(10):
            frame = person * 30 + f
            out = tracker.update(dets([(*box(50 + 20 * f, 200), 0.9, 0)]), at(frame))
            seen_ids.extend(int(i) for i in out.tracker_id)
            ended.extend(tracker.pop_ended())
        for f in range(10, 30):
            tracker.update(dets([]), at(person * 30 + f))
            ended.extend(tracker.pop_ended())
    assert sorted(set(seen_ids)) == [1, 2, 3, 4, 5]
    assert ended == [1, 2, 3, 4, 5]
    assert tracker.pop_ended() == []


def test_class_is_the_weighted_vote_and_a_label_flicker_does_not_break_the_track() -> None:
    tracker = build_tracker()
    out = Detections.empty()
    for f in range(20):
        cls = 7 if f % 5 == 4 else 2  # car, sometimes labelled truck
        out = tracker.update(dets([(*box(300 + 10 * f, 300, 200, 90), 0.8, cls)]), at(f))
    assert out.tracker_id.tolist() == [1]
    assert out.class_id.tolist() == [2]


def test_class_aware_tracking_keeps_person_and_car_apart() -> None:
    tracker = build_tracker(TrackerConfig(class_aware=True))
    ids: set[int] = set()
    for f in range(20):
        cls = 0 if f < 10 else 2
        out = tracker.update(dets([(*box(300, 300), 0.9, cls)]), at(f))
        ids.update(int(i) for i in out.tracker_id)
    assert ids == {1, 2}


def test_end_all_and_per_camera_ids_are_unique() -> None:
    trackers = CameraTrackers()
    for f in range(3):
        for cam in ("front", "rear", "left"):
            trackers.update(cam, dets([(*box(100, 100), 0.9, 0)]), at(f))
    assert sorted(trackers.end_all()) == [1, 2, 3]
    assert trackers.pop_ended() == []


def test_detection_data_travels_with_the_tracked_boxes() -> None:
    tracker = build_tracker()
    for f in range(3):
        d = dets([(*box(100, 100), 0.9, 0), (*box(400, 100), 0.9, 0)])
        d = Detections(d.xyxy, d.confidence, d.class_id, data={"bearing": np.array([10.0, 40.0])})
        out = tracker.update(d, at(f))
    assert sorted(out.data["bearing"].tolist()) == [10.0, 40.0]
    left = int(np.argmin(out.xyxy[:, 0]))
    assert out.data["bearing"][left] == 10.0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"high_threshold": 1.5}, "less than or equal to 1"),
        ({"lost_track_s": 0}, "greater than 0"),
        ({"match_iou": 0}, "greater than 0"),
        ({"buffer": 30}, "Extra inputs"),
        ({}, None),
    ],
)
def test_tracker_config_table(kwargs: dict[str, float], error: str | None) -> None:
    if error is None:
        TrackerConfig(**kwargs)  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError, match=error):
            TrackerConfig(**kwargs)  # type: ignore[arg-type]


def test_low_above_high_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="low_threshold"):
        build_tracker(TrackerConfig(low_threshold=0.7, high_threshold=0.5))


@pytest.mark.parametrize(("frame_rate", "same_id"), [(15.0, True), (2.0, False)])
def test_dropped_frames_scale_the_prediction(frame_rate: float, same_id: bool) -> None:
    """A fast walker (20 px a frame, 40 px wide) analysed with gaps of up to 4 frames under load.

    With the motion model scaled by the real time elapsed the track survives the gaps; a model that
    believes in a much slower camera (2 fps: it expects the walker to have moved far less) loses it.
    """
    tracker = build_tracker(TrackerConfig(frame_rate=frame_rate))
    ids: set[int] = set()
    for f in [0, 1, 2, 3, 4, 8, 9, 13, 14, 15, 19, 20]:
        out = tracker.update(dets([(*box(100 + 20 * f, 300), 0.9, 0)]), at(f))
        ids.update(int(i) for i in out.tracker_id)
    assert (len(ids) == 1) is same_id, ids
