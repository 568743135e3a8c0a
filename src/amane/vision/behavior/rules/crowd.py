"""Crowd forming: the number (or density) of people in a zone rises above a level and stays."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

from pydantic import Field, model_validator

from amane.core.messages import Severity
from amane.vision.behavior.geometry import Name
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, in_zone, of_classes


class CrowdConfig(RuleConfigBase):
    """Alarm when at least ``min_count`` people (and/or ``min_density_per_m2``) stay in a zone.

    When both are given, both must hold. Density needs a ground calibration (zone area in m²).
    """

    type: Literal["crowd"] = "crowd"
    zone: Name = Field(description="The zone watched")
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids counted"
    )
    min_count: int | None = Field(default=8, ge=2, le=10_000, description="Head count that raises the alarm")
    min_density_per_m2: float | None = Field(
        default=None, gt=0.0, le=10.0, description="People per square metre that raises the alarm"
    )
    sustain_s: float = Field(default=0.5, ge=0.0, le=600.0, description="How long the level must hold")
    hold_s: float = Field(
        default=0.4,
        ge=0.0,
        le=5.0,
        description="A person missed by the detector for less than this still counts",
    )
    severity: Severity = Field(default=Severity.MEDIUM, description="Severity of the alerts")
    cooldown_s: float = Field(default=120.0, ge=0.0, le=86_400.0, description="Least time between two alarms")
    rearm_s: float = Field(
        default=5.0,
        ge=0.0,
        le=600.0,
        description="How long the count must stay below the level before it can alarm again",
    )

    @model_validator(mode="after")
    def _a_level(self) -> CrowdConfig:
        if self.min_count is None and self.min_density_per_m2 is None:
            raise ValueError("crowd: give min_count, min_density_per_m2 or both")
        return self

    @property
    def needs_ground(self) -> bool:
        """Whether the rule measures density (needs a calibration)."""
        return self.min_density_per_m2 is not None

    def target(self) -> str | None:
        return self.zone


class CrowdRule(Rule[CrowdConfig]):
    """Counts identities seen in the zone within the last ``hold_s``."""

    type = "crowd"

    def __init__(self, config: CrowdConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._last_inside: dict[int, float] = {}
        self._above_since: float | None = None
        self._area_m2: float | None = None

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        watched = of_classes(scene.visible, cfg.classes)
        inside = {s.identity for s in in_zone(scene, cfg.zone, watched)}
        for s in watched:
            if s.identity in inside:
                self._last_inside[s.identity] = scene.t
            else:
                self._last_inside.pop(s.identity, None)
        self._last_inside = {
            i: t for i, t in self._last_inside.items() if scene.t - t <= cfg.hold_s and i in scene.tracks
        }
        count = len(self._last_inside)
        density = self._density(scene, count)
        above = (cfg.min_count is None or count >= cfg.min_count) and (
            cfg.min_density_per_m2 is None or (density is not None and density >= cfg.min_density_per_m2)
        )
        if not above:
            self._above_since = None
            return {}
        if self._above_since is None:
            self._above_since = scene.t
        if scene.t - self._above_since < cfg.sustain_s:
            return {}
        members = [scene.tracks[i] for i in sorted(self._last_inside)]
        measured: dict[str, object] = {"count": count, "above_s": round(scene.t - self._above_since, 2)}
        if density is not None:
            measured["density_per_m2"] = round(density, 3)
        return {
            cfg.zone: self.alarm(
                scene,
                f"Crowd: {count} people in '{cfg.zone}'",
                members,
                zone=cfg.zone,
                measured=measured,
                thresholds={
                    "min_count": cfg.min_count,
                    "min_density_per_m2": cfg.min_density_per_m2,
                    "sustain_s": cfg.sustain_s,
                },
            )
        }

    def _density(self, scene: Scene, count: int) -> float | None:
        if scene.calibration is None:
            return None
        if self._area_m2 is None:
            self._area_m2 = scene.calibration.ground_area(scene.zones[self.config.zone].vertices)
        if not self._area_m2 > 0:
            return None
        return count / self._area_m2
