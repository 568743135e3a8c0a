"""Person down: a fall. The box goes from upright to lying within a second or so and stays there.

Each person keeps an *upright reference* (smoothed height and width/height aspect of its
recent upright boxes, following slow changes such as walking toward the camera). A box is
*down* when it is much wider relative to its height than the reference and either the head
dropped (lying along the view) or the box turned wide (lying across the view). A fall is a
change from the last upright box to down within ``max_fall_s``; lying down slowly is not.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from amane.core.messages import Severity
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, of_classes
from amane.vision.behavior.tracks import TrackState


class PersonDownConfig(RuleConfigBase):
    """Alarm when a person's box changes quickly from upright to lying and stays down."""

    type: Literal["person_down"] = "person_down"
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids watched"
    )
    max_fall_s: float = Field(
        default=1.2, ge=0.2, le=5.0, description="Longest time from the last upright box to a down box"
    )
    low_height_ratio: float = Field(
        default=0.6,
        gt=0.0,
        lt=1.0,
        description="Down (head dropped): height at most this fraction of upright ...",
    )
    low_min_flattening: float = Field(
        default=2.3, ge=1.0, le=100.0, description="... and flattening (w/w0)*(h0/h)^2 at least this"
    )
    max_height_ratio: float = Field(
        default=0.8,
        gt=0.0,
        lt=1.0,
        description="Down (flat box): height at most this fraction of upright ...",
    )
    min_flattening: float = Field(
        default=4.6, ge=1.0, le=100.0, description="... and flattening at least this"
    )
    upright_tolerance: float = Field(
        default=1.2,
        ge=1.0,
        le=3.0,
        description="Upright: aspect within this factor of the reference and height within its inverse",
    )
    smoothing: float = Field(
        default=0.3, gt=0.0, le=1.0, description="Weight of a new upright box in the reference"
    )
    min_down_s: float = Field(default=0.5, ge=0.0, le=600.0, description="How long the person must stay down")
    border_px: float = Field(
        default=3.0, ge=0.0, le=100.0, description="Boxes this close to the image edge are cut and ignored"
    )
    severity: Severity = Field(default=Severity.HIGH, description="Severity of the alerts")
    cooldown_s: float = Field(default=120.0, ge=0.0, le=86_400.0, description="Least time between two alarms")


@dataclass
class _Posture:
    height: float
    aspect: float
    upright_at: float
    down_since: float | None = None
    fell_s: float = 0.0


class PersonDownRule(Rule[PersonDownConfig]):
    """Follows each person's upright reference; a quick change to down starts the down state."""

    type = "person_down"

    def __init__(self, config: PersonDownConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._posture: dict[int, _Posture] = {}

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        out: dict[Hashable, Alarm] = {}
        for s in of_classes(scene.visible, cfg.classes):
            if self._cut(s, scene):
                continue
            x1, y1, x2, y2 = s.box
            h = max(y2 - y1, 1e-6)
            aspect = (x2 - x1) / h
            p = self._posture.get(s.identity)
            if p is None:
                self._posture[s.identity] = _Posture(h, aspect, scene.t)
                continue
            if self._upright(p, h, aspect):
                a = cfg.smoothing
                p.height, p.aspect = (1 - a) * p.height + a * h, (1 - a) * p.aspect + a * aspect
                p.upright_at, p.down_since = scene.t, None
                continue
            fall_s = (
                scene.t - p.upright_at
            )  # a fall hidden by an occlusion longer than max_fall_s is not called
            if p.down_since is None and self._down(p, h, aspect) and fall_s <= cfg.max_fall_s:
                p.down_since, p.fell_s = scene.t, fall_s
            if p.down_since is not None and scene.t - p.down_since >= cfg.min_down_s:
                lying = scene.t - p.down_since
                out[s.identity] = self.alarm(
                    scene,
                    f"Person down: track {s.identity} fell and stays down ({lying:.1f} s)",
                    [s],
                    measured={
                        "height_ratio": round(h / p.height, 3),
                        "aspect": round(aspect, 3),
                        "flattening": round(aspect / p.aspect * p.height / h, 2),
                        "upright_aspect": round(p.aspect, 3),
                        "fall_s": round(p.fell_s, 2),
                        "down_s": round(lying, 2),
                    },
                    thresholds={
                        "max_fall_s": cfg.max_fall_s,
                        "low_height_ratio": cfg.low_height_ratio,
                        "low_min_flattening": cfg.low_min_flattening,
                        "max_height_ratio": cfg.max_height_ratio,
                        "min_flattening": cfg.min_flattening,
                        "min_down_s": cfg.min_down_s,
                    },
                )
        for ident in [i for i in self._posture if i not in scene.tracks]:
            del self._posture[ident]
        return out

    def _upright(self, p: _Posture, h: float, aspect: float) -> bool:
        tol = self.config.upright_tolerance
        return aspect <= tol * p.aspect and h >= p.height / tol

    def _down(self, p: _Posture, h: float, aspect: float) -> bool:
        cfg = self.config
        ratio = h / p.height
        flat = (aspect / p.aspect) / ratio
        return (ratio <= cfg.low_height_ratio and flat >= cfg.low_min_flattening) or (
            ratio <= cfg.max_height_ratio and flat >= cfg.min_flattening
        )

    def _cut(self, s: TrackState, scene: Scene) -> bool:
        if scene.image_size is None:
            return False
        w, h = scene.image_size
        x1, y1, x2, y2 = s.box
        m = self.config.border_px
        return bool(x1 <= m or y1 <= m or x2 >= w - m or y2 >= h - m)
