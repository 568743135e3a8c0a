"""The crew page: status buttons reach the centre as a heartbeat at once, crew messages go to the outbox,
bad requests are refused."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from amane.config.unit import UnitConfig
from amane.core.messages import Heartbeat, UnitMessage, decode_as
from amane.unit.crew import CrewPage
from amane.unit.outbox import ItemKind
from amane.unit.runtime import UnitRuntime


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[UnitRuntime, str]]:
    config = UnitConfig.model_validate(
        {
            "unit_id": "RBT-6",
            "center": {"url": "http://127.0.0.1:9", "token": "amu_x"},
            "simulated": {"cameras": [{"id": "front"}], "width": 160, "height": 90},
            "gps": {"type": "fixed", "lat": 34.02, "lon": -6.83, "heading_deg": 90},
            "evidence": {"dir": str(tmp_path / "ev")},
            "outbox": {"path": str(tmp_path / "outbox.db")},
        }
    )
    runtime = UnitRuntime(config, plugins=([], []))
    crew = CrewPage(runtime, "127.0.0.1", 0)
    crew.start()
    yield runtime, crew.url
    crew.stop()
    runtime.close()


def post(url: str, data: object) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/api/status", {"status": "en_route"}, 200),
        ("/api/status", {"status": "napping"}, 400),
        ("/api/messages", {"body": "need backup at the roundabout"}, 201),
        ("/api/messages", {"body": "   "}, 400),
        ("/api/messages/not-a-uuid/read", {}, 400),
        ("/api/nothing", {}, 404),
    ],
)
def test_crew_actions(page: tuple[UnitRuntime, str], path: str, data: object, status: int) -> None:
    runtime, url = page
    code, _ = post(url + path, data)
    assert code == status
    items = runtime.outbox.due(limit=100)
    if path == "/api/status" and status == 200:
        (beat,) = [decode_as(Heartbeat, i.payload) for i in items if i.kind is ItemKind.HEARTBEAT]
        assert beat.status.value == "en_route" and beat.position is not None and beat.heading_deg == 90.0
        assert runtime.status.value == "en_route"
    elif path == "/api/messages" and status == 201:
        (message,) = [decode_as(UnitMessage, i.payload) for i in items if i.kind is ItemKind.MESSAGE]
        assert message.direction == "from_unit" and message.unit_id == "RBT-6"
    else:
        assert items == []


def test_page_shows_status_buttons(page: tuple[UnitRuntime, str]) -> None:
    _, url = page
    with urllib.request.urlopen(url + "/", timeout=5) as response:
        html = response.read().decode()
    assert "Unit RBT-6" in html and "setStatus('on_scene')" in html and "Message to the centre" in html
