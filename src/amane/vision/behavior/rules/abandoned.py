"""Abandoned object: a bag that became static near a person and has been left alone for a while."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from amane.core.messages import Severity
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, of_classes
from amane.vision.behavior.tracks import TrackState


class AbandonedObjectConfig(RuleConfigBase):
    """Alarm when an object (bag, suitcase) stands still with no attending person for ``abandon_s``.

    A person *attends* the object when within ``owner_radius_m`` and either was near it when it was
    set down (its owner) or stands nearly still (slower than ``attend_max_speed_mps``); passers-by
    do not reset the clock. An object nobody was ever near (street furniture) never alarms.
    """

    needs_calibration: ClassVar[bool] = True
    type: Literal["abandoned_object"] = "abandoned_object"
    classes: list[int] = Field(
        default_factory=lambda: [24, 26, 28],
        min_length=1,
        description="Object classes (COCO 24 backpack, 26 handbag, 28 suitcase)",
    )
    person_classes: list[int] = Field(default_factory=lambda: [0], min_length=1, description="Who can attend")
    owner_radius_m: float = Field(
        default=2.0, gt=0.0, le=50.0, description="Attending distance on the ground"
    )
    abandon_s: float = Field(default=30.0, ge=1.0, le=86_400.0, description="Unattended time that alarms")
    static_s: float = Field(default=2.0, ge=0.2, le=120.0, description="How long the object must not move")
    static_tolerance_m: float = Field(
        default=0.35, gt=0.0, le=5.0, description="Largest drift of a static object"
    )
    attend_max_speed_mps: float = Field(
        default=0.8, ge=0.0, le=5.0, description="A non-owner this slow near the object attends it"
    )
    person_hold_s: float = Field(
        default=1.0,
        ge=0.0,
        le=10.0,
        description="A person unseen for less than this is still where last seen",
    )
    severity: Severity = Field(default=Severity.HIGH, description="Severity of the alerts")
    cooldown_s: float = Field(default=600.0, ge=0.0, le=86_400.0, description="Least time between two alarms")


@dataclass
class _ObjectState:
    static_since: float | None = None
    owners: set[int] = field(default_factory=set)
    unattended_since: float | None = None


class AbandonedObjectRule(Rule[AbandonedObjectConfig]):
    """Follows each object identity: static or not, its owners, and since when it is unattended."""

    type = "abandoned_object"

    def __init__(self, config: AbandonedObjectConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._objects: dict[int, _ObjectState] = {}

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        people = [
            s
            for s in scene.tracks.values()
            if s.class_id in cfg.person_classes
            and scene.t - s.last_seen <= cfg.person_hold_s
            and not np.isnan(s.ground).any()
        ]
        out: dict[Hashable, Alarm] = {}
        for obj in of_classes(scene.visible, cfg.classes):
            if np.isnan(obj.ground).any():
                continue
            state = self._objects.setdefault(obj.identity, _ObjectState())
            near = [p for p in people if float(np.linalg.norm(p.ground - obj.ground)) <= cfg.owner_radius_m]
            static = self._static(obj)
            if static is None:  # too few recent samples (occluded): keep the state as it is
                continue
            if not static:
                state.static_since = None
                state.unattended_since = None
                state.owners.update(p.identity for p in near)
                continue
            if state.static_since is None:
                state.static_since = scene.t
                state.owners.update(p.identity for p in near)
            attending = [p for p in near if p.identity in state.owners or self._slow(p)]
            if attending or not state.owners:
                state.unattended_since = None
                continue
            if state.unattended_since is None:
                state.unattended_since = scene.t
            alone = scene.t - state.unattended_since
            if alone >= cfg.abandon_s:
                owners = [scene.tracks[i] for i in sorted(state.owners) if i in scene.tracks]
                out[obj.identity] = self.alarm(
                    scene,
                    f"Abandoned object: track {obj.identity} left alone for {alone:.0f} s",
                    [obj],
                    zone=None,
                    measured={
                        "alone_s": round(alone, 2),
                        "owners": sorted(state.owners),
                        "static_s": round(scene.t - state.static_since, 2),
                    },
                    thresholds={"abandon_s": cfg.abandon_s, "owner_radius_m": cfg.owner_radius_m},
                )
                out[obj.identity].tracker_ids = sorted(
                    {*out[obj.identity].tracker_ids, *(r for o in owners for r in o.raw_ids)}
                )
        for ident in [i for i in self._objects if i not in scene.tracks]:
            del self._objects[ident]
        return out

    def _static(self, obj: TrackState) -> bool | None:
        """Whether the object stood still over the last ``static_s`` (None: too little data to say)."""
        cfg = self.config
        i = obj.samples_since(obj.last_seen - cfg.static_s)
        if obj.last_seen - obj.first_seen < cfg.static_s:
            return False
        if len(obj.times) - i < 3 or obj.times[i] > obj.last_seen - 0.5 * cfg.static_s:
            return None
        g = np.stack([obj.grounds[k] for k in range(i, len(obj.grounds))])
        drift = np.linalg.norm(g - np.median(g, axis=0), axis=1)
        return bool(np.nanmax(drift) <= cfg.static_tolerance_m)

    def _slow(self, person: TrackState) -> bool:
        """Standing nearly still (a person whose speed cannot be measured yet is not)."""
        speed = person.speed(1.0)
        return speed is not None and speed <= self.config.attend_max_speed_mps
