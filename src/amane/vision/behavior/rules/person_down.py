"""Person down: a fall. The head comes down fast, close to the ground, and stays there.

Boxes are denoised first (the per-coordinate median of the person's boxes over ``median_s``).

*Stature.* With a ground calibration, a box's height over its foot point's distance below the
horizon hardly changes while a person walks nearer or farther, and drops when they get lower
(without one, the pixel height stands in). The person's *standing height* at any foot row is the
high (80th percentile) of their statures over ``stature_window_s`` scaled to that row: anchored to
the recent high, it creeps down neither with a slow lie-down nor with the first frames of a fall.

*Upright*: aspect within ``upright_tolerance`` of the smoothed upright aspect a0 and stature at
least 1/tolerance of standing. The fall is measured from the upright frame ``lookback_s`` before
the last one (a body toppling away from or toward a steep camera still looks upright at first).

*Down*, against that reference (standing height H, bottom row):

- the head came down by ``min_head_drop`` x H or more: the stature lost, plus the box bottom's move
  toward the camera beyond the walking pace measured before the reference (a body falling toward
  the camera brings its head, now the box bottom, closer). Squatting, bending or sitting on a seat
  bring the head down by about a third of the standing height, lying brings it to the ground;
- the stature is no longer a standing one (below 1/tolerance: a runner's box also moves fast);
- the box flattened: (a/a0) / (h/H) >= ``min_flattening`` (a lying body is wider per height);
- the bottom rose by at most ``max_bottom_rise`` x H (a box cut from below is an occlusion).

A fall is a change from the last upright frame to down within ``max_fall_s``: sitting or lying
down on purpose takes longer. It alarms once the person has been down for ``min_down_s`` on at
least ``min_down_fraction`` of the frames since (a noisy frame neither starts nor ends it).

What boxes cannot tell: a body lying away from a steep camera, close to it, with the feet where
they stood, has about the box of a squat or of someone sitting on the ground (the head lands
farther away, so higher in the image); a pose model would separate them (docs/behavior.md).

>>> cfg = PersonDownConfig()
>>> ref = _Posture(height=100.0, aspect=0.35, bottom=300.0, upright_at=0.0)
>>> squat = (0.0, 232.0, 60.0, 300.0)  # head down by a third, wider
>>> lying = (0.0, 250.0, 80.0, 320.0)  # along the view: the head down by half, the bottom closer
>>> cut = (0.0, 200.0, 35.0, 245.0)  # the legs hidden behind a car
>>> [_cues(ref, b).down(cfg) for b in (squat, lying, cut)]
[False, True, False]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import Field

from amane.core.detections import FloatArray
from amane.core.messages import Severity
from amane.vision.behavior.calibration import GroundCalibration
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, of_classes
from amane.vision.behavior.tracks import TrackState

Box = tuple[float, float, float, float]
PACE_S = 0.5
"""Seconds of upright frames over which the walking pace of the box bottom is measured."""


class PersonDownConfig(RuleConfigBase):
    """Alarm when a person's head comes down fast, close to the ground, and the person stays down."""

    type: Literal["person_down"] = "person_down"
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids watched"
    )
    max_fall_s: float = Field(
        default=0.8,
        ge=0.2,
        le=5.0,
        description="Longest time from the last upright box to a down box (sitting down takes longer)",
    )
    min_head_drop: float = Field(
        default=0.4,
        gt=0.0,
        lt=1.0,
        description="Down: the head came down by at least this fraction of the standing height ...",
    )
    min_flattening: float = Field(
        default=1.3,
        ge=1.0,
        le=100.0,
        description="... the flattening (a / a0) / (h / h0) is at least this",
    )
    max_bottom_rise: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="... and the box bottom rose by at most this fraction of the standing height",
    )
    upright_tolerance: float = Field(
        default=1.2,
        ge=1.0,
        le=3.0,
        description="Upright: aspect within this factor of the upright aspect, stature at least its inverse",
    )
    smoothing: float = Field(
        default=0.3, gt=0.0, le=1.0, description="Weight of a new upright box in the upright aspect"
    )
    stature_window_s: float = Field(
        default=3.0,
        ge=0.5,
        le=30.0,
        description="Standing height: the high (80th percentile) of the stature over this window",
    )
    lookback_s: float = Field(
        default=0.3,
        ge=0.0,
        le=2.0,
        description="The fall is measured from the upright frame this long before the last one",
    )
    median_s: float = Field(
        default=0.25, ge=0.0, le=2.0, description="Boxes are the per-coordinate median over this window"
    )
    min_down_s: float = Field(default=0.5, ge=0.0, le=600.0, description="How long the person must stay down")
    min_down_fraction: float = Field(
        default=0.7, gt=0.0, le=1.0, description="Share of the frames since the fall that must be down"
    )
    border_px: float = Field(
        default=3.0, ge=0.0, le=100.0, description="Boxes this close to the image edge are cut and ignored"
    )
    severity: Severity = Field(default=Severity.HIGH, description="Severity of the alerts")
    cooldown_s: float = Field(default=120.0, ge=0.0, le=86_400.0, description="Least time between two alarms")


@dataclass
class _Posture:
    """A person's upright reference and down state."""

    height: float
    """Standing height (px) at the foot row of the reference box."""
    aspect: float
    """Smoothed width/height of the upright boxes."""
    bottom: float
    """Bottom row of the reference box: the standing top is ``bottom - height``."""
    upright_at: float
    down_since: float | None = None
    fell_s: float = 0.0
    frames: int = 0
    down_frames: int = 0
    ref_t: float = 0.0
    """Time of the reference box."""
    pace: float = 0.0
    """Rows per second the box bottom moved over the upright frames before the reference (walking)."""
    upright: deque[tuple[float, float, float]] = field(default_factory=deque)
    """Recent upright frames: (time, standing height, bottom row)."""

    def update_upright(self, box: Box, standing: float, t: float, weight: float, lookback_s: float) -> None:
        """Record an upright box (and the standing height at its foot row). The reference becomes
        the upright frame ``lookback_s`` before this one (a fall's first moments still look upright),
        and the walking pace is measured over the ``PACE_S`` before that."""
        h = max(box[3] - box[1], 1e-6)
        self.aspect = (1 - weight) * self.aspect + weight * (box[2] - box[0]) / h
        if self.upright and t - self.upright[-1][0] > PACE_S:
            self.upright.clear()  # unseen or not upright for a while: the older frames are stale
        self.upright.append((t, standing, box[3]))
        while len(self.upright) > 1 and self.upright[1][0] <= t - lookback_s - PACE_S:
            self.upright.popleft()
        ref = next((u for u in reversed(self.upright) if u[0] <= t - lookback_s), self.upright[0])
        self.ref_t, self.height, self.bottom = ref
        first = self.upright[0]
        self.pace = (ref[2] - first[2]) / (ref[0] - first[0]) if ref[0] - first[0] >= PACE_S / 2 else 0.0
        self.upright_at, self.down_since = t, None


@dataclass(frozen=True)
class _Cues:
    """One box measured against the upright reference."""

    height_ratio: float
    aspect_ratio: float
    head_drop: float
    bottom_rise: float
    stature_ratio: float = 1.0
    """Stature now over its recent high (see :func:`statures`)."""

    @property
    def flattening(self) -> float:
        """(a / a0) / (h / h0): how much wider per height the box became."""
        return self.aspect_ratio / self.height_ratio

    def upright(self, cfg: PersonDownConfig) -> bool:
        """Shape and head height still those of the upright reference."""
        tol = cfg.upright_tolerance
        return self.aspect_ratio <= tol and self.stature_ratio >= 1 / tol

    def down(self, cfg: PersonDownConfig) -> bool:
        """The head near the ground, the box flattened, the feet not hidden."""
        return (
            self.head_drop >= cfg.min_head_drop
            and self.stature_ratio < 1 / cfg.upright_tolerance
            and self.flattening >= cfg.min_flattening
            and self.bottom_rise <= cfg.max_bottom_rise
        )

    def measured(self) -> dict[str, float]:
        """The cues for the alarm's explanation."""
        return {
            "height_ratio": round(self.height_ratio, 3),
            "head_drop": round(self.head_drop, 3),
            "flattening": round(self.flattening, 2),
            "bottom_rise": round(self.bottom_rise, 3),
            "stature_ratio": round(self.stature_ratio, 3),
        }


def _cues(p: _Posture, box: Box, standing: float | None = None, t: float | None = None) -> _Cues:
    """Measure ``box`` at time ``t`` against the reference; ``standing`` is the standing height at
    its foot row (default: the reference's).

    The head drop is the loss of stature, plus the box bottom's move toward the camera beyond the
    walking pace (a body falling toward the camera: its head, now the box bottom, comes closer).
    """
    h = max(box[3] - box[1], 1e-6)
    stature = h / (p.height if standing is None else standing)
    walked = p.bottom + p.pace * ((p.ref_t if t is None else t) - p.ref_t)
    closer = max(0.0, box[3] - max(p.bottom, walked)) / p.height
    return _Cues(
        height_ratio=h / p.height,
        aspect_ratio=(box[2] - box[0]) / h / p.aspect,
        head_drop=1.0 - stature + closer,
        bottom_rise=(p.bottom - box[3]) / p.height,
        stature_ratio=stature,
    )


def _below_horizon(boxes: FloatArray, cal: GroundCalibration) -> FloatArray:
    """Distance (N,) of each box's foot point below the horizon, NaN at or above it."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    below = cal.below_horizon(np.c_[(b[:, 0] + b[:, 2]) / 2, b[:, 3]])
    return np.where(below > 1.0, below, np.nan)


def statures(boxes: FloatArray, cal: GroundCalibration | None) -> FloatArray:
    """Box heights (N,), over the foot point's distance below the horizon when calibrated.

    Calibrated, the stature stays put while a person walks nearer or farther and drops only when
    they get lower; uncalibrated it is the pixel height (walking away lowers it too).
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    h = np.maximum(b[:, 3] - b[:, 1], 1e-6)
    return h if cal is None else h / _below_horizon(b, cal)


def standing_height(
    s: TrackState, box: Box, t: float, window_s: float, cal: GroundCalibration | None
) -> float:
    """The person's standing height in pixels at ``box``'s foot row: the high (80th percentile) of
    the track's statures over the last ``window_s``, scaled to that row. Anchored to the recent
    high, it does not creep down with a slow lie-down, nor with the first frames of a fall."""
    recent = [b for ts, b in zip(s.times, s.boxes, strict=True) if ts >= t - window_s] or [s.box]
    values = statures(np.asarray(recent), cal)
    row = 1.0 if cal is None else float(_below_horizon(np.asarray([box]), cal)[0])
    if not (np.isfinite(values).any() and np.isfinite(row)):
        return max(box[3] - box[1], 1e-6)
    return float(np.nanpercentile(values, 80)) * row


def median_box(s: TrackState, t: float, window_s: float) -> Box:
    """Per-coordinate median of the track's boxes of the last ``window_s`` seconds (at least the latest)."""
    recent = [b for ts, b in zip(s.times, s.boxes, strict=True) if ts >= t - window_s] or [s.box]
    m = np.median(np.asarray(recent, dtype=np.float64), axis=0)
    return float(m[0]), float(m[1]), float(m[2]), float(m[3])


class PersonDownRule(Rule[PersonDownConfig]):
    """Follows each person's upright reference; a quick change to down starts the down state."""

    type = "person_down"

    def __init__(self, config: PersonDownConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._posture: dict[int, _Posture] = {}

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        out: dict[Hashable, Alarm] = {}
        for s in of_classes(scene.visible, self.config.classes):
            if not self._cut(s, scene):
                alarm = self._step(s, scene)
                if alarm is not None:
                    out[s.identity] = alarm
        for ident in [i for i in self._posture if i not in scene.tracks]:
            del self._posture[ident]
        return out

    def _step(self, s: TrackState, scene: Scene) -> Alarm | None:
        """Update one person's posture; the alarm it raises now, if any."""
        cfg = self.config
        box = median_box(s, scene.t, cfg.median_s)
        p = self._posture.get(s.identity)
        standing = standing_height(s, box, scene.t, cfg.stature_window_s, scene.calibration)
        if p is None:
            h = max(box[3] - box[1], 1e-6)
            self._posture[s.identity] = _Posture(standing, (box[2] - box[0]) / h, box[3], scene.t)
            return None
        cues = _cues(p, box, standing, scene.t)
        if cues.upright(cfg):
            p.update_upright(box, standing, scene.t, cfg.smoothing, cfg.lookback_s)
            return None
        down = cues.down(cfg)
        fall_s = scene.t - p.upright_at  # a fall hidden by an occlusion longer than max_fall_s is not called
        if p.down_since is None:
            if not (down and fall_s <= cfg.max_fall_s):
                return None
            p.down_since, p.fell_s, p.frames, p.down_frames = scene.t, fall_s, 0, 0
        p.frames += 1
        p.down_frames += int(down)
        lying = scene.t - p.down_since
        if lying < cfg.min_down_s or p.down_frames < cfg.min_down_fraction * p.frames:
            return None
        return self.alarm(
            scene,
            f"Person down: track {s.identity} fell and stays down ({lying:.1f} s)",
            [s],
            measured={**cues.measured(), "fall_s": round(p.fell_s, 2), "down_s": round(lying, 2)},
            thresholds={
                "max_fall_s": cfg.max_fall_s,
                "min_head_drop": cfg.min_head_drop,
                "min_flattening": cfg.min_flattening,
                "max_bottom_rise": cfg.max_bottom_rise,
                "min_down_s": cfg.min_down_s,
                "min_down_fraction": cfg.min_down_fraction,
            },
        )

    def _cut(self, s: TrackState, scene: Scene) -> bool:
        if scene.image_size is None:
            return False
        w, h = scene.image_size
        x1, y1, x2, y2 = s.box
        m = self.config.border_px
        return bool(x1 <= m or y1 <= m or x2 >= w - m or y2 >= h - m)
