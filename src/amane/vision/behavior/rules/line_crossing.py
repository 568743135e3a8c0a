"""Line crossing: a track's foot point crosses a directed line, in a given direction; counted."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np
from pydantic import Field

from amane.core.messages import Severity
from amane.vision.behavior.geometry import Name
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, of_classes


class LineCrossingConfig(RuleConfigBase):
    """Alarm (and count) when a track crosses a line.

    The line runs from A to B; its *positive* side is to the right of A -> B as drawn on the image.
    ``direction: positive`` alarms on crossings from the negative to the positive side.
    """

    type: Literal["line_crossing"] = "line_crossing"
    line: Name = Field(description="The line watched")
    direction: Literal["any", "positive", "negative"] = Field(
        default="any",
        description="Which crossings alarm: toward the positive side, the negative side, or any",
    )
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids watched"
    )
    hysteresis_px: float = Field(
        default=4.0,
        ge=0.0,
        le=100.0,
        description="A side counts only this many pixels away from the line (jitter)",
    )
    severity: Severity = Field(default=Severity.LOW, description="Severity of the alerts")
    cooldown_s: float = Field(
        default=2.0, ge=0.0, le=86_400.0, description="Least time between two alarms for the same track"
    )
    rearm_s: float = Field(
        default=0.0, ge=0.0, le=600.0, description="Crossings are instants: re-arm at once"
    )

    def target(self) -> str | None:
        return self.line


class LineCrossingRule(Rule[LineCrossingConfig]):
    """Tracks the last clear side of each identity; a change of side across the segment is a crossing."""

    type = "line_crossing"

    def __init__(self, config: LineCrossingConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._side: dict[int, tuple[float, np.ndarray]] = {}
        self.counts = {"positive": 0, "negative": 0}
        """Crossings per direction (a track flickering across the line counts once per ``cooldown_s``)."""
        self._counted: dict[int, float] = {}

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        line = scene.lines[cfg.line]
        watched = of_classes(scene.visible, cfg.classes)
        out: dict[Hashable, Alarm] = {}
        if watched:
            feet = scene.feet(watched)
            sides = line.side(feet)
            for s, foot, side in zip(watched, feet, sides, strict=True):
                crossed = self._crossing(s.identity, foot, float(side), line)
                if crossed is None or scene.t - self._counted.get(s.identity, -np.inf) < cfg.cooldown_s:
                    continue
                self._counted[s.identity] = scene.t
                self.counts[crossed] += 1
                if cfg.direction in ("any", crossed):
                    out[(s.identity, cfg.line)] = self.alarm(
                        scene,
                        f"Line crossing: track {s.identity} crossed '{cfg.line}' ({crossed})",
                        [s],
                        zone=cfg.line,
                        measured={"direction": crossed, "counts": dict(self.counts)},
                        thresholds={"direction": cfg.direction, "hysteresis_px": cfg.hysteresis_px},
                    )
        for ident in [i for i in self._side if i not in scene.tracks]:
            del self._side[ident]
            self._counted.pop(ident, None)
        return out

    def _crossing(self, ident: int, foot: np.ndarray, side: float, line: object) -> str | None:
        if abs(side) < self.config.hysteresis_px:
            return None
        prev = self._side.get(ident)
        self._side[ident] = (side, foot)
        if prev is None or np.sign(prev[0]) == np.sign(side):
            return None
        p0 = prev[1]
        frac = prev[0] / (prev[0] - side)
        hit = p0 + frac * (foot - p0)
        along = float(line.along(hit[None, :])[0])  # type: ignore[attr-defined]
        if not -0.02 <= along <= 1.02:
            return None
        return "positive" if side > 0 else "negative"
