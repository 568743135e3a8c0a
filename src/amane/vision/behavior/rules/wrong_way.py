"""Wrong-way vehicle: motion in a lane against its allowed direction of travel."""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from amane.core.messages import Severity
from amane.vision.behavior.geometry import Name, Point
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, in_zone, of_classes


class WrongWayConfig(RuleConfigBase):
    """Alarm when a vehicle in ``zone`` moves against ``direction`` (two image points, from -> to)."""

    needs_calibration: ClassVar[bool] = True
    type: Literal["wrong_way"] = "wrong_way"
    zone: Name = Field(description="The lane")
    direction: tuple[Point, Point] = Field(
        description="Allowed direction of travel: two image points, from -> to"
    )
    classes: list[int] = Field(
        default_factory=lambda: [2, 3, 5, 7],
        min_length=1,
        description="COCO class ids watched (car, motorcycle, bus, truck)",
    )
    min_speed_mps: float = Field(default=1.5, gt=0.0, le=100.0, description="Slower motion is ignored")
    min_angle_deg: float = Field(
        default=120.0,
        ge=90.0,
        le=180.0,
        description="Angle to the allowed direction beyond which motion is wrong-way",
    )
    window_s: float = Field(
        default=0.8, ge=0.2, le=10.0, description="Velocity is the slope over this window"
    )
    min_duration_s: float = Field(default=0.2, ge=0.0, le=60.0, description="How long the motion must last")
    severity: Severity = Field(default=Severity.HIGH, description="Severity of the alerts")
    cooldown_s: float = Field(default=120.0, ge=0.0, le=86_400.0, description="Least time between two alarms")

    @field_validator("direction")
    @classmethod
    def _distinct(cls, value: tuple[Point, Point]) -> tuple[Point, Point]:
        if np.hypot(value[1][0] - value[0][0], value[1][1] - value[0][1]) < 1.0:
            raise ValueError("direction points must be at least 1 pixel apart")
        return value

    def target(self) -> str | None:
        return self.zone


class WrongWayRule(Rule[WrongWayConfig]):
    """Compares each vehicle's ground velocity with the lane direction mapped to the ground."""

    type = "wrong_way"

    def __init__(self, config: WrongWayConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._against_since: dict[int, float] = {}
        self._allowed: np.ndarray | None = None

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        allowed = self._direction(scene)
        cos_limit = float(np.cos(np.radians(cfg.min_angle_deg)))
        out: dict[Hashable, Alarm] = {}
        watched = in_zone(scene, cfg.zone, of_classes(scene.visible, cfg.classes))
        for s in watched:
            v = s.velocity(cfg.window_s)
            speed = 0.0 if v is None else float(np.hypot(*v))
            cos = float(v @ allowed) / speed if v is not None and speed > 0 else 1.0
            if speed < cfg.min_speed_mps or cos > cos_limit:
                self._against_since.pop(s.identity, None)
                continue
            since = self._against_since.setdefault(s.identity, scene.t)
            if scene.t - since >= cfg.min_duration_s:
                angle = float(np.degrees(np.arccos(np.clip(cos, -1, 1))))
                out[(s.identity, cfg.zone)] = self.alarm(
                    scene,
                    f"Wrong way: track {s.identity} against the traffic in '{cfg.zone}'",
                    [s],
                    zone=cfg.zone,
                    measured={"speed_mps": round(speed, 2), "angle_deg": round(angle, 1)},
                    thresholds={"min_speed_mps": cfg.min_speed_mps, "min_angle_deg": cfg.min_angle_deg},
                )
        seen = {s.identity for s in watched}
        visible = {s.identity for s in scene.visible}
        for ident in [
            i for i in self._against_since if i not in scene.tracks or (i in visible and i not in seen)
        ]:
            del self._against_since[ident]
        return out

    def _direction(self, scene: Scene) -> np.ndarray:
        if self._allowed is None:
            assert scene.calibration is not None  # checked when the camera config is validated
            g = scene.calibration.to_ground(np.asarray(self.config.direction, dtype=np.float64))
            d = g[1] - g[0]
            self._allowed = d / max(float(np.hypot(*d)), 1e-9)
        return self._allowed
