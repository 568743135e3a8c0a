from __future__ import annotations

import asyncio

import pytest

from amane.bus import MemoryBus, subjects
from amane.bus.base import Bus, Delivery


async def _take(sub: object, n: int, limit_s: float = 1.0) -> list[Delivery]:
    out: list[Delivery] = []

    async def run() -> None:
        async for d in sub:  # type: ignore[attr-defined]
            out.append(d)
            if len(out) == n:
                return

    await asyncio.wait_for(run(), limit_s)
    return out


def test_memory_bus_is_a_bus() -> None:
    assert isinstance(MemoryBus(), Bus)


async def test_wildcard_subscription_receives_matching_subjects_only() -> None:
    bus = MemoryBus()
    sub = await bus.subscribe(subjects.ALL_ALERTS)
    await bus.publish(subjects.unit_alert("RBT-1"), b"a")
    await bus.publish(subjects.unit_heartbeat("RBT-1"), b"hb")
    await bus.publish(subjects.unit_alert("RBT-2"), b"b")
    got = await _take(sub, 2)
    assert [d.data for d in got] == [b"a", b"b"]
    await bus.close()


async def test_queue_group_shares_the_load() -> None:
    bus = MemoryBus()
    a = await bus.subscribe("x.>", queue="workers")
    b = await bus.subscribe("x.>", queue="workers")
    for i in range(10):
        await bus.publish(f"x.{i}", b"m")
    assert a.queue.qsize() + b.queue.qsize() == 10
    assert a.queue.qsize() == 5
    await bus.close()


async def test_durable_unacked_is_redelivered_acked_is_not() -> None:
    bus = MemoryBus(ack_wait=0.05)
    sub = await bus.subscribe("s", durable="c")
    await bus.publish("s", b"one")
    await bus.publish("s", b"two")
    first = await _take(sub, 2)
    await bus.ack(first[0])
    again = await _take(sub, 1)
    assert again[0].data == b"two"
    assert again[0].redelivered == 1
    await bus.ack(again[0])
    await asyncio.sleep(0.1)
    assert sub.queue.qsize() == 0
    await bus.close()


async def test_nak_redelivers_at_once() -> None:
    bus = MemoryBus()
    sub = await bus.subscribe("s", durable="c")
    await bus.publish("s", b"x")
    (d,) = await _take(sub, 1)
    await bus.nak(d)
    (d2,) = await _take(sub, 1)
    assert d2.data == b"x" and d2.redelivered == 1
    await bus.close()


async def test_publishing_to_a_wildcard_is_refused() -> None:
    with pytest.raises(ValueError, match="wildcard"):
        await MemoryBus().publish("amane.unit.*.alert", b"x")


@pytest.mark.parametrize(
    ("pattern", "subject", "ok"),
    [
        ("a.b", "a.b", True),
        ("a.*", "a.b", True),
        ("a.*", "a.b.c", False),
        ("a.>", "a.b.c", True),
        ("a.>", "a", False),
        ("a.*.c", "a.x.c", True),
        ("a.*.c", "a.x.d", False),
    ],
)
def test_subject_matching(pattern: str, subject: str, ok: bool) -> None:
    assert subjects.matches(pattern, subject) is ok
