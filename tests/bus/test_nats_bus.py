"""The NATS JetStream bus against the real local NATS (skipped when 127.0.0.1:4222 does not answer).

Every test works in its own namespace (its own streams and subjects) and deletes its streams, so
runs are repeatable and do not see each other.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from amane.bus import Delivery, connect_bus, subjects
from amane.bus.nats import STREAMS, BusUnavailableError, NatsBus, message_id, parse_nats_url
from amane.core.messages import Alert, AlertKind, Heartbeat, Severity, encode

pytestmark = pytest.mark.nats


def _alert(unit: str = "RBT-1", n: int = 0) -> Alert:
    return Alert(kind=AlertKind.PLATE, severity=Severity.HIGH, unit_id=unit,
                 observed_at=datetime(2026, 1, 1, tzinfo=UTC), summary=f"alert {n}")


@pytest.fixture
async def bus_url(nats_url: str) -> AsyncIterator[str]:
    """A bus URL with a fresh namespace; its streams are deleted afterwards."""
    url = f"{nats_url}?namespace=t{secrets.token_hex(4)}&ack_wait_s=5&fetch_timeout_s=0.2&fetch_batch=50"
    yield url
    cleaner = NatsBus(url)
    await cleaner.delete_streams()
    await cleaner.close()


async def _collect(sub: object, bus: NatsBus, into: list[Delivery], *, ack: bool = True) -> None:
    async for delivery in sub:  # type: ignore[attr-defined]
        into.append(delivery)
        if ack:
            await bus.ack(delivery)


async def _until(predicate: object, within_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not predicate():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    ("url", "servers", "user", "problem"),
    [
        ("nats://127.0.0.1:4222", ["nats://127.0.0.1:4222"], None, None),
        ("nats://center:pw@a:4222,nats://b?replicas=3", ["nats://a:4222", "nats://b:4222"], "center", None),
        ("tls://nats.example:4443?tls_ca=/etc/ca.pem", ["tls://nats.example:4443"], None, None),
        ("nats://h:4222?ack_wait_s=0", None, None, "ack_wait_s"),
        ("nats://h:4222?colour=blue", None, None, "colour"),
        ("nats://h:4222?namespace=a.b", None, None, "namespace"),
        ("http://h:4222", None, None, "nats:// or tls://"),
    ],
)
def test_parse_nats_url(url: str, servers: list[str] | None, user: str | None, problem: str | None) -> None:
    if problem is not None:
        with pytest.raises(ValueError, match=problem):
            parse_nats_url(url)
        return
    target = parse_nats_url(url)
    assert target.servers == servers
    assert target.user == user


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"type":"alert","id":"abc"}', "abc"),
        (b'{"type":"unit_message","id":"m1"}', "m1"),
        (b'{"type":"message_ack","message_id":"m1","unit_id":"U","state":"read"}', "ack:m1:U:read"),
        (b'{"type":"heartbeat","unit_id":"U","sent_at":"t"}', "heartbeat:U:t"),
        (b'{"type":"heartbeat","unit_id":"U"}', None),
        (b"[1, 2]", None),
        (b"\xff\xfe", None),
    ],
)
def test_message_id(data: bytes, expected: str | None) -> None:
    assert message_id(data) == expected


def test_connect_bus_picks_nats_for_nats_urls() -> None:
    assert isinstance(connect_bus("nats://127.0.0.1:4222"), NatsBus)
    with pytest.raises(ValueError, match="unsupported bus_url"):
        connect_bus("kafka://x")


async def test_streams_are_created_idempotently_with_file_storage(bus_url: str) -> None:
    first, second = NatsBus(bus_url), NatsBus(bus_url)
    try:
        await first.publish(subjects.unit_alert("RBT-1"), encode(_alert()))
        await second.publish(subjects.unit_alert("RBT-1"), encode(_alert()))  # same streams, updated
        assert (await first.stream_info("ALERTS"))["messages"] == 2
        assert all(first.stream_config(spec).storage.value == "file" for spec in STREAMS)  # type: ignore[union-attr]
    finally:
        await first.close()
        await second.close()


async def test_jetstream_drops_a_resent_alert_by_its_id(bus_url: str) -> None:
    bus = NatsBus(bus_url)
    try:
        alert = encode(_alert())
        for _ in range(3):
            await bus.publish(subjects.unit_alert("RBT-1"), alert)
        await bus.publish(subjects.unit_alert("RBT-1"), encode(_alert()))
        assert (await bus.stream_info("ALERTS"))["messages"] == 2
        assert bus.duplicates == 2
    finally:
        await bus.close()


async def test_a_durable_consumer_is_shared_by_two_workers(bus_url: str) -> None:
    publisher, worker_a, worker_b = NatsBus(bus_url), NatsBus(bus_url), NatsBus(bus_url)
    got_a: list[Delivery] = []
    got_b: list[Delivery] = []
    try:
        sub_a = await worker_a.subscribe(subjects.ALL_ALERTS, durable="center-alerts", queue="center")
        sub_b = await worker_b.subscribe(subjects.ALL_ALERTS, durable="center-alerts", queue="center")
        tasks = [asyncio.create_task(_collect(sub_a, worker_a, got_a)),
                 asyncio.create_task(_collect(sub_b, worker_b, got_b))]
        sent = [_alert(f"RBT-{i % 5}", i) for i in range(400)]
        await asyncio.gather(*(publisher.publish(subjects.unit_alert(a.unit_id), encode(a)) for a in sent))
        await _until(lambda: len(got_a) + len(got_b) >= len(sent))
        await asyncio.sleep(1.0)  # nothing may come twice (acks are prompt; ack_wait is 5 s)
        for task in tasks:
            task.cancel()
        ids = [str(message_id(d.data)) for d in got_a + got_b]
        assert sorted(ids) == sorted(str(a.id) for a in sent)  # each exactly once
        assert got_a and got_b, "both workers should have had a share"
        assert all(d.subject.startswith("amane.unit.") for d in got_a)  # namespace stripped
    finally:
        for bus in (publisher, worker_a, worker_b):
            await bus.close()


async def test_nak_and_unacked_deliveries_come_again(bus_url: str) -> None:
    bus = NatsBus(bus_url.replace("ack_wait_s=5", "ack_wait_s=1"))
    try:
        sub = await bus.subscribe(subjects.ALL_ALERTS, durable="center-alerts")
        await bus.publish(subjects.unit_alert("RBT-1"), encode(_alert(n=1)))
        await bus.publish(subjects.unit_alert("RBT-1"), encode(_alert(n=2)))
        seen: list[Delivery] = []

        async def run() -> None:
            async for delivery in sub:
                seen.append(delivery)
                if b"alert 1" in delivery.data and delivery.redelivered == 0:
                    await bus.nak(delivery)  # refused: comes back at once
                elif b"alert 2" in delivery.data and delivery.redelivered == 0:
                    pass  # never acked: comes back after ack_wait (1 s)
                else:
                    await bus.ack(delivery)

        task = asyncio.create_task(run())
        await _until(lambda: sum(d.redelivered > 0 for d in seen) >= 2)
        await asyncio.sleep(1.5)
        task.cancel()
        assert len(seen) == 4
        assert sorted(d.redelivered for d in seen) == [0, 0, 1, 1]
    finally:
        await bus.close()


async def test_live_events_reach_every_worker(bus_url: str) -> None:
    worker_a, worker_b = NatsBus(bus_url), NatsBus(bus_url)
    got_a: list[Delivery] = []
    got_b: list[Delivery] = []
    try:
        sub_a = await worker_a.subscribe(subjects.LIVE_EVENTS)
        sub_b = await worker_b.subscribe(subjects.LIVE_EVENTS)
        tasks = [asyncio.create_task(_collect(sub_a, worker_a, got_a)),
                 asyncio.create_task(_collect(sub_b, worker_b, got_b))]
        await asyncio.sleep(0.1)
        for i in range(20):
            await worker_a.publish(subjects.LIVE_EVENTS, f"alerts\n{i}".encode())
        await _until(lambda: len(got_a) == 20 and len(got_b) == 20)
        assert [d.data for d in got_b] == [f"alerts\n{i}".encode() for i in range(20)]
        for task in tasks:
            task.cancel()
    finally:
        await worker_a.close()
        await worker_b.close()


async def test_heartbeats_go_to_their_own_stream(bus_url: str) -> None:
    bus = NatsBus(bus_url)
    try:
        beat = Heartbeat(unit_id="RBT-1")
        await bus.publish(subjects.unit_heartbeat("RBT-1"), encode(beat))
        await bus.publish(subjects.unit_heartbeat("RBT-1"), encode(beat))  # same unit clock: a re-send
        assert (await bus.stream_info("POSITIONS"))["messages"] == 1
        assert (await bus.stream_info("ALERTS"))["messages"] == 0
        with pytest.raises(ValueError, match="wildcard"):
            await bus.publish(subjects.ALL_ALERTS, b"{}")
        with pytest.raises(ValueError, match="no stream"):
            await bus.subscribe(subjects.LIVE_EVENTS, durable="x")
    finally:
        await bus.close()


async def test_an_unreachable_server_is_a_connection_error() -> None:
    bus = NatsBus("nats://127.0.0.1:1?connect_timeout_s=1")
    with pytest.raises(ConnectionError):
        await bus.publish(subjects.unit_alert("RBT-1"), b"{}")
    assert issubclass(BusUnavailableError, ConnectionError)
    await bus.close()
