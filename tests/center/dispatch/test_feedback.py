"""The live-event reader that turns unit steps into timeline events: both frame forms, other scopes, junk."""

from __future__ import annotations

import json

import pytest

from amane.center.dispatch.feedback import _parse

DATA = {"callsign": "RBT-1", "status": "en_route"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"units\n" + json.dumps({"type": "unit.position", "data": DATA}).encode(), ("unit.position", DATA)),
        (
            json.dumps({"scope": "units", "type": "unit.position", "data": DATA}).encode(),
            ("unit.position", DATA),
        ),
        (b"alerts\n" + json.dumps({"type": "alert.new", "data": {}}).encode(), None),
        (json.dumps({"scope": "alerts", "type": "alert.new", "data": {}}).encode(), None),
        (b"units\n{not json", None),
        (b"units\n" + json.dumps({"type": "unit.position"}).encode(), None),
        (b"\xff\xfe", None),
        (b"", None),
    ],
)
def test_parse_table(raw: bytes, expected: tuple[str, dict[str, str]] | None) -> None:
    assert _parse(raw) == expected
