"""Messages in the dashboard (headless Chromium): an operator writes to a unit, the unit (through the real
unit API) takes the message and its crew reads it, and the badge goes sent -> delivered -> read live; a
crew's message arrives live and stays highlighted; a go-to place is picked on the map; a broadcast to a
region lists every unit of the region.

Uses Debian's chromium (never a downloaded browser); skips when it is absent. Saves docs/img/messages.png.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from amane.center.app import create_app
from amane.center.runtime import Center
from amane.center.units import service as unit_service
from amane.center.users import service as user_service
from amane.core.messages import AckState, GeoPoint, Heartbeat, MessageAck, MessageKind, UnitMessage
from amane.demo.runner import demo_settings
from tests.e2e.serving import BROWSER_ARGS, CHROMIUM, free_port, serve_in_thread

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "messages.png"
PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.slow]

UNITS = {"RBT-01": ("car", "hassan"), "RBT-02": ("car", "hassan"), "RBT-M1": ("motorcycle", "agdal")}


def _has_class(name: str) -> re.Pattern[str]:
    """Matches a class attribute that has ``name`` among its classes."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


@dataclass
class Running:
    url: str
    tokens: dict[str, str]



@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Running]:
    port = free_port()
    settings = demo_settings(tmp_path, "127.0.0.1", port)
    center = Center(settings)
    app = create_app(settings, center=center)
    tokens: dict[str, str] = {}
    with center.db.writing() as session:
        for username, role in (("disp", "operator"), ("analyst", "analyst")):
            user_service.create_user(
                session=session, username=username, role=role, password=PASSWORD, mfa=False
            )
        for callsign, (kind, region) in UNITS.items():
            _, tokens[callsign] = unit_service.register_unit(
                session=session, callsign=callsign, kind=kind, region=region
            )
    with serve_in_thread(app, port) as url:
        yield Running(url, tokens)


class UnitSide:
    """The unit's side of the real unit API: poll the inbox, acknowledge, write (as its uplink does)."""

    def __init__(self, client: httpx.Client, callsign: str, token: str) -> None:
        self.client = client
        self.callsign = callsign
        self.auth = {"Authorization": f"Bearer {token}"}
        self.cursor = "0"

    def poll(self) -> list[dict[str, Any]]:
        r = self.client.get("/api/v1/units/me/messages", params={"after": self.cursor}, headers=self.auth)
        assert r.status_code == 200, r.text
        page = r.json()
        self.cursor = page["cursor"] or self.cursor
        return list(page["messages"])

    def ack(self, message_id: str, state: AckState) -> None:
        ack = MessageAck(message_id=uuid.UUID(message_id), unit_id=self.callsign, state=state)
        r = self.client.post(
            "/api/v1/units/me/acks",
            content=ack.model_dump_json(),
            headers={**self.auth, "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == state.value

    def write(self, body: str) -> UnitMessage:
        message = UnitMessage(direction="from_unit", unit_id=self.callsign, kind=MessageKind.TEXT, body=body)
        r = self.client.post(
            "/api/v1/units/me/messages",
            content=message.model_dump_json(),
            headers={**self.auth, "Content-Type": "application/json"},
        )
        assert r.status_code == 201, r.text
        return message


def _sign_in(page: Any, url: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("live")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_message_delivery_states_crew_messages_and_broadcast_live(centre: Running) -> None:
    from playwright.sync_api import expect, sync_playwright

    with httpx.Client(base_url=centre.url, timeout=10) as client, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 880})
        _sign_in(page, centre.url, "disp")
        page.click("#messages-open")
        expect(page.locator("#messages")).to_be_visible()
        expect(page.locator("#message-unit option")).to_have_count(3)
        page.evaluate("window.__notReloaded = true")

        # a text to one unit: sent, then delivered and read as the unit acknowledges
        page.select_option("#message-unit", "RBT-01")
        page.fill("#message-body", "Call the centre on channel 4")
        page.click("#message-send")
        item = page.locator("#sent-list li.message", has_text="Call the centre on channel 4")
        badge = item.locator('.delivery[data-unit="RBT-01"]')
        expect(badge).to_have_attribute("data-state", "sent")
        message_id = item.get_attribute("data-message-id")
        assert message_id is not None
        crew = UnitSide(client, "RBT-01", centre.tokens["RBT-01"])
        inbox = crew.poll()
        assert [str(m["id"]) for m in inbox] == [message_id]
        assert inbox[0]["body"] == "Call the centre on channel 4" and inbox[0]["sender"] == "disp"
        assert UnitSide(client, "RBT-02", centre.tokens["RBT-02"]).poll() == []
        crew.ack(message_id, AckState.DELIVERED)
        expect(badge).to_have_attribute("data-state", "delivered")
        expect(badge).to_have_class(_has_class("changed"))  # flashed as it moves on
        crew.ack(message_id, AckState.READ)
        expect(badge).to_have_attribute("data-state", "read")
        expect(badge).to_contain_text("read")

        # a crew's message arrives live, highlighted until seen
        written = crew.write("Suspect vehicle left towards the medina")
        reply = page.locator(f'#crew-list li[data-message-id="{written.id}"]')
        expect(reply).to_contain_text("Suspect vehicle left towards the medina")
        expect(reply).to_have_class(_has_class("unseen"))
        expect(page.locator("#messages-badge")).to_have_text("1 new")
        reply.click()
        expect(reply).not_to_have_class(_has_class("unseen"))
        expect(page.locator("#messages-badge")).to_be_hidden()

        # a click on a unit's row in the table, or on its marker on the map, makes it the addressee
        page.locator('#unit-table tr[data-callsign="RBT-02"]').click()
        expect(page.locator("#message-unit")).to_have_value("RBT-02")
        beat = Heartbeat(unit_id="RBT-M1", position=GeoPoint(lat=34.0150, lon=-6.8450), heading_deg=90.0)
        r = client.post(
            "/api/v1/units/heartbeat",
            content=beat.model_dump_json(),
            headers={
                **UnitSide(client, "RBT-M1", centre.tokens["RBT-M1"]).auth,
                "Content-Type": "application/json",
            },
        )
        assert r.status_code == 200, r.text
        page.locator('.leaflet-marker-icon[title="RBT-M1"]').click()
        expect(page.locator("#message-unit")).to_have_value("RBT-M1")

        # a go-to: the place is a click on the map, shown as a pin, sent with the message
        page.select_option("#message-kind", "goto")
        page.locator("#map").click(position={"x": 300, "y": 300})
        expect(page.locator(".goto-pin")).to_have_count(1)
        expect(page.locator("#call-lat")).to_have_value("")  # dispatch's call intake did not take the click
        page.click("#message-send")
        goto = page.locator("#sent-list li.message.kind-goto")
        expect(goto.locator('.delivery[data-unit="RBT-M1"]')).to_have_attribute("data-state", "sent")
        expect(goto.locator(".goto-link")).to_be_visible()
        moto = UnitSide(client, "RBT-M1", centre.tokens["RBT-M1"]).poll()
        assert len(moto) == 1 and moto[0]["kind"] == "goto" and moto[0]["location"] is not None

        # a broadcast to a region lists every unit of it, each with its own state
        page.select_option("#message-kind", "order")
        page.select_option("#message-scope", "region")
        page.select_option("#message-region", "hassan")
        page.fill("#message-body", "All hassan units: checkpoint at the bridge")
        page.click("#message-send")
        broadcast = page.locator("#sent-list li.message", has_text="checkpoint at the bridge")
        expect(broadcast.locator(".delivery")).to_have_count(2)
        expect(broadcast.locator('.delivery[data-unit="RBT-01"]')).to_have_attribute("data-state", "sent")
        expect(broadcast.locator('.delivery[data-unit="RBT-02"]')).to_have_attribute("data-state", "sent")
        got = crew.poll()
        assert [m["region"] for m in got] == ["hassan"]
        crew.ack(str(got[0]["id"]), AckState.DELIVERED)
        expect(broadcast.locator('.delivery[data-unit="RBT-01"]')).to_have_attribute(
            "data-state", "delivered"
        )
        expect(broadcast.locator('.delivery[data-unit="RBT-02"]')).to_have_attribute("data-state", "sent")
        assert page.evaluate("window.__notReloaded") is True
        later = UnitSide(client, "RBT-02", centre.tokens["RBT-02"]).write("Checkpoint set up")
        expect(page.locator(f'#crew-list li[data-message-id="{later.id}"]')).to_have_class(
            _has_class("unseen")
        )
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # after a reload: states from the store, and what this user has seen stays seen
        page.reload()
        expect(page.locator("#live-status")).to_have_text("live")
        page.click("#messages-open")
        expect(item.locator('.delivery[data-unit="RBT-01"]')).to_have_attribute("data-state", "read")
        expect(broadcast.locator('.delivery[data-unit="RBT-01"]')).to_have_attribute(
            "data-state", "delivered"
        )
        expect(page.locator(f'#crew-list li[data-message-id="{later.id}"]')).to_have_class(
            _has_class("unseen")
        )
        expect(reply).not_to_have_class(_has_class("unseen"))
        expect(page.locator("#messages-badge")).to_have_text("1 new")

        # a role the centre does not let send or list messages gets no messages drawer
        other = browser.new_page(viewport={"width": 1200, "height": 800})
        _sign_in(other, centre.url, "analyst")
        expect(other.locator("#messages-open")).to_have_count(0)
        expect(other.locator("#message-form")).to_have_count(0)
        browser.close()
