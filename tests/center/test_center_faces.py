"""Centre face safeguards: authorisations, kill switch, two reviewers, enrolment API, audited search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import skimage.data
from sqlalchemy import select

from amane.center.faces import service
from amane.core.messages import Alert, AlertKind, Severity, encode
from amane.store.models import AuditEntry
from amane.watchlists.crypto import TemplateCipher

from .conftest import World

CASA = {"lat": 33.5731, "lon": -7.5898}


def _auth_body(**over: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {"legal_reference": "Order 17/2026 of the public prosecutor",
            "purpose": "search for A. Person (red)", "area_name": "Casa centre", "radius_m": 2000,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(), **CASA}
    body.update(over)
    return body


def _status(world: World, lat: float, lon: float) -> bool:
    r = world.client.get("/api/v1/faces/live-status", params={"lat": lat, "lon": lon},
                         headers=world.unit_headers())
    assert r.status_code == 200, r.text
    return bool(r.json()["authorised"])


def _audit(world: World, action: str) -> list[AuditEntry]:
    with world.center.db.session() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_live_identification_off_until_authorised_then_kill_switch(sqlite_world: World) -> None:
    world = sqlite_world
    assert not _status(world, **CASA)  # off by default
    world.login("analyst")
    assert world.client.post("/api/v1/faces/authorisations", json=_auth_body()).status_code == 403
    world.login("supervisor")
    created = world.client.post("/api/v1/faces/authorisations", json=_auth_body())
    assert created.status_code == 201, created.text
    assert created.json()["authorised_by"] == "user:supervisor1" and created.json()["active"]
    assert _status(world, **CASA)
    assert not _status(world, CASA["lat"] + 0.05, CASA["lon"])  # ~5.5 km away: outside the area
    world.login("operator")
    stopped = world.client.post("/api/v1/faces/kill-switch", json={"reason": "public protest nearby"})
    assert stopped.json() == {"revoked": 1}
    assert not _status(world, **CASA)  # at once
    assert _audit(world, "face.authorisation.create") and _audit(world, "face.kill_switch")


def test_authorisation_stops_by_itself(sqlite_world: World) -> None:
    world = sqlite_world
    world.login("supervisor")
    body = _auth_body()
    assert world.client.post("/api/v1/faces/authorisations", json=body).status_code == 201
    end = datetime.fromisoformat(body["ends_at"])
    with world.center.db.session() as session:
        assert service.live_status(session=session, at=end - timedelta(seconds=1), **CASA).authorised
        assert not service.live_status(session=session, at=end, **CASA).authorised
        assert not service.live_status(session=session, at=end, lat=None, lon=None).authorised


@pytest.mark.parametrize(
    ("over", "status"),
    [
        ({}, 201),
        ({"ends_at": (datetime.now(UTC) + timedelta(days=8)).isoformat()}, 422),
        ({"ends_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}, 422),
        ({"legal_reference": ""}, 422),
        ({"radius_m": 0}, 422),
        ({"starts_at": "2026-11-23T10:00:00"}, 422),
    ],
)
def test_authorisation_validation(sqlite_world: World, over: dict[str, Any], status: int) -> None:
    sqlite_world.login("admin")
    r = sqlite_world.client.post("/api/v1/faces/authorisations", json=_auth_body(**over))
    assert r.status_code == status, r.text


def test_face_lead_needs_two_different_reviewers_by_default(sqlite_world: World) -> None:
    world = sqlite_world
    alert = Alert(kind=AlertKind.FACE, severity=Severity.HIGH, unit_id="RBT-1", camera_id="front",
                  observed_at=datetime.now(UTC), summary="Possible watchlist match (lead)",
                  payload={"lead": True})
    r = world.client.post("/api/v1/alerts", content=encode(alert), headers=world.unit_headers())
    assert r.status_code == 201, r.text
    world.login("operator")
    act = f"/api/v1/alerts/{alert.id}/transitions"
    assert world.client.post(act, json={"action": "acknowledge"}).status_code == 200
    assert world.client.post(act, json={"action": "confirm"}).json()["status"] == "pending_second_review"
    assert world.client.post(act, json={"action": "confirm"}).status_code == 409
    world.login("supervisor")
    assert world.client.post(act, json={"action": "confirm"}).json()["status"] == "confirmed"
    matches = _audit(world, "face.match")  # the match itself is audited on arrival, once
    assert [m.target for m in matches] == [f"alert:{alert.id}"] and matches[0].actor == "unit:RBT-1"
    world.client.post("/api/v1/alerts", content=encode(alert), headers=world.unit_headers())  # re-sent
    assert len(_audit(world, "face.match")) == 1


def _jpeg(img: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", img)[1].tobytes()


def test_enrolment_and_audited_search(sqlite_world: World, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    world = sqlite_world
    monkeypatch.setenv("AMANE_WATCHLIST_KEY", TemplateCipher.encode_key(TemplateCipher.generate_key()))
    monkeypatch.setenv("AMANE_WATCHLIST_DB", f"sqlite:///{tmp_path / 'wl.db'}")
    astro = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])  # type: ignore[no-untyped-call]
    world.login("supervisor")
    person = world.client.post("/api/v1/faces/watchlist/persons", json={
        "name": "Test Person", "notice": "red", "reason": "armed robbery", "legal_basis": "warrant 9/2026",
        "agency": "DGSN", "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert person.status_code == 201, person.text
    pid = person.json()["id"]
    ok = world.client.post(f"/api/v1/faces/watchlist/persons/{pid}/photos",
                           files={"photo": ("a.jpg", _jpeg(astro), "image/jpeg")})
    assert ok.status_code == 201, ok.text
    grey = _jpeg(np.full((200, 200, 3), 90, np.uint8))
    blank = world.client.post(f"/api/v1/faces/watchlist/persons/{pid}/photos",
                              files={"photo": ("b.jpg", grey, "image/jpeg")})
    assert blank.status_code == 422 and "no_face" in blank.text
    probe = _jpeg(cv2.resize(astro[0:300, 80:400], None, fx=0.8, fy=0.8))
    world.login("operator")
    assert world.client.post("/api/v1/faces/search", files={"photo": ("p.jpg", probe, "image/jpeg")},
                             data={"reason": "case 2026/441: CCTV still"}).status_code == 403
    world.login("analyst")
    short = world.client.post("/api/v1/faces/search", files={"photo": ("p.jpg", probe, "image/jpeg")},
                              data={"reason": "curious"})
    assert short.status_code == 422
    found = world.client.post("/api/v1/faces/search", files={"photo": ("p.jpg", probe, "image/jpeg")},
                              data={"reason": "case 2026/441: CCTV still from the robbery"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert "not an identification" in body["statement"]
    assert body["results"][0]["person"]["id"] == pid and body["results"][0]["possible_match"]
    searches = _audit(world, "face.search")
    assert searches and searches[-1].details["reason"] == "case 2026/441: CCTV still from the robbery"
    assert searches[-1].actor == "user:analyst1"
    assert _audit(world, "face.watchlist.add_photo") and _audit(world, "face.watchlist.photo_refused")


def test_watchlist_without_key_is_unavailable(sqlite_world: World, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.delenv("AMANE_WATCHLIST_KEY", raising=False)
    monkeypatch.setenv("AMANE_WATCHLIST_DB", f"sqlite:///{tmp_path / 'nokey.db'}")
    sqlite_world.login("supervisor")
    r = sqlite_world.client.get("/api/v1/faces/watchlist/persons")
    assert r.status_code == 503 and "AMANE_WATCHLIST_KEY" in r.text


def test_unit_side_authorisation_fails_closed_and_follows_kill_switch(sqlite_world: World) -> None:
    from amane.watchlists.faces_authorisation import CenterAuthorisation

    world = sqlite_world
    clock = [0.0]
    is_authorised = CenterAuthorisation(world.client, token=world.unit_tokens["RBT-1"], ttl_s=10,
                                        monotonic=lambda: clock[0])
    here = (CASA["lat"], CASA["lon"])
    now = datetime.now(UTC)
    assert not is_authorised(now, here)  # nothing authorised yet
    world.login("supervisor")
    body = _auth_body()
    assert world.client.post("/api/v1/faces/authorisations", json=body).status_code == 201
    assert not is_authorised(now, here)  # cached "no" for up to ttl
    clock[0] += 11
    assert is_authorised(now, here)
    assert not is_authorised(now, None)  # no position: no
    assert not is_authorised(datetime.fromisoformat(body["ends_at"]), here)  # over at the end, even cached
    world.client.post("/api/v1/faces/kill-switch", json={"reason": "stop now"})
    clock[0] += 11
    assert not is_authorised(now, here)
    broken = CenterAuthorisation(world.client, token="amane_unit_wrong", ttl_s=10)
    assert not broken(now, here)  # the centre refuses the token: fail closed
