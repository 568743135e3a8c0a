"""Geometry: bearings of pixels, equirectangular maps, ground positions (tables + properties)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.core.geometry import (
    CameraView,
    bearing_difference,
    direction_to_equirect,
    distance_from_height,
    equirect_remap_maps,
    equirect_to_direction,
    ground_position,
    haversine_m,
    initial_bearing,
    project_to_view,
    wrap_bearing,
)

bearings = st.floats(0.0, 359.999, allow_nan=False)
elevations = st.floats(-80.0, 80.0, allow_nan=False)


@pytest.mark.parametrize(
    ("yaw", "x", "y", "expected"),
    [
        (0.0, 640, 360, 0.0),  # centre of the front camera: straight ahead
        (0.0, 1280, 360, 45.0),  # right edge of a 90° camera
        (0.0, 0, 360, 315.0),  # left edge wraps below zero
        (90.0, 640, 360, 90.0),  # right camera
        (180.0, 0, 360, 135.0),
        (270.0, 1280, 360, 315.0),
        (270.0, 640, 0, 270.0),  # top centre: same bearing, higher elevation
    ],
)
def test_rig_camera_pixel_bearings(yaw: float, x: float, y: float, expected: float) -> None:
    view = CameraView(yaw_deg=yaw, pitch_deg=0.0, hfov_deg=90.0, width=1280, height=720)
    assert abs(bearing_difference(view.bearing_of(x, y), expected)) < 1e-9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hfov_deg": 0.0}, "hfov_deg"),
        ({"hfov_deg": 180.0}, "hfov_deg"),
        ({"width": 0}, "width"),
        ({"height": -5}, "height"),
        ({"pitch_deg": 90.0}, "pitch_deg"),
    ],
)
def test_camera_view_rejects_bad_geometry(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {"yaw_deg": 0.0, "pitch_deg": 0.0, "hfov_deg": 90.0, "width": 640, "height": 480}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        CameraView(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, 0.0), (-0.0, 0.0), (359.5, 359.5), (360.0, 0.0), (-1.0, 359.0), (1e-17 - 360, 0.0)],
)
def test_wrap_bearing_table(value: float, expected: float) -> None:
    assert wrap_bearing(value) == pytest.approx(expected)
    assert 0.0 <= wrap_bearing(value) < 360.0


@settings(max_examples=200, deadline=None)
@given(bearing=bearings, elevation=elevations)
def test_equirect_round_trip(bearing: float, elevation: float) -> None:
    u, v = direction_to_equirect(bearing, elevation, 4096, 2048)
    b2, e2 = equirect_to_direction(u, v, 4096, 2048)
    assert abs(bearing_difference(b2, bearing)) < 1e-9
    assert e2 == pytest.approx(elevation, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    yaw=bearings,
    pitch=st.floats(-40.0, 40.0),
    hfov=st.floats(30.0, 150.0),
    fx=st.floats(0.0, 1.0),
    fy=st.floats(0.0, 1.0),
)
def test_pixel_direction_projects_back_to_the_pixel(
    yaw: float, pitch: float, hfov: float, fx: float, fy: float
) -> None:
    view = CameraView(yaw, pitch, hfov, 1280, 720)
    x, y = fx * 1280, fy * 720
    bearing, elevation = view.direction_of(x, y)
    back = project_to_view(
        bearing, elevation, yaw_deg=yaw, pitch_deg=pitch, hfov_deg=hfov, width=1280, height=720
    )
    assert back is not None
    assert back[0] == pytest.approx(x, abs=1e-6)
    assert back[1] == pytest.approx(y, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(
    yaw=bearings,
    pitch=st.floats(-30.0, 30.0),
    hfov=st.floats(40.0, 120.0),
    px=st.integers(0, 63),
    py=st.integers(0, 35),
)
def test_remap_maps_sample_the_pixel_direction(
    yaw: float, pitch: float, hfov: float, px: int, py: int
) -> None:
    """The panorama pixel a view pixel samples lies in that pixel's direction."""
    mx, my = equirect_remap_maps(3600, 1800, yaw_deg=yaw, pitch_deg=pitch, hfov_deg=hfov, width=64, height=36)
    bearing, elevation = equirect_to_direction(float(mx[py, px]) + 0.5, float(my[py, px]) + 0.5, 3600, 1800)
    view = CameraView(yaw, pitch, hfov, 64, 36)
    want_b, want_e = view.direction_of(px + 0.5, py + 0.5)
    assert elevation == pytest.approx(want_e, abs=1e-3)
    if abs(want_e) < 85:
        assert abs(bearing_difference(bearing, want_b)) < 1e-3


def test_project_behind_camera_is_none() -> None:
    assert project_to_view(180.0, 0.0, yaw_deg=0, pitch_deg=0, hfov_deg=90, width=64, height=64) is None


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-70.0, 70.0),
    lon=st.floats(-179.0, 179.0),
    heading=bearings,
    bearing=bearings,
    distance=st.floats(1.0, 5000.0),
)
def test_ground_position_is_at_the_distance_and_bearing(
    lat: float, lon: float, heading: float, bearing: float, distance: float
) -> None:
    lat2, lon2 = ground_position(lat, lon, heading, bearing, distance)
    assert haversine_m(lat, lon, lat2, lon2) == pytest.approx(distance, rel=1e-6, abs=1e-3)
    assert abs(bearing_difference(initial_bearing(lat, lon, lat2, lon2), heading + bearing)) < 1e-4


@pytest.mark.parametrize(
    ("heading", "bearing", "dlat_sign", "dlon_sign"),
    [(0.0, 0.0, 1, 0), (90.0, 0.0, 0, 1), (0.0, 180.0, -1, 0), (0.0, 270.0, 0, -1), (270.0, 90.0, 1, 0)],
)
def test_ground_position_directions(heading: float, bearing: float, dlat_sign: int, dlon_sign: int) -> None:
    lat, lon = ground_position(34.02, -6.84, heading, bearing, 100.0)
    assert np.sign(round(lat - 34.02, 7)) == dlat_sign
    assert np.sign(round(lon + 6.84, 7)) == dlon_sign


def test_ground_position_rejects_negative_distance() -> None:
    with pytest.raises(ValueError, match="distance_m"):
        ground_position(0.0, 0.0, 0.0, 0.0, -1.0)


@pytest.mark.parametrize(
    ("height_px", "focal", "object_m", "expected"),
    [
        (100.0, 640.0, 1.7, 10.88),
        (340.0, 680.0, 1.7, 3.4),
        (0.0, 640.0, 1.7, None),
        (10.0, 640.0, -1.0, None),
    ],
)
def test_distance_from_height(
    height_px: float, focal: float, object_m: float, expected: float | None
) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="positive"):
            distance_from_height(height_px, focal, object_m)
    else:
        assert distance_from_height(height_px, focal, object_m) == pytest.approx(expected)


def test_distance_of_a_rendered_person_matches_the_pinhole_model() -> None:
    """A 1.7 m person 10 m ahead of a 90° 1280-wide camera spans 2*atan geometry: f*h/d pixels."""
    view = CameraView(0.0, 0.0, 90.0, 1280, 720)
    top = project_to_view(
        0.0, math.degrees(math.atan2(0.85, 10.0)), yaw_deg=0, pitch_deg=0, hfov_deg=90, width=1280, height=720
    )
    bottom = project_to_view(
        0.0,
        -math.degrees(math.atan2(0.85, 10.0)),
        yaw_deg=0,
        pitch_deg=0,
        hfov_deg=90,
        width=1280,
        height=720,
    )
    assert top is not None and bottom is not None
    assert view.distance_to((600.0, top[1], 680.0, bottom[1]), 1.7) == pytest.approx(10.0, rel=1e-6)


@settings(max_examples=200, deadline=None)
@given(
    yaw=bearings,
    pitch=st.floats(-40.0, 40.0),
    hfov=st.floats(60.0, 230.0),
    fx=st.floats(0.0, 1.0),
    fy=st.floats(0.0, 1.0),
)
def test_fisheye_pixel_direction_projects_back_to_the_pixel(
    yaw: float, pitch: float, hfov: float, fx: float, fy: float
) -> None:
    view = CameraView(yaw, pitch, hfov, 1280, 720, projection="fisheye")
    x, y = fx * 1280, fy * 720
    back = view.project(*view.direction_of(x, y))
    assert back is not None
    assert back[0] == pytest.approx(x, abs=1e-5)
    assert back[1] == pytest.approx(y, abs=1e-5)


@pytest.mark.parametrize(
    ("yaw", "x", "expected"),
    [(90.0, 640, 90.0), (90.0, 0, 355.0), (90.0, 1280, 185.0), (270.0, 960, 317.5), (0.0, 320, 312.5)],
)
def test_fisheye_bearings_are_linear_in_x_on_the_horizon(yaw: float, x: float, expected: float) -> None:
    """An equidistant fisheye maps angle to radius: along the centre row, bearing is linear in x."""
    view = CameraView(yaw, 0.0, 190.0, 1280, 720, projection="fisheye")
    assert abs(bearing_difference(view.bearing_of(x, 360), expected)) < 1e-9


def test_fisheye_range_matches_pinhole_near_the_centre() -> None:
    box = (630.0, 330.0, 650.0, 390.0)  # small and centred: both lenses agree to first order
    pin = CameraView(0.0, 0.0, 90.0, 1280, 720).distance_to(box, 1.7)
    f_pin = CameraView(0.0, 0.0, 90.0, 1280, 720).focal_px
    fish = CameraView(0.0, 0.0, 2 * math.degrees(640 / f_pin), 1280, 720, projection="fisheye")
    assert fish.distance_to(box, 1.7) == pytest.approx(pin, rel=0.01)


@pytest.mark.parametrize(
    ("projection", "hfov", "ok"),
    [
        ("pinhole", 179.0, True),
        ("pinhole", 180.0, False),
        ("fisheye", 220.0, True),
        ("fisheye", 360.0, False),
        ("spherical", 90.0, False),
    ],
)
def test_projection_and_fov_table(projection: str, hfov: float, ok: bool) -> None:
    if ok:
        CameraView(0.0, 0.0, hfov, 640, 480, projection=projection)  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError, match=r"hfov_deg|projection"):
            CameraView(0.0, 0.0, hfov, 640, 480, projection=projection)  # type: ignore[arg-type]
