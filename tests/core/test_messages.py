from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from amane.core.messages import (
    Alert,
    AlertKind,
    AnyMessage,
    Heartbeat,
    MessageAck,
    MessageKind,
    Severity,
    UnitMessage,
    decode_as,
    encode,
)

T0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def _alert(**over: object) -> Alert:
    fields: dict[str, object] = {"kind": "plate", "severity": "high", "unit_id": "RBT-12", "observed_at": T0}
    fields.update(over)
    return Alert.model_validate(fields)


def test_alert_round_trips_and_keeps_its_id() -> None:
    alert = _alert(payload={"plate": "57626ب8"})
    again = decode_as(Alert, encode(alert))
    assert again == alert
    assert again.id == alert.id
    assert again.schema_version == 1


def test_each_alert_is_born_with_a_distinct_uuid() -> None:
    assert _alert().id != _alert().id


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"kind": "weather"}, "kind"),
        ({"severity": "urgent"}, "severity"),
        ({"unit_id": ""}, "unit_id"),
        ({"unit_id": "bad id with spaces"}, "unit_id"),
        ({"bearing_deg": 360.0}, "bearing_deg"),
        ({"position": {"lat": 91, "lon": 0}}, "position"),
        ({"observed_at": datetime(2026, 1, 1)}, "observed_at"),
        ({"colour": "red"}, "colour"),
        ({"schema_version": 2}, "schema_version"),
    ],
)
def test_bad_alerts_name_the_field(over: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        _alert(**over)
    assert field in str(err.value)


def test_messages_are_discriminated_by_type() -> None:
    adapter: TypeAdapter[object] = TypeAdapter(AnyMessage)
    hb = Heartbeat(unit_id="RBT-1", position={"lat": 34.0, "lon": -6.8}, heading_deg=90)  # type: ignore[arg-type]
    msg = UnitMessage(region="rabat", body="road closed")
    ack = MessageAck(message_id=msg.id, unit_id="RBT-1", state="read")  # type: ignore[arg-type]
    for m in (hb, msg, ack, _alert()):
        assert adapter.validate_json(encode(m)) == m


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"unit_id": "RBT-1", "body": "hi"}, True),
        ({"region": "rabat", "body": "hi"}, True),
        ({"body": "nobody"}, False),
        ({"unit_id": "RBT-1", "region": "rabat"}, False),
        ({"unit_id": "RBT-1", "kind": MessageKind.GOTO}, False),
        ({"unit_id": "RBT-1", "kind": MessageKind.GOTO, "location": {"lat": 34, "lon": -6.8}}, True),
        ({"direction": "from_unit", "body": "need backup"}, False),
    ],
)
def test_unit_message_addressing(fields: dict[str, object], ok: bool) -> None:
    if ok:
        UnitMessage.model_validate(fields)
    else:
        with pytest.raises(ValidationError):
            UnitMessage.model_validate(fields)


def test_kinds_and_severities_are_the_wire_names() -> None:
    assert [k.value for k in AlertKind] == ["plate", "face", "behaviour", "sos"]
    assert Severity("critical") is Severity.CRITICAL
    assert isinstance(uuid.UUID(str(_alert().id)), uuid.UUID)
