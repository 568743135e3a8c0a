"""What every behaviour rule shares: common config fields, the scene it reads, the alarm it
returns, and the gate that turns "condition true now" into one alarm per episode.

>>> gate = AlarmGate(cooldown_s=10.0, rearm_s=1.0)
>>> [gate.fire("k", t) for t in (0.0, 0.5, 5.0)]
[True, False, False]
>>> gate.release_missing(set(), 7.0); gate.release_missing(set(), 8.5)
>>> gate.fire("k", 9.0), gate.fire("k", 11.0)
(False, True)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amane.core.detections import FloatArray
from amane.core.messages import Severity
from amane.vision.behavior.calibration import GroundCalibration
from amane.vision.behavior.geometry import Line, Name, Zone
from amane.vision.behavior.tracks import TrackState


class RuleConfigBase(BaseModel):
    """Fields every rule has."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Name | None = Field(default=None, description="Name in alerts; defaults to '<type>:<zone or line>'")
    enabled: bool = Field(default=True, description="Switch the rule off without deleting it")
    severity: Severity = Field(default=Severity.MEDIUM, description="Severity of the alerts this rule raises")
    cooldown_s: float = Field(
        default=30.0,
        ge=0.0,
        le=86_400.0,
        description="Least time between two alarms for the same track and zone",
    )
    rearm_s: float = Field(
        default=2.0,
        ge=0.0,
        le=600.0,
        description="How long the condition must stay false before it can alarm again",
    )

    needs_calibration: ClassVar[bool] = False
    """Rules that measure metres need a ground calibration on their camera."""

    def target(self) -> str | None:
        """The zone or line the rule watches (None: the whole image)."""
        return None

    def name(self, type_: str) -> str:
        """The rule's name in alerts."""
        if self.id is not None:
            return self.id
        target = self.target()
        return type_ if target is None else f"{type_}:{target}"


@dataclass
class Scene:
    """What a rule sees on one frame of one camera."""

    t: float
    """Stream time in seconds (POSIX time of the frame)."""
    at: datetime
    visible: list[TrackState]
    """Identities detected on this frame."""
    tracks: dict[int, TrackState]
    """Every identity remembered (visible or recently lost)."""
    zones: dict[str, Zone]
    lines: dict[str, Line]
    calibration: GroundCalibration | None
    image_size: tuple[int, int] | None = None
    """(width, height) in pixels when known (from the frame or the camera config)."""

    def feet(self, tracks: list[TrackState]) -> FloatArray:
        """Foot points (N, 2) of the given tracks."""
        return np.array([s.foot for s in tracks]).reshape(-1, 2)


@dataclass
class Alarm:
    """One alarm raised by a rule, with its explanation."""

    rule: str
    """Rule type, e.g. ``loitering``."""
    rule_id: str
    severity: Severity
    summary: str
    t: float
    track_ids: list[int]
    """Identities involved (see :class:`~amane.vision.behavior.tracks.TrackBook`)."""
    tracker_ids: list[int]
    """The raw tracker ids those identities had."""
    zone: str | None = None
    measured: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    box: tuple[float, float, float, float] | None = None

    def payload(self) -> dict[str, Any]:
        """The explanation sent with the alert."""
        return {
            "rule": self.rule,
            "rule_id": self.rule_id,
            "zone": self.zone,
            "track_ids": self.track_ids,
            "tracker_ids": self.tracker_ids,
            "measured": self.measured,
            "thresholds": self.thresholds,
        }


class AlarmGate:
    """Deduplication: a key (e.g. track + zone) alarms once while its condition holds, re-arms after
    the condition has been false for ``rearm_s``, and never alarms twice within ``cooldown_s``."""

    def __init__(self, cooldown_s: float, rearm_s: float) -> None:
        self.cooldown_s = cooldown_s
        self.rearm_s = rearm_s
        self._last_fire: dict[Hashable, float] = {}
        self._latched: dict[Hashable, float] = {}
        """key -> last time its condition was true."""

    def fire(self, key: Hashable, t: float) -> bool:
        """The condition for ``key`` is true at ``t``: should it alarm now?"""
        if key in self._latched:
            self._latched[key] = t
            return False
        if t - self._last_fire.get(key, -np.inf) < self.cooldown_s:
            return False
        self._last_fire[key] = t
        self._latched[key] = t
        return True

    def release_missing(self, active: set[Hashable], t: float) -> None:
        """Re-arm the latched keys whose condition has been false for ``rearm_s``."""
        for key in [k for k, seen in self._latched.items() if k not in active and t - seen >= self.rearm_s]:
            del self._latched[key]
        for key in [k for k, last in self._last_fire.items() if t - last > self.cooldown_s + 3600]:
            del self._last_fire[key]


C = TypeVar("C", bound=RuleConfigBase)


class Rule(ABC, Generic[C]):
    """A configured rule with its state for one camera."""

    type: str = ""

    def __init__(self, config: C, camera_id: str) -> None:
        self.config = config
        self.camera_id = camera_id
        self.name = config.name(self.type)
        self.gate = AlarmGate(config.cooldown_s, config.rearm_s)

    def step(self, scene: Scene) -> list[Alarm]:
        """Evaluate on one frame; return the alarms that pass the gate."""
        candidates = self.evaluate(scene)
        fired = [a for key, a in candidates.items() if self.gate.fire(key, scene.t)]
        self.gate.release_missing(set(candidates), scene.t)
        return fired

    @abstractmethod
    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        """The keys whose condition is true on this frame, each with the alarm it would raise."""

    def alarm(self, scene: Scene, summary: str, tracks: list[TrackState], **kwargs: Any) -> Alarm:
        """Build an alarm for ``tracks`` (the first one's box is the evidence box)."""
        box = (
            (
                float(tracks[0].box[0]),
                float(tracks[0].box[1]),
                float(tracks[0].box[2]),
                float(tracks[0].box[3]),
            )
            if tracks
            else None
        )
        return Alarm(
            rule=self.type,
            rule_id=self.name,
            severity=self.config.severity,
            summary=summary,
            t=scene.t,
            track_ids=[s.identity for s in tracks],
            tracker_ids=sorted({r for s in tracks for r in s.raw_ids}),
            box=box,
            **kwargs,
        )  # type: ignore[arg-type]


def in_zone(scene: Scene, zone: str | None, tracks: list[TrackState]) -> list[TrackState]:
    """The tracks whose foot point is inside ``zone`` (all of them when ``zone`` is None)."""
    if zone is None or not tracks:
        return list(tracks)
    inside = scene.zones[zone].contains(scene.feet(tracks))
    return [s for s, ok in zip(tracks, inside, strict=True) if ok]


def of_classes(tracks: list[TrackState], classes: list[int]) -> list[TrackState]:
    """The tracks whose class is one of ``classes``."""
    return [s for s in tracks if s.class_id in classes]
