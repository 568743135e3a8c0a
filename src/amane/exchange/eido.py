"""NENA EIDO (Emergency Incident Data Object) JSON for an incident, checked against the schema shipped here.

Components reference each other by ``$id``: the incident points at its location, every resource
(unit) at the agency. Unit steps carry both the time the unit reported and the time the centre
received them. The timeline's other events become notes, corrections included, so a receiver sees
what was corrected and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from amane.center.dispatch.schemas import IncidentDetail

SCHEMA = Path(__file__).with_name("eido.schema.json")
AGENCY = {"id": "agency1", "identifier": "amane.police", "name": "amane police command centre"}
STATUS = {
    "open": "Open",
    "dispatched": "Dispatched",
    "on_scene": "OnScene",
    "cleared": "Cleared",
    "closed": "Closed",
    "merged": "Merged",
}
STEP = {
    "unit_dispatched": "Dispatched",
    "unit_acknowledged": "Acknowledged",
    "unit_en_route": "EnRoute",
    "unit_on_scene": "OnScene",
    "unit_cleared": "Cleared",
}
RESOURCE_STATE = {
    "dispatched": "Dispatched",
    "acknowledged": "Acknowledged",
    "en_route": "EnRoute",
    "on_scene": "OnScene",
    "cleared": "Cleared",
}


class EidoError(ValueError):
    """A document that does not follow the EIDO schema (the message names the path)."""


def _t(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in ".:_-" else "-" for c in text)


def to_eido(incident: IncidentDetail) -> dict[str, Any]:
    """The EIDO document of an incident with its timeline."""
    updated = max([incident.created_at, *(e.received_at for e in incident.timeline)])
    location: dict[str, Any] = {"$id": "location1", "locationTypeDescriptionRegistryText": "Incident"}
    if incident.location is not None:
        location["locationByValue"] = {
            "type": "Point",
            "coordinates": [incident.location.lon, incident.location.lat],
        }
    if incident.address:
        location["civicAddressText"] = incident.address
    calls: list[dict[str, Any]] = []
    answered = {e.details.get("call_id"): e.at for e in incident.timeline if e.kind == "call_answered"}
    for e in incident.timeline:
        if e.kind == "call_received":
            call_id = str(e.details.get("call_id") or f"{incident.number}-{e.seq}")
            call: dict[str, Any] = {
                "$id": f"call{len(calls) + 1}",
                "callTrackingIdentifier": f"urn:emergency:uid:callid:{_safe(call_id)}",
                "callStartTimeStamp": _t(e.at),
            }
            if call_id in answered:
                call["callAnswerTimeStamp"] = _t(answered[call_id])
            calls.append(call)
    resources = []
    for i, a in enumerate(incident.assignments, start=1):
        history = [
            {"status": STEP[e.kind], "timeStamp": _t(e.at), "receivedTimeStamp": _t(e.received_at)}
            for e in incident.timeline
            if e.kind in STEP and e.unit == a.unit
        ]
        resources.append(
            {
                "$id": f"resource{i}",
                "emergencyResourceIdentifier": a.unit,
                "emergencyResourceTypeText": a.kind
                if a.kind in ("car", "motorcycle", "drone")
                else "unknown",
                "emergencyResourceStatusRegistryText": RESOURCE_STATE.get(a.state, "Dispatched"),
                "agencyReference": f"#{AGENCY['id']}",
                "statusHistory": history,
            }
        )
    notes = [
        {
            "$id": f"note{e.seq}",
            "noteDateTimeStamp": _t(e.at),
            "noteAuthorText": e.actor,
            "noteTypeText": e.kind,
            "noteText": e.details.get("text")
            or e.details.get("disposition")
            or json.dumps(e.details, default=str),
        }
        for e in incident.timeline
        if e.kind not in STEP and e.kind not in ("call_received", "call_answered")
    ]
    component: dict[str, Any] = {
        "$id": "incident1",
        "incidentTrackingIdentifier": f"urn:emergency:uid:incidentid:{incident.id}:amane",
        "localIncidentIdentifier": incident.number,
        "lastUpdateTimeStamp": _t(updated),
        "incidentTypeCommonRegistryText": [incident.nature_code],
        "incidentStatusCommonRegistryText": [STATUS.get(incident.status, "Open")],
        "incidentPriorityText": f"P{incident.priority}",
        "locationReference": "#location1",
        "incidentCreationTimeStamp": _t(incident.created_at),
    }
    if incident.closed_at is not None:
        component["incidentClosedTimeStamp"] = _t(incident.closed_at)
    return {
        "$id": "eido1",
        "eidoMessageIdentifier": f"urn:emergency:uid:eidoid:{incident.id}:{int(updated.timestamp())}",
        "lastUpdateTimeStamp": _t(updated),
        "sendingSystem": "amane",
        "incidentComponent": component,
        "callComponent": calls,
        "locationComponent": [location],
        "agencyComponent": [
            {
                "$id": AGENCY["id"],
                "agencyIdentifier": AGENCY["identifier"],
                "agencyName": AGENCY["name"],
                "agencyRoleRegistryText": "Primary",
            }
        ],
        "emergencyResourceComponent": resources,
        "notesComponent": notes,
    }


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


def validate(document: dict[str, Any]) -> None:
    """Raise :class:`EidoError` unless ``document`` follows the schema (and its references resolve)."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise EidoError(f"{where}: {error.message}")
    ids = _ids(document)
    for ref in _refs(document):
        if ref[1:] not in ids:
            raise EidoError(f"reference {ref} names no component")


def _ids(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            found.add(node["$id"])
        for value in node.values():
            found |= _ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _ids(value)
    return found


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [v for k, v in node.items() if k.endswith("Reference") and isinstance(v, str)]
        return out + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
