"""Road graph: OSM tag reading, graph building, snapping, one search ranking every origin, fallback."""

from __future__ import annotations

import doctest
import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amane.routing import RoadGraph, StraightLine, city_grid, graph, haversine_m, speeds, synthetic


@pytest.mark.parametrize("module", [speeds, graph, synthetic])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("tags", "kmh", "way"),
    [
        ({"highway": "residential"}, 30.0, 0),
        ({"highway": "primary", "maxspeed": "60"}, 60.0, 0),
        ({"highway": "primary", "maxspeed": "walk"}, 50.0, 0),  # unusable maxspeed: class default
        ({"highway": "secondary", "maxspeed": "50;30"}, 30.0, 0),
        ({"highway": "tertiary", "oneway": "yes"}, 40.0, 1),
        ({"highway": "tertiary", "oneway": "-1"}, 40.0, -1),
        ({"highway": "primary", "junction": "roundabout"}, 50.0, 1),
        ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, 50.0, 0),
        ({"highway": "motorway"}, 90.0, 1),
        ({"highway": "unknown_class"}, 25.0, 0),
    ],
)
def test_speed_and_direction_table(tags: dict[str, str], kmh: float, way: int) -> None:
    assert speeds.speed_kmh(tags) == kmh
    assert speeds.direction(tags) == way


@pytest.mark.parametrize(
    ("edges", "error"),
    [
        ([(0, 1, 5.0)], None),
        ([(0, 3, 5.0)], "node indices"),
        ([(0, 1, -1.0)], "finite and >= 0"),
        ([(0, 1, float("inf"))], "finite and >= 0"),
    ],
)
def test_from_edges_checks(edges: list[tuple[int, int, float]], error: str | None) -> None:
    if error is None:
        RoadGraph.from_edges(lat=[0.0, 0.0, 0.0], lon=[0.0, 0.001, 0.002], edges=edges)
        return
    with pytest.raises(ValueError, match=error):
        RoadGraph.from_edges(lat=[0.0, 0.0, 0.0], lon=[0.0, 0.001, 0.002], edges=edges)


def test_parallel_edges_keep_the_fastest_and_zero_cost_survives() -> None:
    g = RoadGraph.from_edges(lat=[0.0, 0.0], lon=[0.0, 0.001], edges=[(0, 1, 9.0), (0, 1, 4.0), (1, 0, 0.0)])
    assert g.edge_count == 2
    assert g.times_to((0.0, 0.001), [(0.0, 0.0)])[0] == pytest.approx(4.0)
    assert g.times_to((0.0, 0.0), [(0.0, 0.001)])[0] == pytest.approx(0.0, abs=1e-5)


def test_one_way_makes_the_way_back_long_and_unreachable_is_inf() -> None:
    # 0 -> 1 one way (10 s); back from 1 to 0 only around 1 -> 2 -> 0 (30 s); node 3 is cut off
    g = RoadGraph.from_edges(
        lat=[0.0, 0.0, 0.001, 0.01],
        lon=[0.0, 0.001, 0.0005, 0.01],
        edges=[(0, 1, 10.0), (1, 2, 15.0), (2, 0, 15.0), (2, 1, 15.0)],
    )
    times = g.times_to((0.0, 0.0), [(0.0, 0.001), (0.001, 0.0005), (0.01, 0.01)])
    assert times[:2].tolist() == pytest.approx([30.0, 15.0])
    assert np.isinf(times[2])


def test_bounded_search_is_exact_and_widens_until_enough() -> None:
    g = city_grid(side=40, seed=5)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, g.node_count, 200)
    origins = np.c_[g.lat[idx], g.lon[idx]]
    target = (float(g.lat[777]), float(g.lon[777]))
    full = g.times_to(target, origins)
    bounded = g.times_to(target, origins, need=20, horizon_s=30.0)
    reached = np.isfinite(bounded)
    assert reached.sum() >= 20
    assert np.allclose(bounded[reached], full[reached])
    assert np.all(full[~reached] >= bounded[reached].max())  # what was cut is farther than what was kept


def test_matches_networkx_on_a_generated_city() -> None:
    g = city_grid(side=25, seed=9)
    ref = nx.DiGraph()
    coo = g.forward.tocoo()
    for a, b, t in zip(coo.row, coo.col, coo.data, strict=True):
        ref.add_edge(int(a), int(b), t=float(t))
    target = 313
    nodes = [0, 50, 400, 624, 123]
    ours = g.times_to((float(g.lat[target]), float(g.lon[target])), np.c_[g.lat[nodes], g.lon[nodes]])
    lengths = nx.single_source_dijkstra_path_length(ref.reverse(copy=False), target, weight="t")
    for node, value in zip(nodes, ours, strict=True):
        assert value == pytest.approx(lengths.get(node, float("inf")), rel=1e-9)
    assert np.isfinite(ours).sum() >= 3


def test_generated_city_is_benchmark_sized() -> None:
    g = city_grid(side=180)
    assert g.edge_count >= 100_000
    one_way = g.edge_count < 4 * 180 * 179
    assert one_way  # some streets carry one direction only


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=-0.004, max_value=0.004),
    st.floats(min_value=-0.004, max_value=0.004),
)
def test_snap_finds_the_nearest_node(dlat: float, dlon: float) -> None:
    g = city_grid(side=10, seed=2)
    point = (float(g.lat[45]) + dlat, float(g.lon[45]) + dlon)
    snap = g.snap([point])
    brute = haversine_m(g.lat, g.lon, point[0], point[1])
    assert brute[snap.node[0]] == pytest.approx(brute.min(), rel=2e-3, abs=0.05)
    assert snap.gap_m[0] == pytest.approx(brute.min(), rel=2e-3, abs=0.05)


@settings(max_examples=60, deadline=None)
@given(st.floats(-80, 80), st.floats(-179, 179), st.floats(-0.5, 0.5), st.floats(-0.5, 0.5))
def test_haversine_symmetric_and_straight_line_scales(
    lat: float, lon: float, dlat: float, dlon: float
) -> None:
    a = float(haversine_m(lat, lon, lat + dlat, lon + dlon))
    b = float(haversine_m(lat + dlat, lon + dlon, lat, lon))
    assert a == pytest.approx(b) and a >= 0
    model = StraightLine(detour=1.5, speed_mps=10.0)
    assert float(model.times_to((lat, lon), [(lat + dlat, lon + dlon)])[0]) == pytest.approx(a * 0.15)


@pytest.mark.parametrize(("detour", "speed", "ok"), [(1.4, 8.0, True), (0.9, 8.0, False), (1.4, 0.0, False)])
def test_straight_line_checks(detour: float, speed: float, ok: bool) -> None:
    if ok:
        StraightLine(detour=detour, speed_mps=speed)
    else:
        with pytest.raises(ValueError):
            StraightLine(detour=detour, speed_mps=speed)


def test_routes_follow_the_search_tree_and_add_up() -> None:
    g = city_grid(side=30, seed=4)
    nodes = [5, 200, 640, 899]
    target_node = 450
    search = g.search(
        (float(g.lat[target_node]), float(g.lon[target_node])), np.c_[g.lat[nodes], g.lon[nodes]]
    )
    index = {(float(a), float(b)): i for i, (a, b) in enumerate(zip(g.lat, g.lon, strict=True))}
    for i, node in enumerate(nodes):
        route = search.route(i)
        if not np.isfinite(search.times[i]):
            assert route == []
            continue
        path = [index[p] for p in route[1:-1]]  # the road nodes between the two end points
        assert path[0] == node and path[-1] == target_node
        total = sum(float(g.forward[a, b]) for a, b in itertools.pairwise(path))
        assert total == pytest.approx(search.times[i], rel=1e-9)  # every hop is a real, directed edge
