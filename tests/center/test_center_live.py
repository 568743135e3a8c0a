"""The live WebSocket: what each role receives, authentication, and slow sockets."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from amane.bus import MemoryBus
from amane.center.auth.roles import Role
from amane.center.live.hub import LiveHub, Scope
from amane.core.messages import encode
from amane.store.models import Unit

from .conftest import World
from .test_center_alerts import make_alert


def _beat(world: World, callsign: str = "RBT-1") -> Any:
    body = {
        "unit_id": callsign,
        "sent_at": datetime.now(UTC).isoformat(),
        "position": {"lat": 33.59, "lon": -7.61},
        "heading_deg": 90.0,
        "status": "en_route",
    }
    return world.client.post("/api/v1/units/heartbeat", json=body, headers=world.unit_headers(callsign))


def test_operator_sees_alerts_reviews_and_positions(world: World) -> None:
    world.login("operator")
    alert = make_alert()
    with world.client.websocket_connect("/api/v1/live") as ws:
        assert (
            world.client.post(
                "/api/v1/alerts", content=encode(alert), headers=world.unit_headers()
            ).status_code
            == 201
        )
        new = ws.receive_json()
        assert (
            new["type"] == "alert.new"
            and new["data"]["id"] == str(alert.id)
            and new["data"]["status"] == "new"
        )
        world.client.post(f"/api/v1/alerts/{alert.id}/transitions", json={"action": "acknowledge"})
        updated = ws.receive_json()
        assert updated["type"] == "alert.updated" and updated["data"]["status"] == "acknowledged"
        assert updated["data"]["transitions"][0]["actor"] == "operator1"
        assert _beat(world).status_code == 200
        position = ws.receive_json()
        assert position["type"] == "unit.position"
        assert position["data"]["callsign"] == "RBT-1" and position["data"]["online"] is True
        assert position["data"]["last_position"] == {"lat": 33.59, "lon": -7.61}


def test_analyst_gets_alerts_but_no_positions(sqlite_world: World) -> None:
    world = sqlite_world
    world.login("analyst")
    with world.client.websocket_connect("/api/v1/live") as ws:
        assert _beat(world).status_code == 200
        alert = make_alert()
        world.client.post("/api/v1/alerts", content=encode(alert), headers=world.unit_headers())
        first = ws.receive_json()
        assert first["type"] == "alert.new"  # the position event never reached this socket


@pytest.mark.parametrize(("role", "code"), [("auditor", 4403), (None, 4401)])
def test_live_feed_refuses(sqlite_world: World, role: str | None, code: int) -> None:
    world = sqlite_world
    if role:
        world.login(role)
    with pytest.raises(WebSocketDisconnect) as info, world.client.websocket_connect("/api/v1/live") as ws:
        ws.receive_json()
    assert info.value.code == code


def test_query_token_authenticates(sqlite_world: World) -> None:
    world = sqlite_world
    token = world.login("supervisor")
    world.client.cookies.clear()
    with world.client.websocket_connect(f"/api/v1/live?token={token}") as ws:
        assert _beat(world).status_code == 200
        assert ws.receive_json()["type"] == "unit.position"


class _Socket:
    """A socket whose sends complete (fast) or block until released (slow)."""

    def __init__(self, slow: bool) -> None:
        self.slow = slow
        self.sent: list[str] = []
        self.release = asyncio.Event()

    async def send_text(self, data: str) -> None:
        if self.slow:
            await self.release.wait()
        self.sent.append(data)


async def test_slow_socket_is_dropped_without_delaying_others() -> None:
    bus = MemoryBus()
    hub = LiveHub(bus, queue_size=8)
    await hub.start()
    fast, slow = _Socket(slow=False), _Socket(slow=True)
    fast_client = hub.add(fast, username="fast", role=Role.OPERATOR)
    slow_client = hub.add(slow, username="slow", role=Role.OPERATOR)
    for i in range(50):
        await hub.publish("alert.new", Scope.ALERTS, {"n": i})
    for _ in range(100):
        await asyncio.sleep(0.005)
        if len(fast.sent) == 50:
            break
    assert [json.loads(s)["data"]["n"] for s in fast.sent] == list(range(50))
    assert slow_client not in hub.clients and "too slow" in slow_client.reason
    assert fast_client in hub.clients and hub.dropped == 1
    await hub.stop()
    await bus.close()


def test_heartbeat_input_table(sqlite_world: World) -> None:
    world = sqlite_world
    now = datetime.now(UTC).isoformat()
    assert _beat(world).json() == {"callsign": "RBT-1", "online": True}
    wrong_unit = world.client.post(
        "/api/v1/units/heartbeat",
        json={"unit_id": "RBT-2", "sent_at": now},
        headers=world.unit_headers("RBT-1"),
    )
    assert wrong_unit.status_code == 403
    bad = world.client.post(
        "/api/v1/units/heartbeat",
        json={"unit_id": "RBT-1", "heading_deg": 400},
        headers=world.unit_headers("RBT-1"),
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "heading_deg"
    assert world.client.post("/api/v1/units/heartbeat", json={"unit_id": "RBT-1"}).status_code == 401


async def test_batched_client_gets_piled_up_events_in_one_message() -> None:
    bus = MemoryBus()
    hub = LiveHub(bus, queue_size=64)
    plain, batched = _Socket(slow=True), _Socket(slow=True)
    hub.add(plain, username="plain", role=Role.ANALYST)
    hub.add(batched, username="batched", role=Role.ANALYST, batch=True)
    for i in range(5):
        hub.fan_out(Scope.ALERTS, json.dumps({"type": "alert.new", "data": {"n": i}}))
    hub.fan_out(Scope.UNITS, json.dumps({"type": "unit.position", "data": {}}))  # analysts do not get these
    plain.release.set()
    batched.release.set()
    await asyncio.sleep(0.01)
    assert [json.loads(m)["data"]["n"] for m in plain.sent] == [0, 1, 2, 3, 4]
    (only,) = (json.loads(m) for m in batched.sent)  # all five were queued before its first send
    assert only["type"] == "batch" and [e["data"]["n"] for e in only["events"]] == [0, 1, 2, 3, 4]
    await hub.stop()


def test_a_silent_unit_is_announced_offline(sqlite_url: str, tmp_path: Any) -> None:
    from .conftest import build_world

    for world in build_world(sqlite_url, tmp_path, offline_sweep_seconds=0):  # sweeps driven by the test
        _check_offline_sweep(world)


def _check_offline_sweep(world: World) -> None:
    world.login("operator")
    center = world.center
    assert _beat(world).status_code == 200
    with world.client.websocket_connect("/api/v1/live") as ws:
        assert world.client.portal.call(center.sweep_offline_once) == []  # type: ignore[union-attr]
        with center.db.writing() as session:
            session.execute(update(Unit).values(last_seen_at=datetime.now(UTC) - timedelta(seconds=40)))
        gone = world.client.portal.call(center.sweep_offline_once)  # type: ignore[union-attr]
        assert [u.callsign for u in gone] == ["RBT-1"]
        event = ws.receive_json()
        assert event["type"] == "unit.updated" and event["data"]["callsign"] == "RBT-1"
        assert event["data"]["online"] is False


@pytest.mark.parametrize(
    ("origin", "ok"), [(None, True), ("http://testserver", True), ("https://evil.example", False)]
)
def test_cross_origin_live_feed_is_refused(sqlite_world: World, origin: str | None, ok: bool) -> None:
    world = sqlite_world
    world.login("operator")
    headers = {"origin": origin} if origin else {}
    if ok:
        with world.client.websocket_connect("/api/v1/live", headers=headers) as ws:
            assert _beat(world).status_code == 200
            assert ws.receive_json()["type"] == "unit.position"
    else:
        with (
            pytest.raises(WebSocketDisconnect) as info,
            world.client.websocket_connect("/api/v1/live", headers=headers) as ws,
        ):
            ws.receive_json()
        assert info.value.code == 4403
