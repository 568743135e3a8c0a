"""Behaviour rules: one file per rule, its config and its implementation.

``RuleConfig`` is the discriminated union of every rule's config (by ``type``);
:func:`build_rule` makes the rule object for one camera.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from amane.vision.behavior.rules.abandoned import AbandonedObjectConfig, AbandonedObjectRule
from amane.vision.behavior.rules.base import Alarm, AlarmGate, Rule, RuleConfigBase, Scene
from amane.vision.behavior.rules.crowd import CrowdConfig, CrowdRule
from amane.vision.behavior.rules.dispersal import DispersalConfig, DispersalRule
from amane.vision.behavior.rules.intrusion import IntrusionConfig, IntrusionRule, TimeWindow
from amane.vision.behavior.rules.line_crossing import LineCrossingConfig, LineCrossingRule
from amane.vision.behavior.rules.loitering import LoiteringConfig, LoiteringRule
from amane.vision.behavior.rules.person_down import PersonDownConfig, PersonDownRule
from amane.vision.behavior.rules.speed import SpeedConfig, SpeedRule
from amane.vision.behavior.rules.wrong_way import WrongWayConfig, WrongWayRule

RuleConfig = Annotated[
    IntrusionConfig
    | LineCrossingConfig
    | LoiteringConfig
    | SpeedConfig
    | CrowdConfig
    | DispersalConfig
    | AbandonedObjectConfig
    | PersonDownConfig
    | WrongWayConfig,
    Field(discriminator="type"),
]

RULES: dict[type[RuleConfigBase], type[Rule[Any]]] = {
    IntrusionConfig: IntrusionRule,
    LineCrossingConfig: LineCrossingRule,
    LoiteringConfig: LoiteringRule,
    SpeedConfig: SpeedRule,
    CrowdConfig: CrowdRule,
    DispersalConfig: DispersalRule,
    AbandonedObjectConfig: AbandonedObjectRule,
    PersonDownConfig: PersonDownRule,
    WrongWayConfig: WrongWayRule,
}
RULE_TYPES: tuple[str, ...] = tuple(cls.type for cls in RULES.values())
"""Every rule type name, in a fixed order."""


def build_rule(config: RuleConfigBase, camera_id: str) -> Rule[Any]:
    """The rule object for ``config`` on ``camera_id``.

    >>> rule = build_rule(LoiteringConfig(zone="door", dwell_s=20), "front")
    >>> rule.type, rule.name, rule.config.cooldown_s
    ('loitering', 'loitering:door', 300.0)
    """
    return RULES[type(config)](config, camera_id)


__all__ = [
    "RULES",
    "RULE_TYPES",
    "AbandonedObjectConfig",
    "Alarm",
    "AlarmGate",
    "CrowdConfig",
    "DispersalConfig",
    "IntrusionConfig",
    "LineCrossingConfig",
    "LoiteringConfig",
    "PersonDownConfig",
    "Rule",
    "RuleConfig",
    "RuleConfigBase",
    "Scene",
    "SpeedConfig",
    "TimeWindow",
    "WrongWayConfig",
    "build_rule",
]
