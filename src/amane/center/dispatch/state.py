"""Dispatch settings and the per-worker state: the travel-time model and the rules."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from amane.center.dispatch.rules import RuleConfig
from amane.routing import RoadGraph, StraightLine, load_osm

logger = logging.getLogger(__name__)


class DispatchSettings(BaseSettings):
    """Dispatch configuration (environment: ``AMANE_DISPATCH_*``, nested with ``__``)."""

    model_config = SettingsConfigDict(env_prefix="AMANE_DISPATCH_", env_nested_delimiter="__", extra="forbid")
    osm_path: Path | None = Field(
        default=None, description="OpenStreetMap file (XML or PBF) of the area; none: straight-line fallback"
    )
    detour_factor: float = Field(
        default=1.4, ge=1.0, le=5.0, description="Fallback: road distance / straight-line distance"
    )
    fallback_speed_kmh: float = Field(default=30.0, gt=0, le=200, description="Fallback: average speed")
    duplicate_radius_m: float = Field(default=300.0, ge=0, le=10_000, description="Duplicate: same place")
    duplicate_window_min: float = Field(default=30.0, ge=0, le=1440, description="Duplicate: same time")
    rank_at_least: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="The search widens its horizon until at least this many units are reached",
    )
    horizon_s: float | None = Field(
        default=None,
        ge=30,
        le=86_400,
        description="First search horizon, seconds (default: from the straight-line distance of the units)",
    )
    rules: RuleConfig = Field(default_factory=RuleConfig, description="Ranking rules by kind and priority")


class DispatchState:
    """What one centre worker holds for dispatch (``app.state.dispatch``)."""

    def __init__(
        self, settings: DispatchSettings | None = None, travel: RoadGraph | StraightLine | None = None
    ):
        self.settings = settings or DispatchSettings()
        self.travel: RoadGraph | StraightLine = travel or self._load()
        self.seen_status: dict[str, str] = {}

    def _load(self) -> RoadGraph | StraightLine:
        path = self.settings.osm_path
        if path is not None:
            try:
                return load_osm(path)
            except (OSError, ValueError) as err:
                logger.warning("no road graph from %s (%s): straight-line fallback", path, err)
        return StraightLine(
            detour=self.settings.detour_factor, speed_mps=self.settings.fallback_speed_kmh / 3.6
        )

    @property
    def method(self) -> str:
        return self.travel.source
