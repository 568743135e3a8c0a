"""Two-way messaging against the REAL centre: dispatcher sends, units poll or subscribe, ack delivered and
read through their outbox, and the dashboard API shows sent/delivered/read per addressee."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units.service import register_unit
from amane.center.users.service import create_user
from amane.config import CenterSettings
from amane.core.messages import AckState, MessageAck, UnitMessage
from amane.unit.inbox import Inbox, subscribe_inbox
from amane.unit.outbox import Outbox
from amane.unit.transport import HttpTransport
from amane.unit.uplink import Uplink

PASSWORD = "correct horse battery"


@dataclass
class Centre:
    center: Center
    client: httpx.AsyncClient
    tokens: dict[str, str]
    staff: dict[str, str]


@pytest.fixture
async def centre(tmp_path: Path) -> AsyncIterator[Centre]:
    settings = CenterSettings(database_url=f"sqlite:///{tmp_path / 'center.db'}", data_dir=tmp_path / "c")
    app = create_app(settings, serve_dashboard=False)
    center: Center = app.state.center
    tokens = {}
    with center.db.writing() as session:
        for callsign, region in (("RBT-7", "rabat"), ("RBT-8", "rabat"), ("CAS-1", "casa")):
            _, tokens[callsign] = register_unit(session=session, callsign=callsign, kind="car", region=region)
        create_user(session=session, username="op1", role="operator", password=PASSWORD, mfa=False)
    await center.start()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://centre") as client:
        login = await client.post("/api/v1/auth/login", json={"username": "op1", "password": PASSWORD})
        assert login.status_code == 200, login.text
        staff = {"Authorization": f"Bearer {login.json()['token']}"}
        client.cookies.clear()  # staff authenticate by header only: unit calls must not ride on a cookie
        yield Centre(center, client, tokens, staff)
    await center.stop()
    center.db.dispose()


@dataclass
class UnitSide:
    outbox: Outbox
    inbox: Inbox
    transport: HttpTransport
    uplink: Uplink

    async def poll(self) -> int:
        messages, cursor = await self.transport.fetch_messages(self.inbox.cursor)
        new = sum(self.inbox.receive(m) for m in messages)
        self.inbox.cursor = cursor
        return new

    async def send(self) -> None:
        for _ in range(5):
            await self.uplink.drain_once()
            if not self.outbox.due():
                return


def unit_side(centre: Centre, callsign: str, tmp_path: Path) -> UnitSide:
    outbox = Outbox(tmp_path / f"{callsign}-outbox.db")
    inbox = Inbox(tmp_path / f"{callsign}-inbox.db", callsign, outbox)
    transport = HttpTransport("http://centre", centre.tokens[callsign], client=centre.client)
    return UnitSide(outbox, inbox, transport, Uplink(outbox, transport))


async def states(centre: Centre, message_id: str) -> dict[str, str]:
    response = await centre.client.get(f"/api/v1/messages/{message_id}", headers=centre.staff)
    assert response.status_code == 200, response.text
    return {d["unit"]: d["state"] for d in response.json()["deliveries"]}


async def test_text_goto_and_broadcast_go_sent_delivered_read(centre: Centre, tmp_path: Path) -> None:
    c = centre.client
    text = await c.post(
        "/api/v1/units/RBT-7/messages", json={"body": "call the centre"}, headers=centre.staff
    )
    goto = await c.post(
        "/api/v1/units/RBT-7/messages",
        json={"kind": "goto", "body": "incident", "location": {"lat": 34.01, "lon": -6.84}},
        headers=centre.staff,
    )
    cast = await c.post(
        "/api/v1/regions/rabat/broadcast", json={"body": "grey van, plate 1234-ب-6"}, headers=centre.staff
    )
    assert (text.status_code, goto.status_code, cast.status_code) == (201, 201, 201), cast.text
    assert await states(centre, cast.json()["id"]) == {"RBT-7": "sent", "RBT-8": "sent"}

    rbt7 = unit_side(centre, "RBT-7", tmp_path)
    assert await rbt7.poll() == 3
    assert await rbt7.poll() == 0  # the cursor moved on
    await rbt7.send()
    assert await states(centre, text.json()["id"]) == {"RBT-7": "delivered"}
    assert await states(centre, cast.json()["id"]) == {"RBT-7": "delivered", "RBT-8": "sent"}

    received = {str(e.message.id): e.message for e in rbt7.inbox.recent()}
    assert received[goto.json()["id"]].location is not None
    assert rbt7.inbox.mark_read(uuid.UUID(text.json()["id"])) is True
    assert rbt7.inbox.mark_read(uuid.UUID(text.json()["id"])) is False  # once
    await rbt7.send()
    assert await states(centre, text.json()["id"]) == {"RBT-7": "read"}

    casa = unit_side(centre, "CAS-1", tmp_path)
    assert await casa.poll() == 0  # another region's broadcast is not for it
    listing = await c.get("/api/v1/messages", params={"unit": "RBT-8"}, headers=centre.staff)
    assert [m["id"] for m in listing.json()] == [cast.json()["id"]]


async def test_a_restarted_unit_resumes_from_its_cursor_and_acks_once(centre: Centre, tmp_path: Path) -> None:
    await centre.client.post("/api/v1/units/RBT-8/messages", json={"body": "one"}, headers=centre.staff)
    first = unit_side(centre, "RBT-8", tmp_path)
    assert await first.poll() == 1
    first.inbox.close()
    first.outbox.close()
    await centre.client.post("/api/v1/units/RBT-8/messages", json={"body": "two"}, headers=centre.staff)
    again = unit_side(centre, "RBT-8", tmp_path)  # same files: a restart
    assert await again.poll() == 1
    assert again.outbox.pending() == {"ack": 2}
    await again.send()
    listing = (await centre.client.get("/api/v1/messages", headers=centre.staff)).json()
    assert {m["body"]: m["deliveries"][0]["state"] for m in listing} == {
        "one": "delivered",
        "two": "delivered",
    }


@pytest.mark.parametrize(
    ("ack_unit", "known", "status"),
    [("RBT-7", True, 200), ("RBT-8", True, 403), ("RBT-7", False, 404)],
    ids=["own", "someone-elses", "unknown-message"],
)
async def test_acks_are_checked(centre: Centre, ack_unit: str, known: bool, status: int) -> None:
    sent = await centre.client.post("/api/v1/units/RBT-7/messages", json={"body": "x"}, headers=centre.staff)
    message_id = uuid.UUID(sent.json()["id"]) if known else uuid.uuid4()
    ack = MessageAck(message_id=message_id, unit_id=ack_unit, state=AckState.READ)
    response = await centre.client.post(
        "/api/v1/units/me/acks",
        content=ack.model_dump_json(),
        headers={"Authorization": f"Bearer {centre.tokens['RBT-7']}", "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("body", "status"),
    [({"body": "hi"}, 201), ({"kind": "goto", "body": "x"}, 422), ({"body": ""}, 422), ({"colour": 1}, 422)],
)
async def test_message_validation(centre: Centre, body: dict[str, object], status: int) -> None:
    response = await centre.client.post("/api/v1/units/RBT-7/messages", json=body, headers=centre.staff)
    assert response.status_code == status, response.text


async def test_units_cannot_send_orders_and_staff_need_a_role(centre: Centre) -> None:
    unit_headers = {"Authorization": f"Bearer {centre.tokens['RBT-7']}"}
    as_unit = await centre.client.post(
        "/api/v1/units/RBT-8/messages", json={"body": "x"}, headers=unit_headers
    )
    anonymous = await centre.client.get("/api/v1/units/me/messages")
    assert as_unit.status_code == 401 and anonymous.status_code == 401
    unknown = await centre.client.post(
        "/api/v1/units/NOPE-1/messages", json={"body": "x"}, headers=centre.staff
    )
    assert unknown.status_code == 404


async def test_crew_message_to_the_centre_is_stored_once(centre: Centre, tmp_path: Path) -> None:
    side = unit_side(centre, "RBT-7", tmp_path)
    message = UnitMessage(direction="from_unit", unit_id="RBT-7", body="suspect fled north on foot")
    side.outbox.put_message(message)
    side.outbox.put_message(message)
    await side.send()
    listing = (await centre.client.get("/api/v1/messages", headers=centre.staff)).json()
    assert [(m["direction"], m["body"]) for m in listing] == [("from_unit", "suspect fled north on foot")]


async def test_subscribing_unit_receives_over_the_bus(centre: Centre, tmp_path: Path) -> None:
    side = unit_side(centre, "RBT-8", tmp_path)
    stop = asyncio.Event()
    task = asyncio.create_task(subscribe_inbox(side.inbox, centre.center.bus, "rabat", stop))
    await asyncio.sleep(0.05)
    await centre.client.post("/api/v1/units/RBT-8/messages", json={"body": "direct"}, headers=centre.staff)
    await centre.client.post("/api/v1/regions/rabat/broadcast", json={"body": "to all"}, headers=centre.staff)
    await centre.client.post("/api/v1/units/RBT-7/messages", json={"body": "not for 8"}, headers=centre.staff)
    for _ in range(50):
        if len(side.inbox.recent()) >= 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await task
    assert sorted(e.message.body for e in side.inbox.recent()) == ["direct", "to all"]
    await side.send()
    listing = (
        await centre.client.get("/api/v1/messages", params={"unit": "RBT-8"}, headers=centre.staff)
    ).json()
    by_body = {m["body"]: {d["unit"]: d["state"] for d in m["deliveries"]} for m in listing}
    assert by_body == {"direct": {"RBT-8": "delivered"}, "to all": {"RBT-7": "sent", "RBT-8": "delivered"}}
    assert all(d["state"] == "delivered" for m in listing for d in m["deliveries"] if d["unit"] == "RBT-8")


async def test_bus_only_unit_acks_through_the_consumer(centre: Centre, tmp_path: Path) -> None:
    from amane.unit.transport import BusTransport

    assert centre.center.started, "the centre consumes unit messages from the bus itself"
    outbox = Outbox(tmp_path / "outbox.db")
    inbox = Inbox(tmp_path / "inbox.db", "RBT-7", outbox)
    stop = asyncio.Event()
    listener = asyncio.create_task(subscribe_inbox(inbox, centre.center.bus, "rabat", stop))
    await asyncio.sleep(0.05)
    sent = await centre.client.post(
        "/api/v1/units/RBT-7/messages", json={"body": "bus"}, headers=centre.staff
    )
    for _ in range(50):
        if inbox.recent():
            break
        await asyncio.sleep(0.02)
    inbox.mark_read(inbox.recent()[0].message.id)
    outbox.put_ack(MessageAck(message_id=sent.json()["id"], unit_id="RBT-8", state=AckState.READ))  # a lie
    uplink = Uplink(outbox, BusTransport(centre.center.bus, "RBT-7"))
    await uplink.drain_once()
    result: dict[str, str] = {}
    for _ in range(50):
        result = await states(centre, sent.json()["id"])
        if result == {"RBT-7": "read"}:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await listener
    assert result == {"RBT-7": "read"}
