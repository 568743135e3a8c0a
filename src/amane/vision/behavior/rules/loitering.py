"""Loitering: an identity stays in a zone longer than a dwell time (occlusions and id switches
do not restart the clock: identities are stitched by the track book)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

from pydantic import Field

from amane.vision.behavior.geometry import Name
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, in_zone, of_classes


class LoiteringConfig(RuleConfigBase):
    """Alarm when a track dwells in a zone for more than ``dwell_s`` seconds."""

    type: Literal["loitering"] = "loitering"
    zone: Name = Field(description="The zone watched")
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids watched"
    )
    dwell_s: float = Field(default=30.0, ge=1.0, le=86_400.0, description="Dwell time that raises the alarm")
    exit_grace_s: float = Field(
        default=3.0,
        ge=0.0,
        le=600.0,
        description="Absences (outside or unseen) shorter than this keep the clock",
    )
    cooldown_s: float = Field(
        default=300.0,
        ge=0.0,
        le=86_400.0,
        description="Least time between two alarms for the same track and zone",
    )

    def target(self) -> str | None:
        return self.zone


class LoiteringRule(Rule[LoiteringConfig]):
    """Keeps, per identity, when it entered and when it was last seen inside."""

    type = "loitering"

    def __init__(self, config: LoiteringConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._stint: dict[int, tuple[float, float]] = {}
        """identity -> (entered, last seen inside)."""

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        out: dict[Hashable, Alarm] = {}
        for s in in_zone(scene, cfg.zone, of_classes(scene.visible, cfg.classes)):
            entered, last = self._stint.get(s.identity, (scene.t, scene.t))
            if scene.t - last > cfg.exit_grace_s:
                entered = scene.t
            self._stint[s.identity] = (entered, scene.t)
            dwell = scene.t - entered
            if dwell >= cfg.dwell_s:
                out[(s.identity, cfg.zone)] = self.alarm(
                    scene,
                    f"Loitering: track {s.identity} in '{cfg.zone}' for {dwell:.0f} s",
                    [s],
                    zone=cfg.zone,
                    measured={"dwell_s": round(dwell, 2), "entered_t": round(entered, 2)},
                    thresholds={"dwell_s": cfg.dwell_s, "exit_grace_s": cfg.exit_grace_s},
                )
        for ident in [
            i
            for i, (_, last) in self._stint.items()
            if i not in scene.tracks or scene.t - last > cfg.exit_grace_s
        ]:
            del self._stint[ident]
        return out
