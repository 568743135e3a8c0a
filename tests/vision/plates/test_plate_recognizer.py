"""PlateRecognizer end to end: rendered plate on a vehicle, hotlist hit -> finding; miss -> hash retained."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from amane.core.messages import AlertKind, Severity
from amane.vision.plates.recognizer import PlateRecognizer, PlateRecognizerConfig
from amane.vision.plates.retention import ReadRetention, RetentionConfig
from amane.vision.recognize import TrackObservation, TrackRecognizer
from amane.watchlists.hotlist import Hotlist, HotlistEntry

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY = "unit-test-retention-key-0123456789"


VEHICLE_BOX = (160.0, 140.0, 480.0, 370.0)


def observation(frame: Any, track: int = 7, class_id: int = 2, k: int = 0) -> TrackObservation:
    return TrackObservation(
        track_id=track,
        camera_id="front",
        class_id=class_id,
        box=VEHICLE_BOX,
        frame=frame,
        observed_at=AT + timedelta(milliseconds=100 * k),
        quality=0.8,
    )


@pytest.fixture
def scene(clean_plate: Callable[[str], Any], frame_with_plate: Callable[..., Any]) -> tuple[Any, str]:
    from amane.vision.plates.reader import PlateReader

    reader = PlateReader()
    for _ in range(20):  # a plate the model reads at this size in the vehicle box (floors cover accuracy)
        plate, text = clean_plate("moroccan")
        frame, _ = frame_with_plate(plate, width=200)
        dets = reader.read_frame(frame, [VEHICLE_BOX])
        if dets and dets[0].read.text == text:
            return frame, text
    pytest.fail("no rendered plate was read")


def make(tmp_path: Path, plates: list[str], **kw: Any) -> tuple[PlateRecognizer, ReadRetention]:
    hl = Hotlist(tmp_path / "hl.sqlite")
    hl.add(
        [
            HotlistEntry(
                plate=p,
                reason="stolen",
                priority=1,
                agency="DGSN",
                legal_basis="PV 1",
                action="stop the vehicle",
                expires_at=AT + timedelta(days=1),
            )
            for p in plates
        ]
    )
    retention = ReadRetention(RetentionConfig(key=KEY), tmp_path / "reads.sqlite")
    return PlateRecognizer(hl, PlateRecognizerConfig(**kw), retention=retention), retention


def test_is_a_track_recognizer(tmp_path: Path) -> None:
    rec, _ = make(tmp_path, [])
    assert isinstance(rec, TrackRecognizer)
    assert rec.class_ids == frozenset({2, 3, 5, 7})


def test_hit_on_pass(tmp_path: Path, scene: tuple[Any, str]) -> None:
    frame, text = scene
    rec, retention = make(tmp_path, [text], immediate_confidence=1.0)
    for k in range(3):
        assert rec.observe(observation(frame, k=k)) == []
    (finding,) = rec.end_track(7)
    assert finding.kind is AlertKind.PLATE and finding.severity is Severity.CRITICAL
    assert finding.payload["plate_read"] == text and finding.payload["match"]["exact"]
    assert finding.payload["entry"]["action"] == "stop the vehicle"
    assert finding.crop is not None and finding.snapshot is not None and finding.track_id == 7
    assert rec.end_track(7) == []  # state freed
    assert retention.seen(text) == 0  # hits are evidence, not retained reads


def test_immediate_hit_alerts_once(tmp_path: Path, scene: tuple[Any, str]) -> None:
    frame, text = scene
    rec, _ = make(tmp_path, [text], immediate_confidence=0.0)
    first = rec.observe(observation(frame, k=0))
    assert len(first) == 1
    assert rec.observe(observation(frame, k=1)) == []
    assert rec.end_track(7) == []


def test_fuzzy_hit(tmp_path: Path, scene: tuple[Any, str]) -> None:
    frame, text = scene
    listed = ("8" if text[0] != "8" else "9") + text[1:]  # one digit differs from what is read
    rec, _ = make(tmp_path, [listed], immediate_confidence=1.0)
    rec.observe(observation(frame))
    (finding,) = rec.end_track(7)
    assert not finding.payload["match"]["exact"] and finding.payload["entry"]["plate"] == listed


def test_miss_keeps_only_a_hash(tmp_path: Path, scene: tuple[Any, str]) -> None:
    frame, text = scene
    rec, retention = make(tmp_path, ["11111أ1"], immediate_confidence=1.0)
    rec.observe(observation(frame))
    assert rec.end_track(7) == []
    assert retention.seen(text) == 1
    assert text.encode() not in (tmp_path / "reads.sqlite").read_bytes()


def test_people_are_ignored(tmp_path: Path, scene: tuple[Any, str]) -> None:
    frame, text = scene
    rec, _ = make(tmp_path, [text], immediate_confidence=0.0)
    assert rec.observe(observation(frame, class_id=0)) == []
    assert rec.end_track(7) == []
