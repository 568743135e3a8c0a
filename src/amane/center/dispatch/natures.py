"""The call-type table: nature codes, their default priority, labels in three languages, CAP category.

Priority 1 is an immediate threat to life (lights and siren), 2 an urgent crime or danger, 3 a prompt
but not urgent call, 4 a report that can wait. Response-time targets per priority live in ``kpi``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Nature:
    """One call type."""

    code: str
    priority: int
    en: str
    fr: str
    ar: str
    cap_category: str = "Security"

    @property
    def family(self) -> str:
        """Call types of one family at the same place and time likely report the same event."""
        return FAMILY_OF.get(self.code, self.code)


NATURES: tuple[Nature, ...] = (
    Nature("ASSAULT_IN_PROGRESS", 1, "Assault in progress", "Agression en cours", "اعتداء جارٍ"),
    Nature("ARMED_ROBBERY", 1, "Armed robbery", "Vol à main armée", "سرقة مسلحة"),
    Nature("SHOTS_FIRED", 1, "Shots fired", "Coups de feu", "إطلاق نار"),
    Nature(
        "TRAFFIC_INJURY",
        1,
        "Traffic accident with injuries",
        "Accident avec blessés",
        "حادثة سير بإصابات",
        "Transport",
    ),
    Nature("DOMESTIC_VIOLENCE", 1, "Domestic violence", "Violence conjugale", "عنف أسري"),
    Nature("OFFICER_NEEDS_HELP", 1, "Officer needs assistance", "Agent en difficulté", "شرطي يطلب المساعدة"),
    Nature("KIDNAPPING", 1, "Abduction", "Enlèvement", "اختطاف"),
    Nature("FIGHT", 2, "Fight", "Rixe", "شجار"),
    Nature("BURGLARY", 2, "Burglary", "Cambriolage", "سطو على منزل"),
    Nature("THEFT_IN_PROGRESS", 2, "Theft in progress", "Vol en cours", "سرقة جارية"),
    Nature("VEHICLE_THEFT", 2, "Vehicle theft", "Vol de véhicule", "سرقة سيارة"),
    Nature("MISSING_PERSON", 2, "Missing person", "Personne disparue", "شخص مفقود", "Rescue"),
    Nature("SUSPICIOUS_PERSON", 2, "Suspicious person", "Individu suspect", "شخص مشبوه"),
    Nature(
        "TRAFFIC_NO_INJURY",
        3,
        "Traffic accident, no injuries",
        "Accident sans blessés",
        "حادثة سير بدون إصابات",
        "Transport",
    ),
    Nature("VANDALISM", 3, "Vandalism", "Dégradation", "تخريب"),
    Nature("DISTURBANCE", 3, "Public disturbance", "Trouble à l'ordre public", "إخلال بالنظام العام"),
    Nature("NOISE", 3, "Noise complaint", "Tapage", "إزعاج وضوضاء"),
    Nature("TRAFFIC_HAZARD", 3, "Traffic hazard", "Danger sur la chaussée", "خطر على الطريق", "Transport"),
    Nature("LOST_PROPERTY", 4, "Lost property", "Objet perdu", "أغراض مفقودة", "Other"),
    Nature("PARKING", 4, "Parking complaint", "Stationnement gênant", "وقوف مخالف", "Transport"),
    Nature("INFORMATION", 4, "Information request", "Demande de renseignements", "طلب معلومات", "Other"),
)
FAMILIES: dict[str, tuple[str, ...]] = {
    "violence": (
        "ASSAULT_IN_PROGRESS",
        "SHOTS_FIRED",
        "DOMESTIC_VIOLENCE",
        "OFFICER_NEEDS_HELP",
        "KIDNAPPING",
        "FIGHT",
    ),
    "theft": ("ARMED_ROBBERY", "BURGLARY", "THEFT_IN_PROGRESS", "VEHICLE_THEFT"),
    "traffic": ("TRAFFIC_INJURY", "TRAFFIC_NO_INJURY", "TRAFFIC_HAZARD", "PARKING"),
    "disorder": ("DISTURBANCE", "NOISE", "VANDALISM", "SUSPICIOUS_PERSON"),
}
FAMILY_OF: dict[str, str] = {code: family for family, codes in FAMILIES.items() for code in codes}
BY_CODE: dict[str, Nature] = {n.code: n for n in NATURES}


def same_family(code: str) -> tuple[str, ...]:
    """The call types that may describe the same event as ``code`` (itself included).

    >>> same_family("FIGHT")[:2], same_family("LOST_PROPERTY")
    (('ASSAULT_IN_PROGRESS', 'SHOTS_FIRED'), ('LOST_PROPERTY',))
    """
    nature = get(code)
    if nature is None:
        return (code,)
    return tuple(n.code for n in NATURES if n.family == nature.family)


def get(code: str) -> Nature | None:
    """The call type of ``code`` (case-insensitive), or None."""
    return BY_CODE.get(code.strip().upper())
