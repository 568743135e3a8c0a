"""The synthetic scene renderer and the simulated city: deterministic, truthful boxes, routes on the grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.core.geometry import haversine_m
from amane.sim.city import RABAT, City, Route
from amane.sim.scene import PERSON, Scene, SceneConfig, plate_image
from amane.sim.source import SimCamera, SimSource


@pytest.mark.parametrize("seed", [0, 1, 99])
def test_same_seed_same_pixels_other_seed_other_pixels(seed: int) -> None:
    a = Scene(SceneConfig(width=320, height=180, seed=seed)).render(2.5)
    b = Scene(SceneConfig(width=320, height=180, seed=seed)).render(2.5)
    c = Scene(SceneConfig(width=320, height=180, seed=seed + 1)).render(2.5)
    assert np.array_equal(a[0], b[0]) and a[1] == b[1]
    assert not np.array_equal(a[0], c[0])


def test_truth_boxes_hold_the_drawn_actors() -> None:
    scene = Scene(SceneConfig(width=640, height=360, seed=4, vehicles=2, pedestrians=2))
    image, truth = scene.render(3.0)
    changed = np.any(image.astype(int) != scene.background.astype(int), axis=2)
    inside = np.zeros_like(changed)
    for t in truth:
        x1, y1, x2, y2 = (int(v) for v in t.box)
        inside[max(0, y1 - 2) : y2 + 3, max(0, x1 - 2) : x2 + 3] = True
        assert changed[y1:y2, x1:x2].mean() > 0.15, t  # something is drawn in each box
    assert not (changed & ~inside).any()  # and nothing outside them
    assert any(t.lingering and t.class_id == PERSON for t in truth)
    assert all(t.plate for t in truth if t.class_id != PERSON)


def test_the_lingerer_stays_and_walkers_cross() -> None:
    scene = Scene(SceneConfig(width=640, height=360, seed=2, vehicles=0, pedestrians=1))
    boxes = {t: {x.actor: x for x in scene.render(t)[1]} for t in (0.0, 4.0, 8.0)}
    lingerer = next(b for b in boxes[0.0].values() if b.lingering).actor
    xs = [boxes[t][lingerer].box[0] for t in boxes]
    assert max(xs) - min(xs) < 640 * 0.15


def test_plates_and_configured_plates_first() -> None:
    plate = plate_image("12345-ب-6", 30)
    assert plate.shape[0] == 30 and plate.shape[1] > 100 and plate.mean() > 150  # white plate, dark text
    scene = Scene(SceneConfig(width=320, height=180, seed=1, vehicles=2, plates=["777-أ-1"]))
    assert scene.actors[0].plate == "777-أ-1"


def test_live_source_drops_frames_it_was_too_slow_for() -> None:
    source = SimSource(
        [SimCamera("f", SceneConfig(width=64, height=48))], fps=50.0, realtime=True, duration_s=0.5
    )
    frames = []
    import time

    while (got := source.read()) is not None:
        frames += got
        time.sleep(0.05)  # a slow consumer: 20 reads a second of a 50 fps camera
    assert 5 <= len(frames) <= 13
    assert source.stats.frames_dropped >= 10
    assert [f.index for f in frames] == sorted({f.index for f in frames})


@settings(max_examples=40, deadline=None)
@given(number=st.integers(0, 500), distance=st.floats(0, 50_000))
def test_routes_stay_on_the_grid_near_rabat(number: int, distance: float) -> None:
    city = City(seed=3)
    route = city.route(number)
    lat, lon, heading = route.at(distance)
    assert haversine_m(RABAT[0], RABAT[1], lat, lon) < 1.5 * city.block_m * city.size
    assert 0.0 <= heading < 360.0
    assert route.at(distance + route.length_m)[0] == pytest.approx(lat, abs=1e-9)


def test_route_needs_two_points() -> None:
    with pytest.raises(ValueError, match="at least 2 points"):
        Route(((34.0, -6.8),))
