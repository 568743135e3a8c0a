"""Intrusion: a person (or vehicle) inside a restricted zone, optionally only at certain times."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from amane.core.messages import Severity
from amane.vision.behavior.geometry import Name
from amane.vision.behavior.rules.base import Alarm, Rule, RuleConfigBase, Scene, in_zone, of_classes


class TimeWindow(BaseModel):
    """A daily window, e.g. 22:00-06:00 (crosses midnight when end < start)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: time = Field(description="Local start time, HH:MM")
    end: time = Field(description="Local end time, HH:MM (exclusive)")
    days: list[int] = Field(
        default_factory=lambda: list(range(7)),
        description="Weekdays on which the window opens (0 = Monday ... 6 = Sunday)",
    )

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(d < 0 or d > 6 for d in value):
            raise ValueError("days must be weekday numbers 0 (Monday) to 6 (Sunday)")
        return value

    def contains(self, local: datetime) -> bool:
        """Whether the local time falls in the window (a window past midnight belongs to its start day).

        >>> night = TimeWindow(start=time(22, 0), end=time(6, 0), days=[4])  # Friday nights
        >>> night.contains(datetime(2026, 3, 6, 23, 0)), night.contains(datetime(2026, 3, 7, 5, 0))
        (True, True)
        >>> night.contains(datetime(2026, 3, 7, 23, 0))  # Saturday night
        False
        """
        now = local.time()
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= now < self.end
        if now >= self.start:
            return local.weekday() in self.days
        return now < self.end and (local.weekday() - 1) % 7 in self.days


class IntrusionConfig(RuleConfigBase):
    """Alarm when an object of the given classes stands inside a restricted zone."""

    type: Literal["intrusion"] = "intrusion"
    zone: Name = Field(description="The restricted zone")
    classes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="COCO class ids watched"
    )
    min_inside_s: float = Field(
        default=0.3, ge=0.0, le=60.0, description="How long the foot point must stay inside before the alarm"
    )
    schedule: list[TimeWindow] = Field(
        default_factory=list, description="When the zone is restricted; empty: always"
    )
    timezone: str = Field(default="UTC", description="IANA time zone of the schedule, e.g. Africa/Casablanca")
    severity: Severity = Field(default=Severity.HIGH, description="Severity of the alerts")

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value

    def target(self) -> str | None:
        return self.zone


class IntrusionRule(Rule[IntrusionConfig]):
    """Fires once per identity and zone, ``min_inside_s`` after its foot point entered."""

    type = "intrusion"

    def __init__(self, config: IntrusionConfig, camera_id: str) -> None:
        super().__init__(config, camera_id)
        self._tz = ZoneInfo(config.timezone)
        self._entered: dict[int, float] = {}

    def active(self, at: datetime) -> bool:
        """Whether the zone is restricted at ``at``."""
        if not self.config.schedule:
            return True
        local = at.astimezone(self._tz)
        return any(w.contains(local) for w in self.config.schedule)

    def evaluate(self, scene: Scene) -> dict[Hashable, Alarm]:
        cfg = self.config
        watched = of_classes(scene.visible, cfg.classes)
        inside = {s.identity for s in in_zone(scene, cfg.zone, watched)}
        for s in watched:
            if s.identity not in inside:
                self._entered.pop(s.identity, None)
            else:
                self._entered.setdefault(s.identity, scene.t)
        for ident in [i for i in self._entered if i not in scene.tracks]:
            del self._entered[ident]
        if not self.active(scene.at):
            return {}
        out: dict[Hashable, Alarm] = {}
        for s in watched:
            since = self._entered.get(s.identity)
            if since is None or scene.t - since < cfg.min_inside_s:
                continue
            out[(s.identity, cfg.zone)] = self.alarm(
                scene,
                f"Intrusion: track {s.identity} inside restricted zone '{cfg.zone}'",
                [s],
                zone=cfg.zone,
                measured={"inside_s": round(scene.t - since, 2), "class_id": s.class_id},
                thresholds={
                    "min_inside_s": cfg.min_inside_s,
                    "schedule": [w.model_dump(mode="json") for w in cfg.schedule],
                },
            )
        return out
