"""The dashboard in headless Chromium: sign in with TOTP, see an alert arrive live, confirm it.

Uses Debian's chromium (never a browser downloaded by a test tool); skips when it is absent.
Saves the screenshot the README shows (docs/img/dashboard.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyotp
import pytest

from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units import service as unit_service
from amane.center.users import service as user_service
from amane.core.messages import Alert, AlertKind, EvidenceRef, GeoPoint, Heartbeat, Severity
from amane.demo.runner import demo_settings
from tests.e2e.evidence_images import person_snapshot, plate_snapshot
from tests.e2e.serving import BROWSER_ARGS, CHROMIUM, free_port, serve_in_thread

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "dashboard.png"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class Running:
    url: str
    totp_secret: str
    tokens: dict[str, str]



@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Running]:
    port = free_port()
    settings = demo_settings(tmp_path, "127.0.0.1", port)
    center = Center(settings)
    app = create_app(settings, center=center)
    tokens: dict[str, str] = {}
    with center.db.writing() as session:
        created = user_service.create_user(
            session=session, username="chief", role="supervisor", password="correct horse battery", mfa=True
        )
        for callsign, kind, region in (
            ("RBT-01", "car", "hassan"),
            ("RBT-M1", "motorcycle", "agdal"),
            ("RBT-02", "car", "souissi"),
        ):
            _, tokens[callsign] = unit_service.register_unit(
                session=session, callsign=callsign, kind=kind, region=region
            )
    assert created.totp_secret is not None
    with serve_in_thread(app, port) as url:
        yield Running(url, created.totp_secret, tokens)


def _post(client: httpx.Client, token: str, alert: Alert, image: bytes) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(
        "/api/v1/alerts",
        content=alert.model_dump_json(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    r = client.put(
        f"/api/v1/alerts/{alert.id}/evidence/snapshot.jpg",
        content=image,
        headers={**auth, "Content-Type": "image/jpeg"},
    )
    assert r.status_code == 201, r.text


def _alert(unit: str, kind: AlertKind, summary: str, pos: GeoPoint, severity: Severity) -> Alert:
    return Alert(
        kind=kind,
        severity=severity,
        unit_id=unit,
        camera_id="front",
        observed_at=datetime.now(UTC),
        position=pos,
        bearing_deg=30.0,
        summary=summary,
        payload={},
        evidence=[EvidenceRef(key="snapshot.jpg", content_type="image/jpeg")],
    )


def _populate(client: httpx.Client, tokens: dict[str, str]) -> None:
    spots = {
        "RBT-01": (34.0215, -6.8345, 80.0),
        "RBT-M1": (34.0040, -6.8460, 200.0),
        "RBT-02": (33.9990, -6.8190, 310.0),
    }
    for unit, (lat, lon, heading) in spots.items():
        beat = Heartbeat(
            unit_id=unit, position=GeoPoint(lat=lat, lon=lon), heading_deg=heading, speed_mps=8.0
        )
        r = client.post(
            "/api/v1/units/heartbeat",
            content=beat.model_dump_json(),
            headers={"Authorization": f"Bearer {tokens[unit]}", "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text
    _post(
        client,
        tokens["RBT-M1"],
        _alert(
            "RBT-M1",
            AlertKind.BEHAVIOUR,
            "Person lingering 140 s near the bank",
            GeoPoint(lat=34.0048, lon=-6.8452),
            Severity.MEDIUM,
        ),
        person_snapshot("loitering", 2),
    )


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_sign_in_watch_alert_arrive_live_and_confirm(centre: Running) -> None:
    from playwright.sync_api import expect, sync_playwright

    leaflet = Path(__file__).resolve().parents[2] / "src/amane/center/web/static/vendor/leaflet/leaflet.js"
    assert leaflet.is_file(), "map library missing: run `make setup` (it copies it from npm)"

    with httpx.Client(base_url=centre.url, timeout=10) as client, sync_playwright() as pw:
        _populate(client, centre.tokens)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 880})
        page.goto(centre.url + "/")
        page.fill("#login-username", "chief")
        page.fill("#login-password", "correct horse battery")
        page.click("#login-submit")
        expect(page.locator("#login-error")).to_contain_text("TOTP", ignore_case=True)
        page.fill("#login-totp", pyotp.TOTP(centre.totp_secret).now())
        page.click("#login-submit")
        expect(page.locator("#app-view")).to_be_visible()
        expect(page.locator("#live-status")).to_have_text("live")
        expect(page.locator("#unit-table tbody tr")).to_have_count(3)
        page.evaluate("window.__notReloaded = true")

        hit = _alert(
            "RBT-01",
            AlertKind.PLATE,
            "Hotlist hit 57626-B-8 (stolen)",
            GeoPoint(lat=34.0222, lon=-6.8338),
            Severity.HIGH,
        )
        _post(client, centre.tokens["RBT-01"], hit, plate_snapshot(("57626", "ب", "8"), 1))

        card = page.locator(f'li[data-alert-id="{hit.id}"]')
        expect(card).to_be_visible()
        expect(card.locator("img")).to_have_attribute("src", f"/api/v1/alerts/{hit.id}/evidence/snapshot.jpg")
        assert page.evaluate("window.__notReloaded") is True
        card.locator('button[data-action="acknowledge"]').click()
        expect(card).to_have_attribute("data-status", "acknowledged")
        card.locator('button[data-action="confirm"]').click()
        page.select_option("#filter-status", "")
        expect(page.locator(f'li[data-alert-id="{hit.id}"]')).to_have_attribute("data-status", "confirmed")
        stored = page.evaluate(f"fetch('/api/v1/alerts/{hit.id}').then((r) => r.json())")
        assert stored["status"] == "confirmed"
        assert [t["to_status"] for t in stored["transitions"]] == ["acknowledged", "confirmed"]
        assert {t["actor"] for t in stored["transitions"]} == {"chief"}
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        browser.close()
