"""A 360° street: four street scenes (ahead, right, behind, left) stitched into one equirectangular panorama.

Each panorama pixel looks along a direction; the scene whose quarter (90° of bearing) holds that direction
is projected there through a pinhole view of 90° horizontal field of view. Elevations a view does not
cover are sky above and road below. The actors' true bearings come with the image, so a unit reading the
panoramas through the real ``equirect`` source (split into views again) can be checked against them.

>>> pano = StreetPanorama(width=720, height=360, seed=3)
>>> image, truth = pano.render(1.0)
>>> image.shape, all(0.0 <= t.bearing_deg < 360.0 for t in truth)
((360, 720, 3), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from amane.core.geometry import CameraView, wrap_bearing
from amane.sim.scene import Scene, SceneConfig

Image = npt.NDArray[np.uint8]
QUARTERS = ((0.0, "front"), (90.0, "right"), (180.0, "rear"), (270.0, "left"))


@dataclass(frozen=True)
class PanoramaTruth:
    """An actor seen in the panorama: its class, plate, and the bearing (from the vehicle's heading) of the
    centre of its visible part."""

    quarter: str
    class_id: int
    bearing_deg: float
    left_deg: float
    """Bearing of the left edge of its visible part (the right edge is ``right_deg``)."""
    right_deg: float
    plate: str | None
    lingering: bool

    def covers(self, bearing_deg: float, margin_deg: float = 0.0) -> bool:
        """Whether a bearing points at the actor (between its edges, give or take ``margin_deg``).

        >>> t = PanoramaTruth("front", 0, 0.0, 355.0, 5.0, None, False)
        >>> t.covers(2.0), t.covers(358.0), t.covers(8.0), t.covers(8.0, margin_deg=3.0)
        (True, True, False, True)
        """
        width = (self.right_deg - self.left_deg) % 360.0
        return (bearing_deg - self.left_deg + margin_deg) % 360.0 <= width + 2 * margin_deg


class StreetPanorama:
    """Renders equirectangular frames of a street all around the vehicle (deterministic from the seed)."""

    def __init__(
        self,
        *,
        width: int = 2048,
        height: int = 1024,
        seed: int = 0,
        view_width: int = 960,
        vehicles: int = 2,
        pedestrians: int = 2,
    ) -> None:
        if width != 2 * height:
            raise ValueError(f"an equirectangular panorama is 2:1, got {width}x{height}")
        self.width, self.height = width, height
        view_height = view_width * 9 // 16
        self.views = [CameraView(yaw, 0.0, 90.0, view_width, view_height) for yaw, _ in QUARTERS]
        self.scenes = [
            Scene(
                SceneConfig(
                    width=view_width,
                    height=view_height,
                    seed=seed * 7 + i,
                    vehicles=vehicles,
                    pedestrians=pedestrians,
                    lingerer=(i == 0),
                )
            )
            for i in range(len(QUARTERS))
        ]
        self._maps = [self._map(view) for view in self.views]

    def _map(self, view: CameraView) -> tuple[Any, Any, npt.NDArray[np.bool_]]:
        """Remap maps from panorama pixels into ``view`` and the mask of pixels that view supplies."""
        u = (np.arange(self.width) + 0.5) / self.width * 360.0 - 180.0
        v = 90.0 - (np.arange(self.height) + 0.5) / self.height * 180.0
        az, el = np.meshgrid(np.radians(u), np.radians(v))
        rel = np.radians(
            (np.degrees(az) - view.yaw_deg + 180.0) % 360.0 - 180.0
        )  # bearing from the view axis
        f = view.focal_px
        forward = np.cos(el) * np.cos(rel)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = view.width / 2.0 + f * np.cos(el) * np.sin(rel) / forward - 0.5
            y = view.height / 2.0 - f * np.sin(el) / forward - 0.5
        inside = (np.abs(np.degrees(rel)) <= 45.0) & (forward > 0) & (y >= 0) & (y <= view.height - 1)
        mx = np.where(inside, x, -1).astype(np.float32)
        my = np.where(inside, y, -1).astype(np.float32)
        m1, m2 = cv2.convertMaps(mx, my, cv2.CV_16SC2)
        return m1, m2, inside

    def render(self, t: float) -> tuple[Image, list[PanoramaTruth]]:
        """The panorama at time ``t`` and every actor visible in it with its true bearing."""
        pano = np.empty((self.height, self.width, 3), np.uint8)
        pano[: self.height // 2] = (235, 205, 175)  # sky
        pano[self.height // 2 :] = (72, 70, 68)  # road
        truth: list[PanoramaTruth] = []
        for (yaw, name), scene, view, (m1, m2, inside) in zip(
            QUARTERS, self.scenes, self.views, self._maps, strict=True
        ):
            image, actors = scene.render(t)
            warped = cv2.remap(image, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            pano[inside] = warped[inside]
            for actor in actors:  # boxes are clipped to the view: the centre of what can be seen
                x1, y1, x2, y2 = actor.box
                cy = (y1 + y2) / 2
                truth.append(
                    PanoramaTruth(
                        name,
                        actor.class_id,
                        wrap_bearing(view.bearing_of((x1 + x2) / 2, cy)),
                        view.bearing_of(x1, cy),
                        view.bearing_of(x2, cy),
                        actor.plate,
                        actor.lingering,
                    )
                )
            _ = yaw
        return pano, truth
