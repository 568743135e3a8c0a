"""Bearings, camera views and ground positions: the maths between a pixel and a place.

Conventions used everywhere in amane:

* **Vehicle frame**: x forward, y right, z up. A *bearing* (azimuth) is in degrees clockwise from
  straight ahead, in [0, 360); an *elevation* is in degrees above the horizon, in [-90, 90].
* **Pixels** are continuous with pixel ``i`` covering ``[i, i + 1)``, so a box ``xyxy`` from a
  detector maps directly and the centre of pixel ``i`` is ``i + 0.5``.
* **Perspective views** are pinhole cameras without distortion, square pixels, the principal point
  at the image centre, mounted at a yaw (bearing of the optical axis) and pitch (up positive), no roll.
* **Equirectangular panoramas** (2:1) put bearing 0 (ahead) in the middle column, -180 on the left edge
  and +180 on the right; the top row is elevation +90.

>>> view = CameraView(yaw_deg=90.0, pitch_deg=0.0, hfov_deg=90.0, width=1280, height=720)
>>> round(view.bearing_of(640, 360), 6)   # the image centre looks along the mounting yaw
90.0
>>> round(view.bearing_of(1280, 360), 6)  # the right edge is half the field of view further round
135.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG); the spherical model is within 0.5 % of WGS84 over the short ranges used here."""


def wrap_bearing(deg: float) -> float:
    """Bring an angle into [0, 360).

    >>> wrap_bearing(-90.0), wrap_bearing(360.0), wrap_bearing(725.0)
    (270.0, 0.0, 5.0)
    """
    out = math.fmod(deg, 360.0)
    if out < 0:
        out += 360.0
    return 0.0 if out >= 360.0 else out


def bearing_difference(a_deg: float, b_deg: float) -> float:
    """Smallest signed angle from ``b`` to ``a`` in degrees, in [-180, 180).

    >>> bearing_difference(5.0, 355.0), bearing_difference(350.0, 10.0)
    (10.0, -20.0)
    """
    return (a_deg - b_deg + 180.0) % 360.0 - 180.0


def direction(bearing_deg: float, elevation_deg: float) -> tuple[float, float, float]:
    """Unit vector (forward, right, up) of a bearing and elevation.

    >>> [round(c, 6) for c in direction(90.0, 0.0)]
    [0.0, 1.0, 0.0]
    """
    az, el = math.radians(bearing_deg), math.radians(elevation_deg)
    return (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))


def bearing_elevation(x: float, y: float, z: float) -> tuple[float, float]:
    """Bearing and elevation in degrees of a (forward, right, up) vector of any length.

    >>> [round(v, 6) for v in bearing_elevation(0.0, -1.0, 1.0)]
    [270.0, 45.0]
    """
    norm = math.sqrt(x * x + y * y + z * z)
    if norm == 0:
        raise ValueError("the zero vector has no direction")
    elevation = math.degrees(math.asin(max(-1.0, min(1.0, z / norm))))
    return wrap_bearing(math.degrees(math.atan2(y, x))), elevation


def focal_length_px(width: int, hfov_deg: float) -> float:
    """Pinhole focal length in pixels of an image ``width`` wide with horizontal field of view ``hfov_deg``.

    >>> round(focal_length_px(1280, 90.0), 6)
    640.0
    """
    if not 0 < hfov_deg < 180:
        raise ValueError(f"hfov_deg must be in (0, 180), got {hfov_deg}")
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)


def vertical_fov_deg(hfov_deg: float, width: int, height: int) -> float:
    """Vertical field of view of a pinhole image with square pixels.

    >>> round(vertical_fov_deg(90.0, 1280, 720), 3)
    58.716
    """
    return math.degrees(2.0 * math.atan(math.tan(math.radians(hfov_deg) / 2.0) * height / width))


def _camera_axes(yaw_deg: float, pitch_deg: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    forward = np.array(direction(yaw_deg, pitch_deg))
    right = np.array(direction(yaw_deg + 90.0, 0.0))
    up = np.cross(forward, right)
    return forward, right, up


def perspective_rays(
    xs: FloatArray,
    ys: FloatArray,
    *,
    yaw_deg: float,
    pitch_deg: float,
    hfov_deg: float,
    width: int,
    height: int,
) -> FloatArray:
    """Vehicle-frame rays (..., 3), not normalised, through continuous pixel coordinates of a view.

    >>> r = perspective_rays(np.array([640.0]), np.array([360.0]), yaw_deg=0, pitch_deg=0, hfov_deg=90,
    ...                      width=1280, height=720)
    >>> r.round(6).tolist()
    [[1.0, 0.0, 0.0]]
    """
    f = focal_length_px(width, hfov_deg)
    forward, right, up = _camera_axes(yaw_deg, pitch_deg)
    u = (np.asarray(xs, dtype=np.float64) - width / 2.0) / f
    v = (np.asarray(ys, dtype=np.float64) - height / 2.0) / f
    rays: FloatArray = forward + u[..., None] * right - v[..., None] * up
    return rays


def project_to_view(
    bearing_deg: float,
    elevation_deg: float,
    *,
    yaw_deg: float,
    pitch_deg: float,
    hfov_deg: float,
    width: int,
    height: int,
) -> tuple[float, float] | None:
    """Continuous pixel where a direction lands in a view, or None when it is behind the camera.

    >>> project_to_view(45.0, 0.0, yaw_deg=0, pitch_deg=0, hfov_deg=90, width=1280, height=720)
    (1280.0, 360.0)
    """
    forward, right, up = _camera_axes(yaw_deg, pitch_deg)
    d = np.array(direction(bearing_deg, elevation_deg))
    depth = float(d @ forward)
    if depth <= 1e-9:
        return None
    f = focal_length_px(width, hfov_deg)
    x = width / 2.0 + f * float(d @ right) / depth
    y = height / 2.0 - f * float(d @ up) / depth
    return round(x, 9), round(y, 9)


def equirect_to_direction(u: float, v: float, width: int, height: int) -> tuple[float, float]:
    """Bearing and elevation of a continuous pixel of a ``width`` x ``height`` equirectangular panorama.

    >>> equirect_to_direction(2048.0, 1024.0, 4096, 2048)   # the centre is straight ahead
    (0.0, 0.0)
    >>> equirect_to_direction(3072.0, 512.0, 4096, 2048)
    (90.0, 45.0)
    """
    return wrap_bearing(u / width * 360.0 - 180.0), 90.0 - v / height * 180.0


def direction_to_equirect(
    bearing_deg: float, elevation_deg: float, width: int, height: int
) -> tuple[float, float]:
    """Continuous pixel of a bearing and elevation in an equirectangular panorama (u in [0, width)).

    >>> direction_to_equirect(270.0, -45.0, 4096, 2048)
    (1024.0, 1536.0)
    """
    signed = bearing_difference(bearing_deg, 0.0)
    return (signed + 180.0) / 360.0 * width, (90.0 - elevation_deg) / 180.0 * height


def equirect_remap_maps(
    pano_width: int,
    pano_height: int,
    *,
    yaw_deg: float,
    pitch_deg: float,
    hfov_deg: float,
    width: int,
    height: int,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """``cv2.remap`` maps that cut a perspective view out of an equirectangular panorama.

    The maps hold, for each output pixel index, the panorama pixel index to sample (use
    ``cv2.BORDER_WRAP`` so the seam at +/-180 degrees interpolates across).

    >>> mx, my = equirect_remap_maps(4096, 2048, yaw_deg=0, pitch_deg=0, hfov_deg=90, width=65, height=37)
    >>> mx.shape, round(float(mx[18, 32]), 3), round(float(my[18, 32]), 3)   # the centre pixel looks ahead
    ((37, 65), 2047.5, 1023.5)
    """
    xs, ys = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    rays = perspective_rays(
        xs, ys, yaw_deg=yaw_deg, pitch_deg=pitch_deg, hfov_deg=hfov_deg, width=width, height=height
    )
    norm = np.linalg.norm(rays, axis=-1)
    az = np.degrees(np.arctan2(rays[..., 1], rays[..., 0]))  # (-180, 180]
    el = np.degrees(np.arcsin(np.clip(rays[..., 2] / norm, -1.0, 1.0)))
    map_x = (az + 180.0) / 360.0 * pano_width - 0.5
    map_y = (90.0 - el) / 180.0 * pano_height - 0.5
    map_x = np.mod(map_x, pano_width)
    return map_x.astype(np.float32), map_y.astype(np.float32)


def ground_position(
    lat_deg: float, lon_deg: float, heading_deg: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """Latitude and longitude of a point ``distance_m`` away at ``bearing_deg`` relative to the heading.

    ``heading_deg`` is the vehicle's course, clockwise from true north. Great-circle destination on a
    sphere of mean Earth radius.

    >>> lat, lon = ground_position(34.0209, -6.8416, 90.0, 0.0, 1000.0)   # heading east, object ahead
    >>> round(lat, 5), round(lon, 5)
    (34.0209, -6.83075)
    """
    if distance_m < 0:
        raise ValueError(f"distance_m must be >= 0, got {distance_m}")
    theta = math.radians(wrap_bearing(heading_deg + bearing_deg))
    delta = distance_m / EARTH_RADIUS_M
    phi1, lam1 = math.radians(lat_deg), math.radians(lon_deg)
    sin_phi2 = math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    phi2 = math.asin(max(-1.0, min(1.0, sin_phi2)))
    y = math.sin(theta) * math.sin(delta) * math.cos(phi1)
    x = math.cos(delta) - math.sin(phi1) * sin_phi2
    lam2 = lam1 + math.atan2(y, x)
    lon2 = (math.degrees(lam2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lon2


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres.

    >>> round(haversine_m(0.0, 0.0, 0.0, 1.0))
    111195
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def initial_bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north in [0, 360).

    >>> round(initial_bearing(0.0, 0.0, 0.0, 1.0), 6)
    90.0
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return wrap_bearing(math.degrees(math.atan2(y, x)))


def distance_from_height(box_height_px: float, focal_px: float, object_height_m: float) -> float:
    """Pinhole range estimate: an object ``object_height_m`` tall that spans ``box_height_px`` pixels.

    >>> distance_from_height(100.0, 640.0, 1.7)   # a 1.7 m person 100 px tall, f = 640 px
    10.88
    """
    if box_height_px <= 0 or focal_px <= 0 or object_height_m <= 0:
        raise ValueError(
            f"box height, focal length and object height must be positive, got "
            f"{box_height_px}, {focal_px}, {object_height_m}"
        )
    return object_height_m * focal_px / box_height_px


def fisheye_focal_px(width: int, hfov_deg: float) -> float:
    """Focal length (pixels per radian) of an equidistant fisheye ``width`` wide seeing ``hfov_deg`` across.

    >>> round(fisheye_focal_px(1280, 180.0), 3)
    407.437
    """
    if not 0 < hfov_deg < 360:
        raise ValueError(f"a fisheye's hfov_deg must be in (0, 360), got {hfov_deg}")
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return (width / 2.0) / math.radians(hfov_deg / 2.0)


def fisheye_rays(
    xs: FloatArray,
    ys: FloatArray,
    *,
    yaw_deg: float,
    pitch_deg: float,
    hfov_deg: float,
    width: int,
    height: int,
) -> FloatArray:
    """Vehicle-frame unit rays (..., 3) through pixels of an equidistant fisheye (r = f * angle off axis).

    >>> ray = fisheye_rays(np.array([1280.0]), np.array([360.0]), yaw_deg=0, pitch_deg=0, hfov_deg=180,
    ...                    width=1280, height=720)
    >>> ray.round(6).tolist()   # the right edge of a 180° fisheye looks straight right
    [[0.0, 1.0, 0.0]]
    """
    f = fisheye_focal_px(width, hfov_deg)
    forward, right, up = _camera_axes(yaw_deg, pitch_deg)
    u = (np.asarray(xs, dtype=np.float64) - width / 2.0) / f
    v = (np.asarray(ys, dtype=np.float64) - height / 2.0) / f
    theta = np.hypot(u, v)
    safe = np.where(theta > 0, theta, 1.0)
    sin_over = np.where(theta > 0, np.sin(theta) / safe, 1.0)
    rays: FloatArray = (
        np.cos(theta)[..., None] * forward
        + (sin_over * u)[..., None] * right
        - (sin_over * v)[..., None] * up
    )
    return rays


def view_rays(view: CameraView, xs: FloatArray, ys: FloatArray) -> FloatArray:
    """Rays (..., 3) through pixels of any :class:`CameraView` (pinhole or fisheye).

    >>> view_rays(CameraView(0.0, 0.0, 90.0, 64, 48), np.array([32.0]), np.array([24.0])).tolist()
    [[1.0, 0.0, 0.0]]
    """
    rays = fisheye_rays if view.projection == "fisheye" else perspective_rays
    return rays(
        xs,
        ys,
        yaw_deg=view.yaw_deg,
        pitch_deg=view.pitch_deg,
        hfov_deg=view.hfov_deg,
        width=view.width,
        height=view.height,
    )


def project_to_fisheye(
    bearing_deg: float,
    elevation_deg: float,
    *,
    yaw_deg: float,
    pitch_deg: float,
    hfov_deg: float,
    width: int,
    height: int,
) -> tuple[float, float]:
    """Continuous pixel where a direction lands in an equidistant fisheye image (may lie outside it).

    >>> project_to_fisheye(90.0, 0.0, yaw_deg=0, pitch_deg=0, hfov_deg=180, width=1280, height=720)
    (1280.0, 360.0)
    """
    forward, right, up = _camera_axes(yaw_deg, pitch_deg)
    d = np.array(direction(bearing_deg, elevation_deg))
    theta = math.acos(max(-1.0, min(1.0, float(d @ forward))))
    a, b = float(d @ right), float(d @ up)
    rho = math.hypot(a, b)
    f = fisheye_focal_px(width, hfov_deg)
    if rho < 1e-12:
        return width / 2.0, height / 2.0
    return round(width / 2.0 + f * theta * a / rho, 9), round(height / 2.0 - f * theta * b / rho, 9)


TYPICAL_HEIGHT_M: dict[int, float] = {0: 1.7, 1: 1.1, 2: 1.5, 3: 1.2, 5: 3.0, 7: 3.0}
"""Assumed real heights of COCO classes (person, bicycle, car, motorcycle, bus, truck) for range estimates."""


@dataclass(frozen=True)
class CameraView:
    """A camera on the vehicle: mounting yaw/pitch, horizontal FOV, image size and lens projection.

    ``bearing_of`` maps an image pixel to a bearing relative to the vehicle heading. ``projection`` is
    ``"pinhole"`` (an ordinary or undistorted lens, FOV below 180°) or ``"fisheye"`` (equidistant model,
    the usual surround-view lens, FOV up to 360°).

    >>> front = CameraView(yaw_deg=0.0, pitch_deg=0.0, hfov_deg=90.0, width=1280, height=720)
    >>> round(front.bearing_of(0, 360), 6), round(front.elevation_of(640, 0), 3)
    (315.0, 29.358)
    >>> round(front.distance_to((600, 300, 680, 428), object_height_m=1.7), 2)
    8.5
    >>> side = CameraView(90.0, 0.0, 190.0, 1280, 720, projection="fisheye")
    >>> round(side.bearing_of(0, 360), 3), round(side.bearing_of(1280, 360), 3)   # sees 5° behind the axle
    (355.0, 185.0)
    """

    yaw_deg: float
    pitch_deg: float
    hfov_deg: float
    width: int
    height: int
    projection: Literal["pinhole", "fisheye"] = "pinhole"

    def __post_init__(self) -> None:
        if self.projection == "fisheye":
            fisheye_focal_px(self.width, self.hfov_deg)
        elif self.projection == "pinhole":
            focal_length_px(self.width, self.hfov_deg)  # validates fov and width
        else:
            raise ValueError(f"projection must be 'pinhole' or 'fisheye', got {self.projection!r}")
        if self.height <= 0:
            raise ValueError(f"height must be positive, got {self.height}")
        if not -90.0 < self.pitch_deg < 90.0:
            raise ValueError(f"pitch_deg must be in (-90, 90), got {self.pitch_deg}")

    @property
    def focal_px(self) -> float:
        """Focal length in pixels (pixels per radian near the centre for a fisheye)."""
        if self.projection == "fisheye":
            return fisheye_focal_px(self.width, self.hfov_deg)
        return focal_length_px(self.width, self.hfov_deg)

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view in degrees."""
        if self.projection == "fisheye":
            return self.hfov_deg * self.height / self.width
        return vertical_fov_deg(self.hfov_deg, self.width, self.height)

    def resized(self, width: int, height: int) -> CameraView:
        """The same mounting for another image size (same horizontal FOV)."""
        return replace(self, width=width, height=height)

    def direction_of(self, x: float, y: float) -> tuple[float, float]:
        """Bearing and elevation (degrees) of continuous pixel (x, y)."""
        ray = view_rays(self, np.array([x]), np.array([y]))[0]
        return bearing_elevation(float(ray[0]), float(ray[1]), float(ray[2]))

    def project(self, bearing_deg: float, elevation_deg: float) -> tuple[float, float] | None:
        """Continuous pixel of a direction (None when a pinhole camera cannot see it: behind it)."""
        y_, p_, f_, w_, h_ = self.yaw_deg, self.pitch_deg, self.hfov_deg, self.width, self.height
        if self.projection == "fisheye":
            return project_to_fisheye(
                bearing_deg, elevation_deg, yaw_deg=y_, pitch_deg=p_, hfov_deg=f_, width=w_, height=h_
            )
        return project_to_view(
            bearing_deg, elevation_deg, yaw_deg=y_, pitch_deg=p_, hfov_deg=f_, width=w_, height=h_
        )

    def bearing_of(self, x: float, y: float) -> float:
        """Bearing in degrees clockwise from straight ahead, in [0, 360), of pixel (x, y)."""
        return self.direction_of(x, y)[0]

    def elevation_of(self, x: float, y: float) -> float:
        """Elevation in degrees above the horizon of pixel (x, y)."""
        return self.direction_of(x, y)[1]

    def bearing_of_box(self, box: tuple[float, float, float, float]) -> float:
        """Bearing of the centre of an ``xyxy`` box."""
        x1, y1, x2, y2 = box
        return self.bearing_of((x1 + x2) / 2.0, (y1 + y2) / 2.0)

    def distance_to(self, box: tuple[float, float, float, float], object_height_m: float) -> float:
        """Range estimate in metres from the box height and the object's assumed real height.

        Pinhole: ``object_height * f / box_height``. Fisheye: from the angle between the rays through
        the top and bottom centre of the box (the image scale changes across a fisheye).
        """
        if self.projection == "pinhole":
            return distance_from_height(box[3] - box[1], self.focal_px, object_height_m)
        cx = (box[0] + box[2]) / 2.0
        top = np.array(direction(*self.direction_of(cx, box[1])))
        bottom = np.array(direction(*self.direction_of(cx, box[3])))
        angle = math.acos(max(-1.0, min(1.0, float(top @ bottom))))
        if angle <= 0 or object_height_m <= 0:
            raise ValueError(f"box height and object height must be positive, got {box}, {object_height_m}")
        return object_height_m / (2.0 * math.tan(angle / 2.0))
