"""Sudden dispersal: many people who were just in a zone leave it at speed, away from each other."""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from amane.core.messages import Severity
from amane.vision.behavior.geometry import Name
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, in_zone, of_classes


class DispersalConfig(RuleConfigBase):
    """Alarm when at least ``min_tracks`` people seen in the zone within ``lookback_s`` move outward
    (away from where the group stood) faster than ``min_speed_mps`` at the same time."""

    needs_calibration: ClassVar[bool] = True
    type: Literal["dispersal"] = "dispersal"
    zone: Name = Field(description="Where the group stands")
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids watched"
    )
    min_tracks: int = Field(default=4, ge=2, le=1000, description="How many must flee at once")
    min_speed_mps: float = Field(default=2.5, gt=0.0, le=20.0, description="Fleeing speed")
    lookback_s: float = Field(
        default=5.0, ge=0.5, le=120.0, description="A track counts if it was in the zone this recently"
    )
    window_s: float = Field(default=0.8, ge=0.2, le=10.0, description="Speed is the slope over this window")
    min_outward_cos: float = Field(
        default=0.3,
        ge=-1.0,
        le=1.0,
        description="Cosine between motion and the direction away from the group",
    )
    severity: Severity = Field(default=Severity.HIGH, description="Severity of the alerts")
    cooldown_s: float = Field(default=60.0, ge=0.0, le=86_400.0, description="Least time between two alarms")

    def target(self) -> str | None:
        return self.zone


class DispersalRule(Rule[DispersalConfig]):
    """Remembers where each identity last stood in the zone; counts those now fleeing outward."""

    type = "dispersal"

    def __init__(self, config: DispersalConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._in_zone: dict[int, tuple[float, np.ndarray]] = {}
        """identity -> (last time in the zone, ground position then)."""

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        watched = of_classes(scene.visible, cfg.classes)
        for s in in_zone(scene, cfg.zone, watched):
            if not np.isnan(s.ground).any():
                self._in_zone[s.identity] = (scene.t, s.ground.copy())
        self._in_zone = {
            i: v for i, v in self._in_zone.items() if scene.t - v[0] <= cfg.lookback_s and i in scene.tracks
        }
        if len(self._in_zone) < cfg.min_tracks:
            return {}
        centre = np.mean([g for _, g in self._in_zone.values()], axis=0)
        fleeing = []
        speeds = []
        for s in watched:
            if s.identity not in self._in_zone:
                continue
            v = s.velocity(cfg.window_s)
            if v is None:
                continue
            speed = float(np.hypot(*v))
            away = s.ground - centre
            dist = float(np.hypot(*away))
            cos = float(v @ away) / (speed * dist) if speed > 0 and dist > 0.3 else 1.0
            if speed >= cfg.min_speed_mps and cos >= cfg.min_outward_cos:
                fleeing.append(s)
                speeds.append(speed)
        if len(fleeing) < cfg.min_tracks:
            return {}
        return {
            cfg.zone: self.alarm(
                scene,
                f"Sudden dispersal: {len(fleeing)} people fleeing '{cfg.zone}'",
                fleeing,
                zone=cfg.zone,
                measured={
                    "fleeing": len(fleeing),
                    "group": len(self._in_zone),
                    "median_speed_mps": round(float(np.median(speeds)), 2),
                },
                thresholds={
                    "min_tracks": cfg.min_tracks,
                    "min_speed_mps": cfg.min_speed_mps,
                    "min_outward_cos": cfg.min_outward_cos,
                },
            )
        }
