"""``/api/v1/dashboard``: what the dashboard page needs to draw its map (staff only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from amane.center.deps import CenterDep, CurrentUser
from amane.config import MapCenter

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


class DashboardConfig(BaseModel):
    center: MapCenter
    zoom: int
    tile_url: str | None
    tile_attribution: str
    regions: dict[str, Any] | None
    unit_online_seconds: int


@router.get("/config")
def config(user: CurrentUser, center: CenterDep) -> DashboardConfig:
    s = center.settings
    return DashboardConfig(
        center=s.map_center,
        zoom=s.map_zoom,
        tile_url=s.tile_url,
        tile_attribution=s.tile_attribution,
        regions=s.regions,
        unit_online_seconds=s.unit_online_seconds,
    )
