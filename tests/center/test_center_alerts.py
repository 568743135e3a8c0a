"""Alert ingest over HTTP and the bus: idempotency, bad input, evidence, review workflow."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from amane.bus import subjects
from amane.core.messages import Alert, AlertKind, Severity, encode
from amane.store.models import Alert as AlertRow
from amane.store.models import AuditEntry

from .conftest import World


def make_alert(unit: str = "RBT-1", kind: AlertKind = AlertKind.PLATE, **extra: Any) -> Alert:
    return Alert(
        kind=kind,
        severity=Severity.HIGH,
        unit_id=unit,
        camera_id="front",
        observed_at=datetime.now(UTC),
        summary="hotlist hit 57626-ب-8",
        payload={"plate": "57626ب8"},
        **extra,
    )


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def stored_count(world: World, alert_id: uuid.UUID | None = None) -> int:
    with world.center.db.session() as session:
        stmt = select(func.count()).select_from(AlertRow)
        if alert_id is not None:
            stmt = stmt.where(AlertRow.id == alert_id)
        return int(session.scalar(stmt) or 0)


def audit_actions(world: World) -> list[str]:
    with world.center.db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_alert_is_stored_once_and_resend_answers_duplicate(world: World) -> None:
    alert = make_alert()
    first = world.client.post("/api/v1/alerts", content=encode(alert), headers=world.unit_headers())
    again = world.client.post("/api/v1/alerts", content=encode(alert), headers=world.unit_headers())
    assert (first.status_code, first.json()) == (201, {"id": str(alert.id), "status": "stored"})
    assert (again.status_code, again.json()) == (200, {"id": str(alert.id), "status": "duplicate"})
    assert stored_count(world, alert.id) == 1
    world.login("analyst")
    public = world.client.get(f"/api/v1/alerts/{alert.id}").json()
    assert public["status"] == "new" and public["payload"] == {"plate": "57626ب8"}
    assert public["unit_id"] == "RBT-1" and public["evidence"] == [] and public["transitions"] == []


def _raw(
    world: World, body: bytes, token: str | None = "RBT-1", content_type: str = "application/json"
) -> Any:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {world.unit_tokens.get(token, token)}"
    return world.client.post("/api/v1/alerts", content=body, headers=headers)


GOOD = json.loads(encode(make_alert()))


@pytest.mark.parametrize(
    ("case", "body", "token", "status", "names"),
    [
        ("good", GOOD, "RBT-1", 201, None),
        ("malformed json", b'{"kind": "plate",', "RBT-1", 422, "body"),
        ("missing kind", {k: v for k, v in GOOD.items() if k != "kind"}, "RBT-1", 422, "kind"),
        ("bad severity", {**GOOD, "severity": "apocalyptic"}, "RBT-1", 422, "severity"),
        ("naive time", {**GOOD, "observed_at": "2026-01-01T10:00:00"}, "RBT-1", 422, "observed_at"),
        ("latitude out of range", {**GOOD, "position": {"lat": 123, "lon": 0}}, "RBT-1", 422, "lat"),
        ("unknown field", {**GOOD, "colour": "red"}, "RBT-1", 422, "colour"),
        ("another unit's alert", {**GOOD, "unit_id": "RBT-2"}, "RBT-1", 403, None),
        ("no token", GOOD, None, 401, None),
        ("unknown token", GOOD, "amu_not-a-real-token", 401, None),
        ("session token as unit token", GOOD, "ams_whatever", 401, None),
    ],
)
def test_alert_input_table(
    sqlite_world: World, case: str, body: Any, token: str | None, status: int, names: str | None
) -> None:
    world = sqlite_world
    payload = body if isinstance(body, bytes) else json.dumps({**body, "id": str(uuid.uuid4())}).encode()
    response = _raw(world, payload, token)
    assert response.status_code == status, (case, response.text)
    if names is not None:
        locations = [".".join(str(p) for p in e["loc"]) for e in response.json()["detail"]]
        assert any(names in loc for loc in locations), (case, locations)
    if status == 401:
        assert audit_actions(world)[-1] == "unit.auth_failed"
    assert world.client.get("/api/v1/health").status_code == 200  # the server keeps running


def test_revoked_unit_token_is_refused_and_audited(world: World) -> None:
    assert _raw(world, encode(make_alert())).status_code == 201
    world.login("supervisor")
    assert world.client.post("/api/v1/units/RBT-1/revoke").json() == {
        "callsign": "RBT-1",
        "revoked_tokens": 1,
    }
    response = _raw(world, encode(make_alert()))
    assert response.status_code == 401
    assert audit_actions(world)[-1] == "unit.auth_failed"


def _put(world: World, alert_id: uuid.UUID, key: str, data: bytes, content_type: str) -> Any:
    headers = {**world.unit_headers(), "Content-Type": content_type}
    return world.client.put(f"/api/v1/alerts/{alert_id}/evidence/{key}", content=data, headers=headers)


@pytest.mark.parametrize(
    ("case", "data", "content_type", "status"),
    [
        ("jpeg", image_bytes("JPEG"), "image/jpeg", 201),
        ("png", image_bytes("PNG"), "image/png", 201),
        ("png labelled jpeg", image_bytes("PNG"), "image/jpeg", 415),
        ("text", b"hello, not an image at all", "image/jpeg", 415),
        ("gif", image_bytes("GIF"), "image/gif", 415),
        ("truncated jpeg", image_bytes("JPEG")[:40], "image/jpeg", 415),
        ("jpeg magic, garbage after", b"\xff\xd8\xff\xe0" + b"\x00" * 500, "image/jpeg", 415),
        ("too large", image_bytes("PNG", (1200, 1200)) + b"\x00" * 6_000_000, "image/png", 413),
    ],
)
def test_evidence_input_table(
    sqlite_world: World, case: str, data: bytes, content_type: str, status: int
) -> None:
    world = sqlite_world
    alert = make_alert()
    assert _raw(world, encode(alert)).status_code == 201
    response = _put(world, alert.id, "snap/front.jpg", data, content_type)
    assert response.status_code == status, (case, response.text)
    world.login("operator")
    evidence = world.client.get(f"/api/v1/alerts/{alert.id}").json()["evidence"]
    if status == 201:
        assert evidence == [
            {
                "key": "snap/front.jpg",
                "content_type": content_type,
                "url": f"/api/v1/alerts/{alert.id}/evidence/snap/front.jpg",
            }
        ]
        got = world.client.get(evidence[0]["url"])
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == content_type
        assert _put(world, alert.id, "snap/front.jpg", data, content_type).status_code == 200
        other = image_bytes("PNG", (10, 10)) if content_type == "image/png" else image_bytes("JPEG", (9, 9))
        assert _put(world, alert.id, "snap/front.jpg", other, content_type).status_code == 409
    else:
        assert evidence == []


def test_evidence_of_unknown_or_foreign_alert(sqlite_world: World) -> None:
    world = sqlite_world
    assert _put(world, uuid.uuid4(), "a.jpg", image_bytes(), "image/jpeg").status_code == 404
    alert = make_alert(unit="RBT-2")
    assert (
        world.client.post(
            "/api/v1/alerts", content=encode(alert), headers=world.unit_headers("RBT-2")
        ).status_code
        == 201
    )
    assert _put(world, alert.id, "a.jpg", image_bytes(), "image/jpeg").status_code == 403


def _act(world: World, alert_id: uuid.UUID, action: str, reason: str | None = None) -> Any:
    return world.client.post(
        f"/api/v1/alerts/{alert_id}/transitions", json={"action": action, "reason": reason}
    )


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        ([("acknowledge", None, 200), ("confirm", None, 200), ("escalate", None, 200)], "escalated"),
        ([("acknowledge", None, 200), ("dismiss", "parked car, plate misread", 200)], "dismissed"),
        ([("dismiss", "duplicate of another alert", 200)], "dismissed"),
        ([("dismiss", None, 422), ("dismiss", "   ", 422)], "new"),
        ([("confirm", None, 409), ("escalate", None, 409)], "new"),
        ([("acknowledge", None, 200), ("acknowledge", None, 409)], "acknowledged"),
        ([("acknowledge", None, 200), ("dismiss", "no", 200), ("confirm", None, 409)], "dismissed"),
        ([("acknowledge", None, 200), ("confirm", None, 200), ("dismiss", "late", 409)], "confirmed"),
    ],
)
def test_review_workflow_table(world: World, steps: list[tuple[str, str | None, int]], final: str) -> None:
    alert = make_alert()
    assert _raw(world, encode(alert)).status_code == 201
    world.login("operator")
    for action, reason, status in steps:
        assert _act(world, alert.id, action, reason).status_code == status, (action, reason)
    public = world.client.get(f"/api/v1/alerts/{alert.id}").json()
    assert public["status"] == final
    done = [s for s in steps if s[2] == 200]
    assert [(t["to_status"], t["actor"], t["reason"]) for t in public["transitions"]][-1:] == (
        [(public["status"], "operator1", done[-1][1])] if done else []
    )
    assert audit_actions(world).count("alert.review") == len(done)


def test_analyst_cannot_review_and_bad_action_is_422(sqlite_world: World) -> None:
    world = sqlite_world
    alert = make_alert()
    _raw(world, encode(alert))
    world.login("analyst")
    assert _act(world, alert.id, "acknowledge").status_code == 403
    world.login("operator")
    response = _act(world, alert.id, "approve")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "action"
    assert _act(world, uuid.uuid4(), "acknowledge").status_code == 404


def test_face_alerts_can_require_two_distinct_reviewers(sqlite_url: str, tmp_path: Any) -> None:
    from .conftest import build_world

    for world in build_world(sqlite_url, tmp_path, review_confirmations={"face": 2}):
        face, plate = make_alert(kind=AlertKind.FACE), make_alert()
        for alert in (face, plate):
            _raw(world, encode(alert))
        world.login("operator")
        for alert in (face, plate):
            assert _act(world, alert.id, "acknowledge").status_code == 200
            assert _act(world, alert.id, "confirm").status_code == 200
        assert world.client.get(f"/api/v1/alerts/{plate.id}").json()["status"] == "confirmed"
        assert world.client.get(f"/api/v1/alerts/{face.id}").json()["status"] == "pending_second_review"
        assert _act(world, face.id, "confirm").status_code == 409  # the same reviewer twice
        world.login("supervisor")
        assert _act(world, face.id, "confirm").json()["status"] == "confirmed"


def test_list_filters_and_search_is_audited(world: World) -> None:
    alerts = [make_alert(), make_alert(kind=AlertKind.SOS), make_alert(unit="RBT-2")]
    for alert in alerts:
        world.client.post("/api/v1/alerts", content=encode(alert), headers=world.unit_headers(alert.unit_id))
    world.login("operator")
    everything = world.client.get("/api/v1/alerts").json()
    assert [a["id"] for a in everything] == [str(a.id) for a in reversed(alerts)]
    assert "alert.search" not in audit_actions(world)
    assert [a["id"] for a in world.client.get("/api/v1/alerts?kind=sos").json()] == [str(alerts[1].id)]
    assert [a["id"] for a in world.client.get("/api/v1/alerts?unit=RBT-2").json()] == [str(alerts[2].id)]
    assert len(world.client.get("/api/v1/alerts?status=new&limit=2").json()) == 2
    before = everything[0]["received_at"]
    assert len(world.client.get("/api/v1/alerts", params={"before": before}).json()) == 2
    assert audit_actions(world).count("alert.search") == 4
    assert world.client.get("/api/v1/alerts?limit=0").status_code == 422


def test_alerts_from_the_bus_are_stored_once_and_acked(world: World) -> None:
    alert = make_alert()
    bus = world.center.bus

    async def publish_twice() -> None:
        await bus.publish(subjects.unit_alert("RBT-1"), encode(alert))
        await bus.publish(subjects.unit_alert("RBT-1"), encode(alert))
        await bus.publish(subjects.unit_alert("RBT-2"), encode(make_alert(unit="RBT-1")))  # wrong subject
        await bus.publish(subjects.unit_alert("RBT-1"), b"{not json")
        for _ in range(200):
            await asyncio.sleep(0.01)
            if stored_count(world) >= 1:
                await asyncio.sleep(0.05)
                break

    world.client.portal.call(publish_twice)  # type: ignore[union-attr]
    assert stored_count(world, alert.id) == 1
    assert stored_count(world) == 1
    subs = [s for s in bus._subs if s.pattern == subjects.ALL_ALERTS]  # type: ignore[attr-defined]
    assert subs and all(not s.unacked for s in subs)


def test_concurrent_resends_store_exactly_one(world: World) -> None:
    alerts = [make_alert() for _ in range(20)]

    async def hammer() -> list[str]:
        jobs = [world.center.ingest_alert(a) for a in alerts for _ in range(5)]
        return list(await asyncio.gather(*jobs))

    outcomes = world.client.portal.call(hammer)  # type: ignore[union-attr]
    assert outcomes.count("stored") == 20 and outcomes.count("duplicate") == 80
    assert stored_count(world) == 20


async def test_two_workers_racing_on_the_same_alerts_store_each_once(
    database_url: str, tmp_path: Any
) -> None:
    """Two centre workers (own engines, own writers) on one database get the same re-sent alerts."""
    from amane.center.runtime import Center
    from amane.store import upgrade

    from .conftest import make_settings

    settings = make_settings(database_url, tmp_path)
    workers = [Center(settings), Center(settings)]
    upgrade(workers[0].db.write_engine)
    for worker in workers:
        await worker.writer.start()
    alerts = [make_alert() for _ in range(30)]
    jobs = [
        w.writer.submit("alert", (a, datetime.now(UTC))) for a in alerts for w in workers for _ in range(2)
    ]
    outcomes = await asyncio.gather(*jobs)
    for worker in workers:
        await worker.writer.stop()
    assert outcomes.count("stored") == 30 and outcomes.count("duplicate") == 90
    with workers[0].db.session() as session:
        assert session.scalar(select(func.count()).select_from(AlertRow)) == 30
    for worker in workers:
        worker.db.dispose()
