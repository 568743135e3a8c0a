"""``equirect``: a 360° camera whose frames are equirectangular panoramas, split into perspective views.

Each view (yaw, pitch, field of view, output size) is cut out by ``cv2.remap`` with maps computed
once per panorama size (fixed-point maps: about twice as fast as float ones). Every view is a
camera of its own (id ``<source id>/<view name>``) with a :class:`~amane.core.geometry.CameraView`,
so detections in it get bearings relative to the vehicle heading.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from amane.core.geometry import CameraView, equirect_remap_maps
from amane.vision.sources.base import Frame, Image, SourceStats
from amane.vision.sources.single import CaptureConfig, open_capture

logger = logging.getLogger(__name__)


class PanoramaViewConfig(BaseModel):
    """One virtual perspective camera cut from the panorama."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$", description="View name.")
    yaw_deg: float = Field(
        ge=0.0, lt=360.0, description="Bearing of the view's centre, clockwise from ahead."
    )
    pitch_deg: float = Field(0.0, gt=-90.0, lt=90.0, description="Tilt of the view's centre, up positive.")
    hfov_deg: float = Field(100.0, gt=0.0, lt=180.0, description="Horizontal field of view.")
    width: int = Field(640, ge=16, le=4096, description="Output width in pixels.")
    height: int = Field(480, ge=16, le=4096, description="Output height in pixels.")


def _default_views() -> list[PanoramaViewConfig]:
    names = ("front", "right", "rear", "left")
    return [PanoramaViewConfig(name=n, yaw_deg=90.0 * i) for i, n in enumerate(names)]


class EquirectSourceConfig(BaseModel):
    """A 360° camera giving equirectangular (2:1) panoramas, analysed as several perspective views."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["equirect"]
    source: CaptureConfig = Field(
        description="Where the panoramas come from (its ``mount`` is ignored; "
        "the panorama's centre column is taken as straight ahead)."
    )
    views: list[PanoramaViewConfig] = Field(
        default_factory=_default_views,
        min_length=1,
        max_length=16,
        description="The views (default: front/right/rear/left, 100°).",
    )
    heading_offset_deg: float = Field(
        0.0,
        ge=-180.0,
        le=180.0,
        description="Bearing of the panorama's "
        "centre column relative to the vehicle heading (camera mounted turned).",
    )

    @model_validator(mode="after")
    def _unique_view_names(self) -> EquirectSourceConfig:
        names = [v.name for v in self.views]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"camera {self.source.id}: view names must be unique, repeated: {dupes}")
        return self


def panorama_maps(
    pano_width: int, pano_height: int, views: list[CameraView], heading_offset_deg: float = 0.0
) -> list[tuple[Any, Any]]:
    """Fixed-point ``cv2.remap`` maps (computed once per panorama size) for each view."""
    maps = []
    for v in views:
        mx, my = equirect_remap_maps(
            pano_width,
            pano_height,
            yaw_deg=v.yaw_deg - heading_offset_deg,
            pitch_deg=v.pitch_deg,
            hfov_deg=v.hfov_deg,
            width=v.width,
            height=v.height,
        )
        maps.append(cv2.convertMaps(mx, my, cv2.CV_16SC2))
    return maps


def split_panorama(
    panorama: Image, views: list[CameraView], maps: list[tuple[Any, Any]] | None = None
) -> list[Image]:
    """Perspective views cut from an equirectangular panorama (pass ``maps`` to reuse them).

    >>> pano = np.zeros((512, 1024, 3), np.uint8)
    >>> [v.shape for v in split_panorama(pano, [CameraView(0.0, 0.0, 90.0, 320, 240)])]
    [(240, 320, 3)]
    """
    h, w = panorama.shape[:2]
    maps = maps if maps is not None else panorama_maps(w, h, views)
    return [
        np.asarray(cv2.remap(panorama, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP), np.uint8)
        for m1, m2 in maps
    ]


class EquirectSource:
    """Splits each panorama of the wrapped source into the configured perspective views."""

    def __init__(self, config: EquirectSourceConfig) -> None:
        self.config = config
        self._inner = open_capture(config.source)
        self.camera_ids = tuple(f"{config.source.id}/{v.name}" for v in config.views)
        self._maps: dict[tuple[int, int], list[tuple[Any, Any]]] = {}
        self._views = [
            CameraView(v.yaw_deg, v.pitch_deg, v.hfov_deg, v.width, v.height) for v in config.views
        ]

    @property
    def stats(self) -> SourceStats:
        """The wrapped source's counters (one panorama = one frame read)."""
        return self._inner.stats

    def _maps_for(self, width: int, height: int) -> list[tuple[Any, Any]]:
        maps = self._maps.get((width, height))
        if maps is None:
            if abs(width - 2 * height) > 2:
                logger.warning(
                    "camera %s: panorama is %dx%d, not 2:1; bearings will be off",
                    self.config.source.id,
                    width,
                    height,
                )
            maps = panorama_maps(width, height, self._views, self.config.heading_offset_deg)
            self._maps = {(width, height): maps}
        return maps

    def split(self, panorama: Image) -> list[Image]:
        """The perspective views of one panorama, in config order."""
        h, w = panorama.shape[:2]
        return split_panorama(panorama, self._views, self._maps_for(w, h))

    def read(self, wait_s: float | None = None) -> list[Frame] | None:
        """One frame per view from the newest panorama; ``[]`` if none is new; None at the end."""
        frames = self._inner.read(wait_s)
        if not frames:
            return frames
        pano = frames[-1]
        return [
            Frame(cid, image, pano.at, pano.index, view)
            for cid, image, view in zip(self.camera_ids, self.split(pano.image), self._views, strict=True)
        ]

    def close(self) -> None:
        """Close the wrapped source."""
        self._inner.close()
