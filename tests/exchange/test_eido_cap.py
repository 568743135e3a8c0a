"""EIDO JSON and CAP 1.2 XML: what amane writes is valid against the schemas, and broken documents are not."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from amane.center.dispatch.schemas import AssignmentPublic, EventPublic, IncidentDetail
from amane.core.messages import GeoPoint
from amane.exchange import cap, eido

T0 = datetime(2026, 5, 1, 22, 14, 3, tzinfo=UTC)


def _event(seq: int, kind: str, seconds: int, unit: str | None = None, **details: Any) -> EventPublic:
    at = T0 + timedelta(seconds=seconds)
    return EventPublic(
        seq=seq,
        kind=kind,
        at=at,
        received_at=at + timedelta(milliseconds=300),
        reported_at=at if unit else None,
        unit=unit,
        actor="user:op1",
        details=details,
        corrects=None,
    )


def incident(status: str = "on_scene", address: str = "Avenue Mohamed V") -> IncidentDetail:
    timeline = [
        _event(1, "call_received", 0, call_id="c1"),
        _event(2, "call_answered", 4, call_id="c1"),
        _event(3, "incident_created", 40),
        _event(4, "unit_recommended", 41),
        _event(5, "unit_dispatched", 55, unit="RBT-1", assignment=1),
        _event(6, "unit_en_route", 70, unit="RBT-1", assignment=1),
        _event(7, "unit_on_scene", 301, unit="RBT-1", assignment=1),
        _event(8, "note", 320, text="two suspects, one injured"),
    ]
    return IncidentDetail(
        id=uuid.UUID(int=7),
        number="260501-00ABCD",
        nature_code="ASSAULT_IN_PROGRESS",
        nature="Assault in progress",
        priority=1,
        status=status,
        location=GeoPoint(lat=34.0135, lon=-6.836),
        address=address,
        region="hassan",
        notes="",
        source="intake",
        duplicate_of=None,
        created_at=T0 + timedelta(seconds=40),
        call_received_at=T0,
        first_dispatched_at=T0 + timedelta(seconds=55),
        first_on_scene_at=T0 + timedelta(seconds=301),
        closed_at=None,
        assignments=[
            AssignmentPublic(
                unit="RBT-1",
                kind="car",
                state="on_scene",
                active=True,
                eta_s=250.0,
                dispatched_at=T0 + timedelta(seconds=55),
                override_reason=None,
                message_id=uuid.UUID(int=9),
            )
        ],
        timeline=timeline,
        calls=1,
    )


def test_eido_document_is_valid_and_complete() -> None:
    doc = eido.to_eido(incident())
    eido.validate(doc)
    assert doc["incidentComponent"]["incidentPriorityText"] == "P1"
    assert doc["incidentComponent"]["incidentStatusCommonRegistryText"] == ["OnScene"]
    assert doc["locationComponent"][0]["locationByValue"]["coordinates"] == [-6.836, 34.0135]
    history = doc["emergencyResourceComponent"][0]["statusHistory"]
    assert [h["status"] for h in history] == ["Dispatched", "EnRoute", "OnScene"]
    assert all(
        h["receivedTimeStamp"] > h["timeStamp"] for h in history
    )  # unit time and centre time both kept
    assert doc["callComponent"][0]["callAnswerTimeStamp"].startswith("2026-05-01T22:14:07")
    assert json.loads(eido.dumps(doc)) == doc


def _drop(path: list[str | int]) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


def _set(path: list[str | int], value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_drop(["incidentComponent"]), "incidentComponent"),
        (_drop(["incidentComponent", "incidentTrackingIdentifier"]), "incidentTrackingIdentifier"),
        (_set(["incidentComponent", "incidentPriorityText"], "urgent"), "incidentPriorityText"),
        (_set(["incidentComponent", "incidentStatusCommonRegistryText"], ["Sleeping"]), "incidentStatus"),
        (_set(["lastUpdateTimeStamp"], "yesterday"), "lastUpdateTimeStamp"),
        (_set(["locationComponent", 0, "locationByValue", "coordinates"], [-6.8, 134.0]), "coordinates"),
        (
            _set(["emergencyResourceComponent", 0, "emergencyResourceTypeText"], "tank"),
            "emergencyResourceType",
        ),
        (_set(["incidentComponent", "locationReference"], "#location9"), "names no component"),
        (_set(["surprise"], 1), "surprise"),
    ],
)
def test_eido_invalid_documents_are_refused(mutate: Any, message: str) -> None:
    doc = copy.deepcopy(eido.to_eido(incident()))
    mutate(doc)
    with pytest.raises(eido.EidoError, match=message):
        eido.validate(doc)


def test_cap_alert_is_valid_with_three_languages() -> None:
    xml = cap.incident_alert(incident(), sender="amane:op1", sent=T0)
    cap.validate(xml)
    root = etree.fromstring(xml)
    ns = {"c": cap.NS}
    assert [e.text for e in root.findall("c:info/c:language", ns)] == ["ar-MA", "fr-MA", "en-US"]
    assert root.findtext("c:sent", namespaces=ns) == "2026-05-01T22:14:03+00:00"
    headlines = [e.text or "" for e in root.findall("c:info/c:headline", ns)]
    assert "اعتداء جارٍ" in headlines[0] and "Agression en cours" in headlines[1] and "Assault" in headlines[2]
    assert root.findtext("c:info/c:area/c:circle", namespaces=ns) == "34.013500,-6.836000 0.3"
    assert {e.text for e in root.findall("c:info/c:severity", ns)} == {"Severe"}


@pytest.mark.parametrize(
    ("old", "new", "valid"),
    [
        (b"<status>Actual</status>", b"<status>Actual</status>", True),
        (b"<status>Actual</status>", b"<status>Real</status>", False),
        (b"<msgType>Alert</msgType>", b"", False),  # required element missing
        (b"+00:00</sent>", b"Z</sent>", False),  # CAP forbids the Z form
        (b"<urgency>Immediate</urgency>", b"<urgency>Now</urgency>", False),
        (b"<scope>Restricted</scope>", b"<scope>Private</scope>", True),
    ],
)
def test_cap_schema_table(old: bytes, new: bytes, valid: bool) -> None:
    xml = cap.incident_alert(incident(), sender="amane:op1", sent=T0)
    assert old in xml
    changed = xml.replace(old, new)
    if valid:
        cap.validate(changed)
    else:
        with pytest.raises(cap.CapError):
            cap.validate(changed)


def test_cap_refuses_non_xml() -> None:
    with pytest.raises(cap.CapError, match="not XML"):
        cap.validate(b"<alert")
