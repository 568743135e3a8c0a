"""Call, incident, recommendation, dispatch (goto to the unit), unit steps, close: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from amane.center.dispatch.models import TimelineEvent
from amane.exchange import cap, eido
from amane.store.models import AuditEntry

from ..conftest import World
from .helpers import RABAT, add_unit, beat, take_call, timeline_kinds, wait_for

NEAR = (RABAT[0] + 0.002, RABAT[1])  # ~220 m north
FAR = (RABAT[0] - 0.009, RABAT[1])  # ~1 km south


def _online(world: World) -> None:
    beat(world, "RBT-1", *NEAR)
    beat(world, "RBT-2", *FAR)


def test_full_lifecycle(world: World) -> None:
    _online(world)
    world.login("operator")
    call = take_call(world, nature_code="ASSAULT_IN_PROGRESS", address="Avenue Mohammed V", notes="two men")
    incident = call["incident"]
    assert incident["priority"] == 1 and incident["status"] == "open" and incident["region"] == "casa"
    iid = incident["id"]
    rec = world.client.post(f"/api/v1/dispatch/incidents/{iid}/recommend").json()
    assert rec["method"] == "straight_line"
    assert [u["callsign"] for u in rec["units"]] == ["RBT-1", "RBT-2"]
    assert rec["units"][0]["eta_s"] < rec["units"][1]["eta_s"]

    sent = world.client.post(f"/api/v1/dispatch/incidents/{iid}/dispatch", json={"callsign": "RBT-1"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "dispatched"
    inbox = world.client.get("/api/v1/units/me/messages", headers=world.unit_headers("RBT-1")).json()
    order = inbox["messages"][-1]
    assert order["kind"] == "goto" and order["location"] == {"lat": RABAT[0], "lon": RABAT[1]}
    assert incident["number"] in order["body"]

    # the unit acknowledges the order, drives (status en_route), arrives (on_scene), and is free again
    ack_at = datetime.now(UTC) - timedelta(seconds=2)
    ack = {"message_id": order["id"], "unit_id": "RBT-1", "state": "delivered", "at": ack_at.isoformat()}
    assert (
        world.client.post("/api/v1/units/me/acks", json=ack, headers=world.unit_headers("RBT-1")).status_code
        == 200
    )
    beat(world, "RBT-1", NEAR[0] - 0.001, NEAR[1], status="en_route")
    beat(world, "RBT-1", *RABAT, status="on_scene")
    wait_for(lambda: "unit_on_scene" in timeline_kinds(world, iid))
    kinds = timeline_kinds(world, iid)
    assert kinds.index("unit_dispatched") < kinds.index("unit_en_route") < kinds.index("unit_on_scene")
    assert "unit_acknowledged" in kinds
    detail = world.client.get(f"/api/v1/dispatch/incidents/{iid}").json()
    assert detail["status"] == "on_scene" and detail["first_on_scene_at"] is not None
    acked = next(e for e in detail["timeline"] if e["kind"] == "unit_acknowledged")
    assert acked["reported_at"] is not None and acked["received_at"] >= acked["at"]  # both times kept
    beat(world, "RBT-1", *RABAT, status="available")
    wait_for(lambda: "unit_cleared" in timeline_kinds(world, iid))
    closed = world.client.post(
        f"/api/v1/dispatch/incidents/{iid}/events", json={"kind": "incident_closed", "text": "arrest made"}
    )
    assert closed.status_code == 201 and closed.json()["status"] == "closed"
    expected = [
        "call_received",
        "call_answered",
        "incident_created",
        "unit_recommended",
        "unit_dispatched",
        "unit_acknowledged",
        "unit_en_route",
        "unit_on_scene",
        "unit_cleared",
        "incident_closed",
    ]
    assert [k for k in timeline_kinds(world, iid) if k in expected] == expected

    document = world.client.get(f"/api/v1/dispatch/incidents/{iid}/eido")
    assert document.status_code == 200
    eido.validate(document.json())
    assert document.json()["incidentComponent"]["incidentStatusCommonRegistryText"] == ["Closed"]
    alert = world.client.get(f"/api/v1/dispatch/incidents/{iid}/cap")
    assert alert.status_code == 200 and alert.headers["content-type"].startswith("application/cap+xml")
    cap.validate(alert.content)
    with world.center.db.session() as session:
        actions = set(session.execute(select(AuditEntry.action)).scalars())
    assert {"dispatch.assign", "dispatch.close", "export.eido", "export.cap", "message.send"} <= actions


def test_override_needs_reason_and_is_audited(world: World) -> None:
    _online(world)
    world.login("operator")
    iid = take_call(world)["incident"]["id"]
    refused = world.client.post(f"/api/v1/dispatch/incidents/{iid}/dispatch", json={"callsign": "RBT-2"})
    assert refused.status_code == 422 and "RBT-1" in refused.json()["detail"]
    ok = world.client.post(
        f"/api/v1/dispatch/incidents/{iid}/dispatch",
        json={"callsign": "RBT-2", "override_reason": "RBT-1 crew on a break"},
    )
    assert ok.status_code == 201
    assert ok.json()["assignments"][0]["override_reason"] == "RBT-1 crew on a break"
    with world.center.db.session() as session:
        row = session.execute(select(AuditEntry).where(AuditEntry.action == "dispatch.override")).scalar_one()
        assert row.details["reason"] == "RBT-1 crew on a break" and row.details["recommended"] == "RBT-1"
    again = world.client.post(f"/api/v1/dispatch/incidents/{iid}/dispatch", json={"callsign": "RBT-2"})
    assert again.status_code == 409  # already assigned


@pytest.mark.parametrize(
    ("setup", "callsign", "status", "reason"),
    [
        ("none", "RBT-1", 201, None),
        ("busy", "RBT-1", 422, None),  # RBT-1 reports busy: RBT-2 becomes the pick, RBT-1 needs a reason
        ("none", "NOPE-9", 404, None),
        ("drone_alone", "UAV-1", 422, None),
        ("drone_with_car", "UAV-1", 201, None),
    ],
)
def test_dispatch_rules_table(
    sqlite_world: World, setup: str, callsign: str, status: int, reason: str | None
) -> None:
    world = sqlite_world
    _online(world)
    add_unit(world, "UAV-1", kind="drone")
    beat(world, "UAV-1", *RABAT)
    world.login("operator")
    iid = take_call(world)["incident"]["id"]
    if setup == "busy":
        beat(world, "RBT-1", *NEAR, status="busy")
    if setup == "drone_with_car":
        assert (
            world.client.post(
                f"/api/v1/dispatch/incidents/{iid}/dispatch", json={"callsign": "RBT-1"}
            ).status_code
            == 201
        )
    rec = world.client.post(f"/api/v1/dispatch/incidents/{iid}/recommend").json()
    roles = {u["callsign"]: u["role"] for u in rec["units"]}
    assert roles.get("UAV-1") == "support"
    assert rec["units"][-1]["callsign"] == "UAV-1"  # drones come after every ground unit
    response = world.client.post(
        f"/api/v1/dispatch/incidents/{iid}/dispatch", json={"callsign": callsign, "override_reason": reason}
    )
    assert response.status_code == status, response.text


def test_excluded_units_say_why(sqlite_world: World) -> None:
    world = sqlite_world
    beat(world, "RBT-1", *NEAR, status="out_of_service")
    world.login("operator")
    iid = take_call(world)["incident"]["id"]
    rec = world.client.post(f"/api/v1/dispatch/incidents/{iid}/recommend").json()
    assert rec["units"] == []
    assert {e["callsign"]: e["reason"] for e in rec["excluded"]} == {
        "RBT-1": "status out_of_service",
        "RBT-2": "offline",
    }


def test_duplicates_flagged_and_linked(world: World) -> None:
    _online(world)
    world.login("operator")
    first = take_call(world, nature_code="NOISE")["incident"]
    other_type = take_call(world, nature_code="FIGHT")  # violence, not disorder: another event
    assert other_type["duplicates"] == []
    crash = take_call(world, nature_code="TRAFFIC_INJURY")["incident"]
    same_crash = take_call(world, nature_code="TRAFFIC_NO_INJURY")  # another caller, same family and place
    assert [d["id"] for d in same_crash["duplicates"]] == [crash["id"]]
    far = take_call(world, nature_code="NOISE", location={"lat": FAR[0], "lon": FAR[1]})
    assert far["duplicates"] == []
    second = take_call(world, nature_code="NOISE", location={"lat": RABAT[0] + 0.0005, "lon": RABAT[1]})
    assert [d["id"] for d in second["duplicates"]] == [first["id"]]
    assert second["incident"]["duplicate_of"] == first["id"]
    dup_id = second["incident"]["id"]
    assert "duplicate_suspected" in timeline_kinds(world, dup_id)
    merged = world.client.post(f"/api/v1/dispatch/incidents/{dup_id}/link", json={"into": first["id"]})
    assert merged.status_code == 200 and merged.json()["id"] == first["id"]
    assert world.client.get(f"/api/v1/dispatch/incidents/{dup_id}").json()["status"] == "merged"
    assert "call_linked" in timeline_kinds(world, first["id"])
    # a further call may join the incident straight away
    joined = take_call(world, nature_code="NOISE", link_to=first["id"])
    assert joined["linked"] is True and joined["incident"]["id"] == first["id"]
    assert world.client.get(f"/api/v1/dispatch/incidents/{first['id']}").json()["calls"] == 3


def test_corrections_are_new_events(sqlite_world: World) -> None:
    world = sqlite_world
    _online(world)
    world.login("operator")
    received = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    iid = take_call(
        world, received_at=received.isoformat(), answered_at=(received + timedelta(seconds=9)).isoformat()
    )["incident"]["id"]
    detail = world.client.get(f"/api/v1/dispatch/incidents/{iid}").json()
    assert detail["call_received_at"].startswith("2026-03-01T10:00:00")
    seq = next(e["seq"] for e in detail["timeline"] if e["kind"] == "call_received")
    body: dict[str, Any] = {
        "kind": "correction",
        "corrects": seq,
        "text": "clock of line 3 was 2 min fast",
        "at": (received - timedelta(minutes=2)).isoformat(),
    }
    fixed = world.client.post(f"/api/v1/dispatch/incidents/{iid}/events", json=body)
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["call_received_at"].startswith("2026-03-01T09:58:00")
    with world.center.db.session() as session:
        original = session.execute(select(TimelineEvent).where(TimelineEvent.seq == seq)).scalar_one()
        assert original.at == received  # the corrected row itself is untouched
    bad = world.client.post(f"/api/v1/dispatch/incidents/{iid}/events", json={**body, "corrects": 99999})
    assert bad.status_code == 404
    assert (
        world.client.post(
            f"/api/v1/dispatch/incidents/{iid}/events",
            json={"kind": "correction", "corrects": seq, "at": body["at"]},
        ).status_code
        == 422
    )


def test_unit_reports_its_own_steps(sqlite_world: World) -> None:
    world = sqlite_world
    _online(world)
    world.login("operator")
    iid = take_call(world)["incident"]["id"]
    world.client.post(f"/api/v1/dispatch/incidents/{iid}/dispatch", json={"callsign": "RBT-1"})
    unit_clock = datetime.now(UTC) - timedelta(seconds=30)
    report = {"status": "on_scene", "at": unit_clock.isoformat()}
    got = world.client.post(
        "/api/v1/dispatch/units/me/status", json=report, headers=world.unit_headers("RBT-1")
    )
    assert got.status_code == 200, got.text
    event = next(
        e
        for e in world.client.get(f"/api/v1/dispatch/incidents/{iid}").json()["timeline"]
        if e["kind"] == "unit_on_scene"
    )
    assert datetime.fromisoformat(event["reported_at"]) == unit_clock
    assert datetime.fromisoformat(event["received_at"]) > unit_clock
    # not assigned: nothing to move forward
    other = world.client.post(
        "/api/v1/dispatch/units/me/status", json=report, headers=world.unit_headers("RBT-2")
    )
    assert other.status_code == 422


@pytest.mark.parametrize(
    ("role", "path", "method", "status"),
    [
        ("analyst", "/api/v1/dispatch/calls", "post", 403),
        ("auditor", "/api/v1/dispatch/incidents", "get", 403),
        ("analyst", "/api/v1/dispatch/kpis", "get", 200),
        ("operator", "/api/v1/dispatch/rotations", "put", 403),
        ("operator", "/api/v1/dispatch/natures", "get", 200),
    ],
)
def test_roles(sqlite_world: World, role: str, path: str, method: str, status: int) -> None:
    sqlite_world.login(role)
    body = (
        {"region": "casa", "anchor": "2026-01-01T07:00:00Z"}
        if method == "put"
        else ({"nature_code": "NOISE", "address": "x"} if method == "post" else None)
    )
    response = sqlite_world.client.request(method.upper(), path, json=body)
    assert response.status_code == status, response.text


def test_unsigned_requests_refused(sqlite_world: World) -> None:
    for path in ("/api/v1/dispatch/incidents", "/api/v1/dispatch/kpis", "/api/v1/dispatch/roster/now"):
        assert sqlite_world.client.get(path).status_code == 401
