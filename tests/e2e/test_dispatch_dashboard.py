"""Dispatch in the dashboard (headless Chromium): take a call by clicking the map, accept the
recommendation (by road, on a generated street grid), the unit drives there (heartbeats en_route along
its route, then on_scene), the KPIs change.

Uses Debian's chromium (never a downloaded browser); skips when it is absent. Saves docs/img/dispatch.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from amane.center.app import create_app
from amane.center.dispatch.state import DispatchSettings, DispatchState
from amane.center.runtime import Center
from amane.center.units import service as unit_service
from amane.center.users import service as user_service
from amane.demo.runner import demo_settings
from amane.routing import RoadGraph, city_grid
from tests.e2e.serving import BROWSER_ARGS, CHROMIUM, free_port, serve_in_thread

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "dispatch.png"
PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAP_CENTER = (34.0209, -6.8416)
UNITS = {  # callsign: kind, region, start position (the map opens at 34.0209, -6.8416)
    "RBT-01": ("car", "hassan", (34.0290, -6.8300)),
    "RBT-M1": ("motorcycle", "agdal", (34.0170, -6.8470)),
    "RBT-02": ("car", "souissi", (34.0060, -6.8200)),
}


@dataclass
class Running:
    url: str
    tokens: dict[str, str]
    grid: RoadGraph



@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Running]:
    port = free_port()
    settings = demo_settings(tmp_path, "127.0.0.1", port)
    center = Center(settings)
    app = create_app(settings, center=center)
    # a generated street grid around the demo map (60 x 60 junctions, 90 m blocks, some one-way streets)
    grid = city_grid(side=60, origin=(MAP_CENTER[0] - 0.0243, MAP_CENTER[1] - 0.0292), seed=11)
    app.state.dispatch = DispatchState(DispatchSettings(), travel=grid)
    tokens: dict[str, str] = {}
    with center.db.writing() as session:
        user_service.create_user(
            session=session, username="disp", role="operator", password=PASSWORD, mfa=False
        )
        for callsign, (kind, region, _) in UNITS.items():
            _, tokens[callsign] = unit_service.register_unit(
                session=session, callsign=callsign, kind=kind, region=region
            )
    with serve_in_thread(app, port) as url:
        yield Running(url, tokens, grid)


def _beat(client: httpx.Client, token: str, callsign: str, lat: float, lon: float, status: str) -> None:
    body = {
        "unit_id": callsign,
        "sent_at": datetime.now(UTC).isoformat(),
        "position": {"lat": lat, "lon": lon},
        "status": status,
        "speed_mps": 12.0,
    }
    r = client.post("/api/v1/units/heartbeat", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_take_call_accept_recommendation_unit_arrives_kpis_change(centre: Running) -> None:
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    with httpx.Client(base_url=centre.url, timeout=10) as client, sync_playwright() as pw:
        for callsign, (_, _, (lat, lon)) in UNITS.items():
            _beat(client, centre.tokens[callsign], callsign, lat, lon, "available")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        page.goto(centre.url + "/")
        page.fill("#login-username", "disp")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#live-status")).to_have_text("live")
        expect(page.locator("#dispatch")).to_be_visible()

        page.click('#dispatch button[data-tab="kpis"]')
        expect(page.locator(".kpi-table")).to_be_visible()
        expect(page.locator('.kpi-table tr[data-group="P1"]')).to_have_count(0)  # nothing measured yet

        page.click('#dispatch button[data-tab="calls"]')
        page.select_option("#call-nature", "ASSAULT_IN_PROGRESS")
        page.fill("#call-caller", "Salma")
        box = page.locator("#map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the spot, on the map
        expect(page.locator("#call-lat")).not_to_have_value("")
        page.click("#call-submit")
        accept = page.locator("#accept-recommendation")
        expect(accept).to_contain_text("RBT-M1")  # the nearest by road
        expect(page.locator("path.route-line")).to_have_count(1)  # its road route, drawn on the map
        accept.click()
        expect(page.locator("#incident-status")).to_have_text("dispatched")

        # the unit gets its order through unit messaging, then drives there as a unit would
        inbox = client.get(
            "/api/v1/units/me/messages", headers={"Authorization": f"Bearer {centre.tokens['RBT-M1']}"}
        )
        order = inbox.json()["messages"][-1]
        assert order["kind"] == "goto"
        goal = order["location"]
        start = UNITS["RBT-M1"][2]
        route = centre.grid.search((goal["lat"], goal["lon"]), [start]).route(0)
        assert len(route) >= 3
        for lat, lon in route[:: max(1, len(route) // 6)]:  # along its road route, status en route
            _beat(client, centre.tokens["RBT-M1"], "RBT-M1", lat, lon, "en_route")
            time.sleep(0.1)
        _beat(client, centre.tokens["RBT-M1"], "RBT-M1", goal["lat"], goal["lon"], "on_scene")
        expect(page.locator("#incident-status")).to_have_text("on_scene")
        expect(page.locator('#timeline li[data-kind="unit_en_route"]')).to_have_count(1)
        expect(page.locator('#timeline li[data-kind="unit_on_scene"]')).to_have_count(1)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        page.click('#dispatch button[data-tab="kpis"]')
        row = page.locator('.kpi-table tr[data-group="P1"]')
        expect(row.locator(".kpi-n")).to_have_text("1")
        expect(row.locator(".kpi-total")).to_have_attribute("data-count", "1")
        expect(page.locator('.kpi-chart rect.kpi-median[data-group="P1"]')).to_have_count(1)
        browser.close()
    assert time.monotonic() - started < 60
