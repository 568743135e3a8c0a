"""Zones, lines, calibration and config validation."""

from __future__ import annotations

import numpy as np
import pytest
import shapely  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from amane.vision.behavior import BehaviorConfig, CameraBehaviorConfig, load_behavior_config
from amane.vision.behavior.calibration import CalibrationConfig, GroundCalibration
from amane.vision.behavior.config import BehaviorConfigError
from amane.vision.behavior.geometry import Line, LineConfig, Zone, ZoneConfig

CAL = CalibrationConfig(
    image_points=[(100, 500), (700, 500), (520, 150), (280, 150)],
    ground_points=[(0, 0), (10, 0), (10, 30), (0, 30)],
)
coord = st.floats(min_value=-5.0, max_value=15.0, allow_nan=False)


@given(x=coord, y=st.floats(min_value=-2.0, max_value=40.0, allow_nan=False))
def test_calibration_round_trip(x: float, y: float) -> None:
    cal = GroundCalibration(CAL)
    back = cal.to_ground(cal.to_image(np.array([[x, y]])))
    assert np.allclose(back, [[x, y]], atol=1e-6)


def test_calibration_maps_its_points_and_measures_area() -> None:
    cal = GroundCalibration(CAL)
    assert np.allclose(cal.to_ground(np.array(CAL.image_points)), CAL.ground_points, atol=1e-6)
    assert cal.ground_area(np.array(CAL.image_points, dtype=float)) == pytest.approx(300.0)


def test_points_beyond_the_horizon_have_no_ground_position() -> None:
    cal = GroundCalibration(CAL)
    horizon_far = cal.to_ground(np.array([[400.0, -500.0]]))
    assert np.isnan(horizon_far).all()


@given(
    px=st.floats(min_value=-50, max_value=150, allow_nan=False),
    py=st.floats(min_value=-50, max_value=150, allow_nan=False),
)
def test_zone_contains_agrees_with_shapely(px: float, py: float) -> None:
    poly = [(0.0, 0.0), (100.0, 10.0), (80.0, 90.0), (10.0, 70.0)]
    zone = Zone(ZoneConfig(id="z", polygon=poly))
    expected = shapely.Polygon(poly).intersects(shapely.Point(px, py))
    assert bool(zone.contains(np.array([[px, py]]))[0]) == expected


@given(t=st.floats(min_value=-3, max_value=3, allow_nan=False), off=st.floats(min_value=0.5, max_value=50))
def test_line_side_sign(t: float, off: float) -> None:
    line = Line(LineConfig(id="l", points=((0.0, 0.0), (100.0, 0.0))))
    pts = np.array([[100 * t, off], [100 * t, -off]])
    assert line.side(pts).tolist() == pytest.approx([off, -off])


ZONES = [{"id": "a", "polygon": [[0, 0], [100, 0], [100, 100], [0, 100]]}]
CALIB = {"image_points": CAL.image_points, "ground_points": CAL.ground_points}


@pytest.mark.parametrize(
    ("camera", "error"),
    [
        ({"zones": ZONES, "rules": [{"type": "loitering", "zone": "a"}]}, None),
        ({"zones": ZONES, "calibration": CALIB, "rules": [{"type": "speed"}]}, None),
        ({"zones": ZONES, "rules": [{"type": "loitering", "zone": "b"}]}, "zone 'b' is not defined"),
        ({"rules": [{"type": "speed"}]}, "needs a 'calibration'"),
        (
            {"zones": ZONES, "rules": [{"type": "crowd", "zone": "a", "min_density_per_m2": 1.0}]},
            "calibration",
        ),
        ({"zones": ZONES, "rules": [{"type": "loitering", "zone": "a", "dwel_s": 3}]}, "Extra inputs"),
        ({"rules": [{"type": "teleport"}]}, "does not match any of the expected tags"),
        ({"zones": [*ZONES, *ZONES]}, "duplicate zone ids"),
        ({"zones": [{"id": "bow", "polygon": [[0, 0], [10, 10], [10, 0], [0, 10]]}]}, "simple"),
        ({"lines": [{"id": "l", "points": [[1, 1], [1, 1]]}]}, "1 pixel apart"),
        (
            {
                "calibration": {
                    "image_points": [[0, 0], [1, 1], [2, 2], [0, 5]],
                    "ground_points": CAL.ground_points,
                }
            },
            "on one line",
        ),
        (
            {
                "zones": ZONES,
                "rules": [{"type": "loitering", "zone": "a"}, {"type": "loitering", "zone": "a"}],
            },
            "share the name",
        ),
        (
            {"zones": ZONES, "rules": [{"type": "intrusion", "zone": "a", "timezone": "Mars/Olympus"}]},
            "time zone",
        ),
        (
            {"zones": ZONES, "rules": [{"type": "loitering", "zone": "a", "dwell_s": -1}]},
            "greater than or equal",
        ),
    ],
)
def test_camera_config_validation(camera: dict[str, object], error: str | None) -> None:
    if error is None:
        CameraBehaviorConfig.model_validate(camera)
        return
    with pytest.raises(ValidationError, match=error):
        CameraBehaviorConfig.model_validate(camera)


def test_load_config_names_the_file_and_key(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.yaml"
    path.write_text("cameras:\n  front:\n    rules:\n      - type: loitering\n        zone: nowhere\n")
    with pytest.raises(BehaviorConfigError, match=r"bad.yaml: cameras.front"):
        load_behavior_config(path)


def test_example_street_config_is_valid() -> None:
    from pathlib import Path

    cfg = load_behavior_config(Path(__file__).resolve().parents[3] / "examples" / "behavior-street.yaml")
    assert isinstance(cfg, BehaviorConfig)
    assert {r.type for r in cfg.cameras["street"].rules} >= {"loitering", "speed", "intrusion"}
