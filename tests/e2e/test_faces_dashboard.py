"""The faces page in headless Chromium: authorise live identification, enrol a person (a refused photo
says why), search by photo with a written reason, a face lead from a unit shows probe + reference and
needs two different reviewers, the kill switch ends the authorisation at once.

Uses Debian's chromium (never a browser downloaded by a test tool); skips when it is absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import pyotp
import pytest
import skimage.data

from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units import service as unit_service
from amane.center.users import service as user_service
from amane.core.messages import Alert, AlertKind, GeoPoint, Severity
from amane.demo.runner import demo_settings
from amane.watchlists.crypto import TemplateCipher
from tests.e2e.serving import BROWSER_ARGS, CHROMIUM, free_port, serve_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RABAT = {"lat": 34.0215, "lon": -6.8345}


@dataclass
class Running:
    url: str
    totp_secret: str
    unit_token: str



def _jpeg(bgr: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def centre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    monkeypatch.setenv("AMANE_WATCHLIST_KEY", TemplateCipher.encode_key(TemplateCipher.generate_key()))
    monkeypatch.setenv("AMANE_WATCHLIST_DB", f"sqlite:///{tmp_path / 'watchlist.db'}")
    port = free_port()
    settings = demo_settings(tmp_path, "127.0.0.1", port)
    center = Center(settings)
    app = create_app(settings, center=center)
    with center.db.writing() as session:
        chief = user_service.create_user(
            session=session, username="chief", role="supervisor", password="correct horse battery", mfa=True
        )
        user_service.create_user(
            session=session, username="duty.op", role="operator", password="second pair of eyes", mfa=False
        )
        _, token = unit_service.register_unit(session=session, callsign="RBT-01", kind="car", region="hassan")
    assert chief.totp_secret is not None
    with serve_in_thread(app, port) as url:
        yield Running(url, chief.totp_secret, token)


def _live(client: httpx.Client, token: str) -> bool:
    r = client.get("/api/v1/faces/live-status", params=RABAT, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return bool(r.json()["authorised"])


def _face_alert(probe: bytes, reference: bytes) -> Alert:
    return Alert(
        kind=AlertKind.FACE, severity=Severity.HIGH, unit_id="RBT-01", camera_id="front",
        observed_at=datetime.now(UTC), position=GeoPoint(lat=34.0222, lon=-6.8338), bearing_deg=20.0,
        summary="Possible watchlist match (lead, needs 2 reviewers): E. Collins [red notice]",
        payload={
            "lead": True, "identification": False, "reviewers_required": 2,
            "statement": "Possible match: a lead for human review, not an identification.",
            "person_id": 1, "person_name": "E. Collins", "notice": "red", "reason": "armed robbery",
            "legal_basis": "warrant 9/2026", "agency": "DGSN",
            "probe_chip_jpeg_b64": _b64(probe), "reference_jpeg_b64": _b64(reference),
            "distance": 0.4123, "threshold": 0.56, "similarity": 0.6319,
        },
    )


def _sign_in(page: object, url: str, user: str, password: str, totp: str | None) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(url + "/")
    page.fill("#login-username", user)
    page.fill("#login-password", password)
    if totp:
        page.fill("#login-totp", totp)
    page.click("#login-submit")
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("live")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_authorise_enrol_two_reviewers_and_kill_switch(centre: Running) -> None:
    from playwright.sync_api import FilePayload, expect, sync_playwright

    astronaut = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])  # type: ignore[no-untyped-call]
    photo = _jpeg(astronaut)
    blank = _jpeg(np.full((240, 240, 3), 90, np.uint8))
    probe = _jpeg(cv2.resize(astronaut[20:240, 130:330], (150, 150)))

    with httpx.Client(base_url=centre.url, timeout=10) as client, sync_playwright() as pw:
        assert not _live(client, centre.unit_token)  # off until authorised
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        chief = browser.new_context(viewport={"width": 1440, "height": 880}).new_page()
        _sign_in(chief, centre.url, "chief", "correct horse battery", pyotp.TOTP(centre.totp_secret).now())

        # live identification: an authorisation for central Rabat
        chief.click("#faces-open")
        expect(chief.locator("#faces")).to_be_visible()
        expect(chief.locator("#faces-auth-who")).to_have_text("chief")
        chief.fill("#faces-auth-legal", "Order 17/2026 of the public prosecutor")
        chief.fill("#faces-auth-purpose", "search for E. Collins (red notice)")
        chief.fill("#faces-auth-area", "Rabat Hassan")
        chief.fill("#faces-auth-lat", str(RABAT["lat"]))
        chief.fill("#faces-auth-lon", str(RABAT["lon"]))
        chief.click("#faces-auth-submit")
        row = chief.locator("#faces-auth-table tbody tr").first
        expect(row).to_have_attribute("data-status", "active")
        expect(row).to_contain_text("user:chief")
        expect(chief.locator("#faces-open")).to_have_text("Face ID LIVE (1)")
        assert _live(client, centre.unit_token)

        # the watchlist: one good photo, one refused with its reason
        chief.click('.faces-tabs [data-tab="watchlist"]')
        chief.fill("#faces-person-name", "E. Collins")
        chief.select_option("#faces-person-notice", "red")
        chief.fill("#faces-person-reason", "armed robbery")
        chief.fill("#faces-person-legal", "warrant 9/2026")
        chief.fill("#faces-person-agency", "DGSN")
        chief.set_input_files("#faces-person-photos", files=[
            FilePayload(name="collins.jpg", mimeType="image/jpeg", buffer=photo),
            FilePayload(name="wall.jpg", mimeType="image/jpeg", buffer=blank),
        ])
        chief.click("#faces-person-submit")
        results = chief.locator("#faces-photo-results li")
        expect(results).to_have_count(2, timeout=60_000)  # the first enrolment loads the face models
        expect(results.nth(0)).to_have_class("ok")
        expect(results.nth(1)).to_have_attribute("data-reason", "no_face")
        expect(results.nth(1)).to_contain_text("no face found")
        person = chief.locator("#faces-person-table tbody tr")
        expect(person).to_have_count(1)
        expect(person).to_contain_text("warrant 9/2026")
        expect(person.locator("td.photos")).to_have_text("1")

        # search by photo: refused without a real reason, audited with one
        chief.click('.faces-tabs [data-tab="search"]')
        still = _jpeg(cv2.resize(astronaut[0:300, 80:400], None, fx=0.8, fy=0.8))
        chief.set_input_files("#faces-search-photo", files=[
            FilePayload(name="still.jpg", mimeType="image/jpeg", buffer=still)])
        chief.fill("#faces-search-reason", "curious")
        chief.click("#faces-search-submit")
        expect(chief.locator("#faces-search-error")).to_contain_text("written reason")
        chief.fill("#faces-search-reason", "case 2026/441: CCTV still from the robbery")
        chief.click("#faces-search-submit")
        hit = chief.locator("#faces-search-results tbody tr").first
        expect(hit).to_have_class("possible")
        expect(hit).to_contain_text("E. Collins")
        expect(chief.locator("#faces-search-results .statement")).to_contain_text("not an identification")
        chief.click("#faces-close")

        # a face lead from the unit: probe next to reference, score, "a lead", two reviewers
        reference = _jpeg(cv2.resize(astronaut, (320, 320)))
        alert = _face_alert(probe, reference)
        unit_headers = {"Authorization": f"Bearer {centre.unit_token}", "Content-Type": "application/json"}
        r = client.post("/api/v1/alerts", content=alert.model_dump_json(), headers=unit_headers)
        assert r.status_code == 201, r.text
        card = chief.locator(f'li[data-alert-id="{alert.id}"]')
        uri = "data:image/jpeg;base64,"
        expect(card.locator(".face-match .probe img")).to_have_attribute("src", uri + _b64(probe))
        expect(card.locator(".face-match .reference img")).to_have_attribute("src", uri + _b64(reference))
        expect(card.locator(".face-match .score")).to_contain_text("distance 0.412")
        expect(card.locator(".face-match .statement")).to_contain_text("not an identification")
        expect(card.locator(".confirmations")).to_have_text("0 of 2 confirmations")
        card.locator('button[data-action="acknowledge"]').click()
        expect(card).to_have_attribute("data-status", "acknowledged")
        card.locator('button[data-action="confirm"]').click()
        expect(card).to_have_attribute("data-status", "pending_second_review")
        expect(card.locator(".confirmations")).to_contain_text("1 of 2 confirmations")
        expect(card.locator('button[data-action="confirm"]')).to_have_count(0)  # not twice by the same person
        expect(card.locator(".await-second")).to_be_visible()

        # a different reviewer, in another browser context
        other = browser.new_context(viewport={"width": 1440, "height": 880}).new_page()
        _sign_in(other, centre.url, "duty.op", "second pair of eyes", None)
        their = other.locator(f'li[data-alert-id="{alert.id}"]')
        expect(their.locator(".confirmations")).to_contain_text("1 of 2 confirmations (chief)")
        their.locator('button[data-action="confirm"]').click()
        other.select_option("#filter-status", "")
        expect(their).to_have_attribute("data-status", "confirmed")
        expect(their.locator(".confirmations")).to_contain_text("2 of 2 confirmations")
        chief.select_option("#filter-status", "")
        expect(card).to_have_attribute("data-status", "confirmed", timeout=10_000)  # live to the first
        body = other.evaluate(f"fetch('/api/v1/alerts/{alert.id}').then((r) => r.json())")
        assert [(t["to_status"], t["actor"]) for t in body["transitions"]] == [
            ("acknowledged", "chief"), ("pending_second_review", "chief"), ("confirmed", "duty.op")]

        # the kill switch ends the authorisation at once
        chief.click("#faces-open")
        chief.click('.faces-tabs [data-tab="authorisations"]')
        chief.fill("#faces-kill-reason", "crowd gathering: stop now")
        chief.click("#faces-kill-switch")
        expect(chief.locator("#faces-kill-result")).to_contain_text("1 authorisation(s) ended")
        expect(row).to_have_attribute("data-status", "revoked")
        expect(row.locator(".auth-status")).to_have_attribute("title", re.compile(r"by user:chief: crowd"))
        expect(chief.locator("#faces-open")).to_have_text("Faces · ID off")
        expect(chief.locator("#faces-kill-switch")).to_be_disabled()
        assert not _live(client, centre.unit_token)
        browser.close()
