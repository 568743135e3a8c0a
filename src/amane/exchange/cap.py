"""CAP 1.2 (OASIS Common Alerting Protocol) alerts with one ``info`` block per language.

:func:`build` writes any alert; :func:`incident_alert` the alert for a dispatch incident in Arabic,
French and English. :func:`validate` checks a document against the CAP 1.2 schema shipped here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Protocol

from lxml import etree

NS = "urn:oasis:names:tc:emergency:cap:1.2"
XSD = Path(__file__).with_name("cap-1.2.xsd")


class CapError(ValueError):
    """A document that is not valid CAP 1.2 (the message names the first problem and its line)."""


@dataclass(frozen=True)
class Info:
    """One language's ``info`` block."""

    language: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str = ""
    description: str = ""
    instruction: str = ""
    sender_name: str = ""
    area_desc: str = ""
    circle: tuple[float, float, float] | None = None  # lat, lon, radius km
    parameters: dict[str, str] = field(default_factory=dict)


def cap_time(value: datetime) -> str:
    """CAP's dateTime form: seconds, explicit offset, never ``Z``.

    >>> cap_time(datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC))
    '2026-01-02T03:04:05+00:00'
    """
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        node.text = text
    return node


def build(
    *,
    identifier: str,
    sender: str,
    sent: datetime,
    infos: list[Info],
    status: str = "Actual",
    msg_type: str = "Alert",
    scope: str = "Restricted",
    restriction: str = "",
    note: str = "",
    incidents: str = "",
) -> bytes:
    """A CAP 1.2 alert document (UTF-8 XML bytes). Order of elements follows the standard."""
    alert = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})
    for name, text in (
        ("identifier", identifier),
        ("sender", sender),
        ("sent", cap_time(sent)),
        ("status", status),
        ("msgType", msg_type),
        ("scope", scope),
    ):
        _sub(alert, name, text)
    if restriction:
        _sub(alert, "restriction", restriction)
    if note:
        _sub(alert, "note", note)
    if incidents:
        _sub(alert, "incidents", incidents)
    for info in infos:
        block = _sub(alert, "info")
        _sub(block, "language", info.language)
        _sub(block, "category", info.category)
        _sub(block, "event", info.event)
        for name in ("urgency", "severity", "certainty"):
            _sub(block, name, getattr(info, name))
        for name, text in (
            ("senderName", info.sender_name),
            ("headline", info.headline),
            ("description", info.description),
            ("instruction", info.instruction),
        ):
            if text:
                _sub(block, name, text)
        for key, value in info.parameters.items():
            pair = _sub(block, "parameter")
            _sub(pair, "valueName", key)
            _sub(pair, "value", value)
        if info.area_desc:
            area = _sub(block, "area")
            _sub(area, "areaDesc", info.area_desc)
            if info.circle:
                lat, lon, km = info.circle
                _sub(area, "circle", f"{lat:.6f},{lon:.6f} {km:g}")
    return bytes(etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def validate(document: bytes) -> None:
    """Raise :class:`CapError` unless ``document`` is valid CAP 1.2."""
    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError as err:
        raise CapError(f"not XML: {err}") from err
    schema = _schema()
    if not schema.validate(tree):
        first = schema.error_log[0]
        raise CapError(f"line {first.line}: {first.message}")


class IncidentLike(Protocol):
    id: uuid.UUID
    number: str
    nature_code: str
    priority: int
    status: str
    address: str
    region: str
    created_at: datetime

    @property
    def location(self) -> object: ...


SEVERITY = {1: "Severe", 2: "Moderate", 3: "Minor", 4: "Minor"}
URGENCY = {1: "Immediate", 2: "Immediate", 3: "Expected", 4: "Future"}
TEXT = {
    "en": (
        "Police incident: {label}",
        "Police incident {number} ({label}), priority {priority}{where}.",
        "Keep clear of the area and follow police instructions.",
        " at {address}",
    ),
    "fr": (
        "Intervention de police : {label}",
        "Intervention {number} ({label}), priorité {priority}{where}.",
        "Évitez le secteur et suivez les consignes de la police.",
        " au {address}",
    ),
    "ar": (
        "تدخل أمني: {label}",
        "تدخل رقم {number} ({label})، الأولوية {priority}{where}.",
        "يرجى الابتعاد عن المكان واتباع تعليمات الشرطة.",
        " في {address}",
    ),
}
LANGUAGE_TAGS = {"ar": "ar-MA", "fr": "fr-MA", "en": "en-US"}


def incident_alert(incident: IncidentLike, *, sender: str, sent: datetime | None = None) -> bytes:
    """The CAP alert for a dispatch incident: Arabic, French and English info blocks, circle of 300 m."""
    from amane.center.dispatch import natures

    nature = natures.get(incident.nature_code)
    loc = incident.location
    circle = (float(loc.lat), float(loc.lon), 0.3) if loc is not None else None  # type: ignore[attr-defined]
    infos = []
    for lang in ("ar", "fr", "en"):
        label = getattr(nature, lang) if nature else incident.nature_code
        headline, description, instruction, where = TEXT[lang]
        place = where.format(address=incident.address) if incident.address else ""
        infos.append(
            Info(
                language=LANGUAGE_TAGS[lang],
                category=nature.cap_category if nature else "Security",
                event=label,
                urgency=URGENCY.get(incident.priority, "Unknown"),
                severity=SEVERITY.get(incident.priority, "Unknown"),
                certainty="Observed" if incident.status in ("on_scene", "closed") else "Likely",
                headline=headline.format(label=label),
                description=description.format(
                    number=incident.number, label=label, priority=incident.priority, where=place
                ),
                instruction=instruction,
                sender_name="amane",
                area_desc=incident.address or incident.region or incident.number,
                circle=circle,
                parameters={"incidentNumber": incident.number, "priority": f"P{incident.priority}"},
            )
        )
    return build(
        identifier=f"amane-{incident.id}",
        sender=sender.replace(" ", "_"),
        sent=sent or datetime.now(UTC),
        infos=infos,
        restriction="Police units and partner agencies",
        incidents=incident.number,
    )
