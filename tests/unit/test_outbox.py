"""The outbox on a real SQLite file: order, retries with backoff, thinning, bounds, restarts."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amane.core.messages import (
    AckState,
    Alert,
    AlertKind,
    GeoPoint,
    Heartbeat,
    MessageAck,
    Severity,
    decode_as,
)
from amane.unit.outbox import BOUND_CHECK_EVERY, Backoff, ItemKind, Outbox


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def alert(n: int = 0) -> Alert:
    return Alert(
        kind=AlertKind.PLATE,
        severity=Severity.HIGH,
        unit_id="RBT-1",
        camera_id="front",
        observed_at=datetime(2026, 1, 1, 10, 0, n, tzinfo=UTC),
        summary=f"hit {n}",
    )


def beat(lat: float = 34.0) -> Heartbeat:
    return Heartbeat(unit_id="RBT-1", position=GeoPoint(lat=lat, lon=-6.83))


def make(tmp_path: Path, clock: Clock, **kw: object) -> Outbox:
    return Outbox(tmp_path / "outbox.db", clock=clock, rng=random.Random(1), **kw)  # type: ignore[arg-type]


def test_alerts_leave_before_positions_and_evidence_waits_for_its_alert(tmp_path: Path) -> None:
    clock = Clock()
    box = make(tmp_path, clock)
    box.put_heartbeat(beat())
    clock.t += 1
    a = alert()
    snap = tmp_path / "snap.jpg"
    snap.write_bytes(b"\xff\xd8jpeg")
    box.put_alert(a, {"snapshot.jpg": (snap, "image/jpeg")})
    clock.t += 1
    box.put_ack(MessageAck(message_id=a.id, unit_id="RBT-1", state=AckState.DELIVERED))
    kinds = [i.kind for i in box.due()]
    assert kinds == [ItemKind.ALERT, ItemKind.ACK, ItemKind.HEARTBEAT]  # evidence not before its alert
    first = box.due()[0]
    assert decode_as(Alert, first.payload) == a and first.id == str(a.id)
    box.delivered(first)
    kinds = [i.kind for i in box.due()]
    assert kinds == [ItemKind.EVIDENCE, ItemKind.ACK, ItemKind.HEARTBEAT]
    evidence = box.due()[0]
    assert evidence.parent_id == str(a.id) and evidence.evidence_key == "snapshot.jpg"
    assert Path(evidence.payload.decode()) == snap


def test_failed_items_wait_with_growing_jittered_backoff(tmp_path: Path) -> None:
    clock = Clock()
    box = make(tmp_path, clock, backoff=Backoff(initial_s=1.0, max_s=60.0))
    box.put_alert(alert())
    delays = []
    for attempt in range(1, 9):
        (item,) = box.due()
        assert item.attempts == attempt - 1
        delay = box.failed(item, "HTTP 503")
        assert 1.0 <= delay <= min(60.0, 2.0**attempt)
        delays.append(delay)
        clock.t += delay - 0.01
        assert box.due() == []  # not yet
        clock.t += 0.02
    assert max(delays[4:]) > max(delays[:2])  # the ceiling grew


def test_same_alert_queued_twice_is_one_item(tmp_path: Path) -> None:
    box = make(tmp_path, Clock())
    a = alert()
    box.put_alert(a)
    box.put_alert(a)
    assert box.pending() == {"alert": 1}


def test_rejected_items_are_parked_not_resent(tmp_path: Path) -> None:
    box = make(tmp_path, Clock())
    box.put_alert(alert())
    (item,) = box.due()
    box.rejected(item, "HTTP 422 invalid")
    assert box.due() == [] and box.pending() == {}
    assert box.dead() == [(item.id, "alert", "HTTP 422 invalid")]


def test_backlog_survives_a_restart_in_order(tmp_path: Path) -> None:
    clock = Clock()
    box = make(tmp_path, clock)
    ids = []
    for n in range(5):
        a = alert(n)
        ids.append(str(a.id))
        box.put_alert(a)
        clock.t += 1
        box.put_heartbeat(beat())
        clock.t += 1
    box.close()
    again = make(tmp_path, clock)
    due = again.due()
    assert [i.id for i in due[:5]] == ids
    assert [i.kind for i in due[5:]] == [ItemKind.HEARTBEAT] * 5


@pytest.mark.parametrize(
    ("beats", "every_s", "interval_s", "kept"),
    [
        (120, 1.0, 30.0, 4),  # two minutes of 1 Hz positions -> one per 30 s slot
        (10, 10.0, 30.0, 4),  # 100 s at 0.1 Hz: slots 0-29, 30-59, 60-89, 90-99
        (5, 60.0, 30.0, 5),  # already sparser than the slot: nothing goes
        (1, 1.0, 30.0, 1),
    ],
)
def test_thinning_keeps_one_position_per_slot(
    tmp_path: Path, beats: int, every_s: float, interval_s: float, kept: int
) -> None:
    clock = Clock(0.0)
    box = make(tmp_path, clock, position_interval_s=interval_s)
    for i in range(beats):
        box.put_heartbeat(beat(34.0 + i * 1e-4))
        clock.t += every_s
    dropped = box.thin_positions()
    assert box.pending() == {"heartbeat": kept}
    assert dropped == beats - kept
    newest = max(box.due(limit=1000), key=lambda i: i.created_at)
    assert decode_as(Heartbeat, newest.payload).position == GeoPoint(lat=34.0 + (beats - 1) * 1e-4, lon=-6.83)


def test_bound_thins_positions_then_drops_them_but_never_alerts(tmp_path: Path) -> None:
    clock = Clock(0.0)
    box = make(tmp_path, clock, max_items=100, position_interval_s=30.0)
    for _ in range(150):  # positions far apart in time: thinning cannot help, the oldest go
        box.put_heartbeat(beat())
        clock.t += 60
    assert 100 <= box.pending()["heartbeat"] <= 100 + BOUND_CHECK_EVERY  # checked every few puts
    box.enforce_bounds()
    assert box.pending()["heartbeat"] == 100
    for n in range(130):
        box.put_alert(alert(n % 60))
        clock.t += 1
    box.enforce_bounds()
    pending = box.pending()
    assert pending["alert"] == 130  # over the bound: alerts are never dropped
    assert "heartbeat" not in pending
    assert box.dropped["heartbeat"] == 150


def test_backoff_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=0.0, max_s=1.0)
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=10.0, max_s=1.0)
