"""Running or abnormal speed: ground speed (m/s through the calibration) above a threshold."""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from amane.vision.behavior.geometry import Name
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, in_zone, of_classes


class SpeedConfig(RuleConfigBase):
    """Alarm when a track's smoothed ground speed stays above ``max_speed_mps``."""

    needs_calibration: ClassVar[bool] = True
    type: Literal["speed"] = "speed"
    zone: Name | None = Field(default=None, description="Only tracks in this zone (None: the whole image)")
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids watched"
    )
    max_speed_mps: float = Field(
        default=3.0, gt=0.0, le=100.0, description="Speed that raises the alarm (running people: about 3 m/s)"
    )
    ignore_above_mps: float = Field(
        default=12.0, gt=0.0, le=150.0, description="Faster than this is a tracking error, not motion"
    )
    window_s: float = Field(default=0.6, ge=0.2, le=10.0, description="Speed is the slope over this window")
    min_duration_s: float = Field(
        default=0.2, ge=0.0, le=30.0, description="How long the speed must stay above the threshold"
    )
    cooldown_s: float = Field(
        default=60.0, ge=0.0, le=86_400.0, description="Least time between two alarms for the same track"
    )

    @model_validator(mode="after")
    def _ordered(self) -> SpeedConfig:
        if self.ignore_above_mps <= self.max_speed_mps:
            raise ValueError("ignore_above_mps must be greater than max_speed_mps")
        return self

    def target(self) -> str | None:
        return self.zone


class SpeedRule(Rule[SpeedConfig]):
    """Remembers since when each identity has been over the threshold."""

    type = "speed"

    def __init__(self, config: SpeedConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._over_since: dict[int, float] = {}

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        out: dict[Hashable, Alarm] = {}
        watched = in_zone(scene, cfg.zone, of_classes(scene.visible, cfg.classes))
        for s in watched:
            speed = s.speed(cfg.window_s)
            if speed is None or not cfg.max_speed_mps <= speed <= cfg.ignore_above_mps:
                self._over_since.pop(s.identity, None)
                continue
            since = self._over_since.setdefault(s.identity, scene.t)
            if scene.t - since >= cfg.min_duration_s:
                out[(s.identity, cfg.zone)] = self.alarm(
                    scene,
                    f"Running: track {s.identity} at {speed:.1f} m/s",
                    [s],
                    zone=cfg.zone,
                    measured={"speed_mps": round(speed, 2), "over_s": round(scene.t - since, 2)},
                    thresholds={
                        "max_speed_mps": cfg.max_speed_mps,
                        "window_s": cfg.window_s,
                        "min_duration_s": cfg.min_duration_s,
                    },
                )
        seen = {s.identity for s in watched}
        visible = {s.identity for s in scene.visible}
        for ident in [
            i for i in self._over_since if i not in scene.tracks or (i in visible and i not in seen)
        ]:
            del self._over_since[ident]
        return out
