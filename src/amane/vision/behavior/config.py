"""Behaviour configuration: per camera, its zones, lines, ground calibration and rules.

>>> cfg = BehaviorConfig.model_validate({"cameras": {"front": {
...     "zones": [{"id": "door", "polygon": [[0, 0], [100, 0], [100, 100], [0, 100]]}],
...     "rules": [{"type": "loitering", "zone": "door", "dwell_s": 20}]}}})
>>> cfg.cameras["front"].rules[0].name("loitering")
'loitering:door'
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from amane.core.errors import ConfigError
from amane.vision.behavior.calibration import CalibrationConfig
from amane.vision.behavior.geometry import LineConfig, ZoneConfig
from amane.vision.behavior.rules import RuleConfig, RuleConfigBase
from amane.vision.behavior.tracks import StitchConfig


class CameraBehaviorConfig(BaseModel):
    """The behaviour rules of one camera."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zones: list[ZoneConfig] = Field(default_factory=list, description="Named polygons in image pixels")
    lines: list[LineConfig] = Field(
        default_factory=list, description="Named directed segments in image pixels"
    )
    calibration: CalibrationConfig | None = Field(
        default=None, description="Ground plane (needed by rules measuring metres)"
    )
    image_size: tuple[int, int] | None = Field(
        default=None, description="(width, height) of the frames, for edge checks when frames are not passed"
    )
    stitch: StitchConfig = Field(default_factory=StitchConfig, description="Identity re-association")
    rules: list[RuleConfig] = Field(default_factory=list, description="The rules, each with a 'type'")

    @model_validator(mode="after")
    def _references(self) -> CameraBehaviorConfig:
        check_references(self)
        return self


def check_references(camera: CameraBehaviorConfig) -> None:
    """Unique names; every rule's zone or line exists; metric rules have a calibration."""
    zones = [z.id for z in camera.zones]
    lines = [ln.id for ln in camera.lines]
    for kind, names in (("zone", zones), ("line", lines)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate {kind} ids: {dupes}")
    rule_names: list[str] = []
    for rule in camera.rules:
        rtype = rule.type
        zone = getattr(rule, "zone", None)
        if zone is not None and zone not in zones:
            raise ValueError(f"rule {rtype}: zone {zone!r} is not defined (zones: {zones})")
        line = getattr(rule, "line", None)
        if line is not None and line not in lines:
            raise ValueError(f"rule {rtype}: line {line!r} is not defined (lines: {lines})")
        if camera.calibration is None and _needs_ground(rule):
            raise ValueError(f"rule {rtype} measures metres: the camera needs a 'calibration'")
        rule_names.append(rule.name(rtype))
    dupes = sorted({n for n in rule_names if rule_names.count(n) > 1})
    if dupes:
        raise ValueError(f"two rules share the name {dupes}: give them distinct 'id's")


def _needs_ground(rule: RuleConfigBase) -> bool:
    return rule.needs_calibration or bool(getattr(rule, "needs_ground", False))


class BehaviorConfig(BaseModel):
    """Behaviour rules for every camera of a unit, by camera id."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cameras: dict[str, CameraBehaviorConfig] = Field(
        default_factory=dict, description="Camera id -> its zones, lines and rules"
    )


class BehaviorConfigError(ConfigError):
    """A behaviour config file that cannot be used (the message names the file and the key)."""


def load_behavior_config(path: str | Path) -> BehaviorConfig:
    """Read a YAML file into a :class:`BehaviorConfig`; errors name the file and the key path."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise BehaviorConfigError(f"{path}: {err}") from err
    try:
        return BehaviorConfig.model_validate(raw or {})
    except ValidationError as err:
        lines = [f"{path}: " + ".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in err.errors()]
        raise BehaviorConfigError("\n".join(lines)) from err
