"""Synthetic 360° scenes with objects at known bearings: the ground truth for the bearing check.

Discs are drawn on the sphere (every panorama pixel whose direction lies within the disc's angular
radius), so they are distorted exactly as a real object would be in an equirectangular image. The
check splits the panorama into perspective views, finds the discs by colour, maps their centres to
bearings through each view's :class:`~amane.core.geometry.CameraView`, and reports the worst error.

>>> pano = render_panorama([SphereDisc(bearing_deg=90.0, elevation_deg=0.0, radius_deg=4.0)], 720, 360)
>>> pano.shape, pano[180, 540].tolist()
((360, 720, 3), [0, 0, 255])
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from amane.core.geometry import CameraView, bearing_difference, direction

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class SphereDisc:
    """A coloured disc on the view sphere."""

    bearing_deg: float
    elevation_deg: float
    radius_deg: float = 3.0
    colour: tuple[int, int, int] = (0, 0, 255)


def render_panorama(
    discs: list[SphereDisc], width: int, height: int, background: tuple[int, int, int] = (90, 110, 100)
) -> Image:
    """A ``width`` x ``height`` equirectangular panorama with ``discs`` drawn on a textured background."""
    u = (np.arange(width) + 0.5) / width * 360.0 - 180.0
    v = 90.0 - (np.arange(height) + 0.5) / height * 180.0
    az, el = np.meshgrid(np.radians(u), np.radians(v))
    dirs = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)
    image = np.empty((height, width, 3), np.uint8)
    image[:] = background
    # a faint grid so the background is not perfectly flat
    image[::16] = np.clip(np.asarray(background) + 20, 0, 255)
    for disc in discs:
        centre = np.array(direction(disc.bearing_deg, disc.elevation_deg))
        inside = dirs @ centre >= np.cos(np.radians(disc.radius_deg))
        image[inside] = disc.colour
    return image


def find_colour_blobs(
    image: Image, colour: tuple[int, int, int], tolerance: int = 40, min_area: int = 12
) -> list[tuple[float, float, tuple[int, int, int, int]]]:
    """Centroids (x, y) and boxes (x, y, w, h) of the blobs of one colour, in continuous pixel coordinates."""
    lo = np.clip(np.asarray(colour) - tolerance, 0, 255).astype(np.uint8)
    hi = np.clip(np.asarray(colour) + tolerance, 0, 255).astype(np.uint8)
    mask = cv2.inRange(image, lo, hi)
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [
        (
            float(centroids[i][0]) + 0.5,
            float(centroids[i][1]) + 0.5,
            (int(stats[i][0]), int(stats[i][1]), int(stats[i][2]), int(stats[i][3])),
        )
        for i in range(1, n)
        if stats[i][4] >= min_area
    ]


def bearing_errors(views: list[tuple[Image, CameraView]], discs: list[SphereDisc]) -> dict[int, float]:
    """For each disc seen whole in some view, the smallest absolute bearing error (degrees) over views.

    Blobs touching a view's border are cut and skipped; each blob is matched to the nearest disc.
    """
    errors: dict[int, float] = {}
    for image, view in views:
        h, w = image.shape[:2]
        for colour in {d.colour for d in discs}:
            for cx, cy, (bx, by, bw, bh) in find_colour_blobs(image, colour):
                if bx <= 0 or by <= 0 or bx + bw >= w or by + bh >= h:
                    continue
                bearing = view.bearing_of(cx, cy)
                candidates = [i for i, d in enumerate(discs) if d.colour == colour]
                best = min(candidates, key=lambda i: abs(bearing_difference(bearing, discs[i].bearing_deg)))
                err = abs(bearing_difference(bearing, discs[best].bearing_deg))
                errors[best] = min(err, errors.get(best, 180.0))
    return errors


def bearing_check(
    n_objects: int = 12, n_views: int = 4, hfov_deg: float = 100.0, pano_width: int = 2048, seed: int = 0
) -> float:
    """Worst bearing error (degrees) over ``n_objects`` discs at random bearings, through the real split.

    Renders a panorama, splits it with :class:`~amane.vision.sources.equirect.EquirectSource`'s maps
    and measures every disc. Raises if some disc was not seen whole in any view.

    >>> bearing_check(n_objects=6, pano_width=1024) <= 1.0
    True
    """
    from amane.vision.sources.equirect import split_panorama

    rng = np.random.default_rng(seed)
    palette = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)]
    spacing = 360.0 / n_objects
    discs = [
        SphereDisc(
            float((i * spacing + rng.uniform(0, spacing * 0.5)) % 360),
            float(rng.uniform(-20, 20)),
            2.5,
            palette[i % len(palette)],
        )
        for i in range(n_objects)
    ]
    pano = render_panorama(discs, pano_width, pano_width // 2)
    views = [CameraView(360.0 * i / n_views, 0.0, hfov_deg, 640, 480) for i in range(n_views)]
    errors = bearing_errors(list(zip(split_panorama(pano, views), views, strict=True)), discs)
    missing = sorted(set(range(n_objects)) - set(errors))
    if missing:
        raise ValueError(f"discs {missing} were not seen whole in any view")
    return max(errors.values())


def camera_image(panorama: Image, view: CameraView) -> Image:
    """What a camera (pinhole or fisheye, any mounting) sees of the world an equirectangular panorama holds.

    >>> from amane.core.geometry import CameraView
    >>> pano = render_panorama([SphereDisc(180.0, 0.0, 5.0)], 720, 360)
    >>> rear = camera_image(pano, CameraView(180.0, 0.0, 190.0, 320, 180, projection="fisheye"))
    >>> rear.shape, rear[90, 160].tolist()
    ((180, 320, 3), [0, 0, 255])
    """
    from amane.core.geometry import view_rays

    h, w = panorama.shape[:2]
    xs, ys = np.meshgrid(np.arange(view.width) + 0.5, np.arange(view.height) + 0.5)
    rays = view_rays(view, xs, ys)
    norm = np.linalg.norm(rays, axis=-1)
    az = np.degrees(np.arctan2(rays[..., 1], rays[..., 0]))
    el = np.degrees(np.arcsin(np.clip(rays[..., 2] / norm, -1.0, 1.0)))
    map_x = np.mod((az + 180.0) / 360.0 * w - 0.5, w).astype(np.float32)
    map_y = ((90.0 - el) / 180.0 * h - 0.5).astype(np.float32)
    return np.asarray(
        cv2.remap(panorama, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP), np.uint8
    )
