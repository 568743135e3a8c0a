"""Rosters (rotation, duty now, gaps, off-duty units left out) and KPIs (by hand; CSV export audited)."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from amane.center.dispatch import kpi, roster
from amane.store.models import AuditEntry

from ..conftest import World
from .helpers import RABAT, add_unit, beat, take_call

ANCHOR = datetime(2026, 1, 1, 7, tzinfo=UTC)


def test_four_team_pattern_covers_every_shift_once() -> None:
    pattern = roster.four_teams_twelve_hours()
    assert len(pattern) == 16 and all(pattern.count(t) == 4 for t in "ABCD")
    worked = dict.fromkeys("ABCD", 0.0)
    for hour in range(0, 24 * 8):
        worked[roster.team_at(pattern, ANCHOR, 12, ANCHOR + timedelta(hours=hour))] += 1
    assert worked == dict.fromkeys("ABCD", 48)
    # nobody works more than two shifts in a row (days then nights), and a rest follows
    runs = [len(list(g)) for _, g in itertools.groupby(pattern * 2)]
    assert max(runs) <= 2


@settings(max_examples=80, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_rotation_properties(hours: float) -> None:
    pattern = roster.four_teams_twelve_hours()
    at = ANCHOR + timedelta(hours=hours)
    team = roster.team_at(pattern, ANCHOR, 12, at)
    assert team in "ABCD" and len(team) == 1  # always exactly one team on shift
    assert roster.team_at(pattern, ANCHOR, 12, at + timedelta(days=8)) == team  # the cycle is 8 days
    assert roster.team_at(pattern, ANCHOR, 12, at + timedelta(hours=12)) != team or (
        roster.team_at(pattern, ANCHOR, 12, at + timedelta(hours=24)) != team
    )  # never three shifts running


@pytest.mark.parametrize(
    ("hours_after_anchor", "team"), [(0, "A"), (11.9, "A"), (12, "D"), (48, "B"), (24 * 8, "A"), (-1, "C")]
)
def test_team_at_table(hours_after_anchor: float, team: str) -> None:
    at = ANCHOR + timedelta(hours=hours_after_anchor)
    assert roster.team_at(roster.four_teams_twelve_hours(), ANCHOR, 12, at) == team


def _roster(world: World) -> None:
    world.login("supervisor")
    for name, units in (("A", ["RBT-1"]), ("B", ["RBT-2"]), ("C", ["CAR-C"]), ("D", [])):
        response = world.client.put(
            "/api/v1/dispatch/teams",
            json={"region": "casa", "name": name, "units": units, "officers": [f"officer-{name.lower()}"]},
        )
        assert response.status_code == 200, response.text
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    response = world.client.put(
        "/api/v1/dispatch/rotations",
        json={"region": "casa", "anchor": anchor.isoformat(), "shift_hours": 12, "min_units": 1},
    )
    assert response.status_code == 200, response.text


def test_duty_now_and_off_duty_units_are_not_recommended(world: World) -> None:
    add_unit(world, "CAR-C")
    add_unit(world, "FREE-1")  # in no team: unrostered units are not filtered by the roster
    _roster(world)
    duty = world.client.get("/api/v1/dispatch/roster/now").json()
    assert duty == [{**duty[0], "region": "casa", "team": "A", "units": ["RBT-1"], "officers": ["officer-a"]}]
    for callsign, offset in (("RBT-1", 0.004), ("RBT-2", 0.001), ("CAR-C", 0.002), ("FREE-1", 0.006)):
        beat(world, callsign, RABAT[0] + offset, RABAT[1])
    iid = take_call(world)["incident"]["id"]
    rec = world.client.post(f"/api/v1/dispatch/incidents/{iid}/recommend").json()
    assert [(u["callsign"], u["rostered"]) for u in rec["units"]] == [("RBT-1", True), ("FREE-1", False)]
    reasons = {e["callsign"]: e["reason"] for e in rec["excluded"]}
    assert reasons == {"RBT-2": "off duty (roster)", "CAR-C": "off duty (roster)"}


def test_coverage_gaps_are_flagged_ahead(sqlite_world: World) -> None:
    world = sqlite_world
    _roster(world)  # team C's unit CAR-C is not registered, team D has no unit
    gaps = world.client.get("/api/v1/dispatch/roster/gaps", params={"hours": 96}).json()
    teams = sorted({g["team"] for g in gaps})
    assert teams == ["C", "D"]
    assert all(g["region"] == "casa" and g["units"] == 0 and g["needed"] == 1 for g in gaps)
    assert all(datetime.fromisoformat(g["start"]) < datetime.now(UTC) + timedelta(hours=96) for g in gaps)
    add_unit(world, "CAR-C")
    gaps = world.client.get("/api/v1/dispatch/roster/gaps", params={"hours": 96}).json()
    assert sorted({g["team"] for g in gaps}) == ["D"]


def _times(rows: Sequence[tuple[float, float | None, float | None, int, str, str]]) -> kpi.IncidentTimes:
    nan = float("nan")
    return kpi.IncidentTimes.from_labels(
        received=np.array([r[0] for r in rows], dtype=float),
        dispatched=np.array([nan if r[1] is None else r[1] for r in rows]),
        arrived=np.array([nan if r[2] is None else r[2] for r in rows]),
        priority=np.array([r[3] for r in rows]),
        region=[r[4] for r in rows],
        unit_kind=[r[5] for r in rows],
    )


def test_kpis_by_hand() -> None:
    rows = [  # received, dispatched, arrived, priority, region, kind
        (0, 60, 360, 1, "north", "car"),  # 60 / 300 / 360
        (0, 30, 630, 1, "north", "motorcycle"),  # 30 / 600 / 630: misses the 600 s P1 target
        (0, 120, 420, 1, "south", "car"),  # 120 / 300 / 420
        (0, 90, None, 2, "south", "car"),  # never arrived: only call-to-dispatch counts
        (0, None, None, 3, "south", "-"),  # nothing measured
        (100, 50, 400, 2, "north", "car"),  # dispatched before the call: negative, left out; total 300
    ]
    got = {r.group: r for r in kpi.compute(_times(rows), group_by="priority")}
    p1 = got["P1"]
    assert p1.incidents == 3
    assert (p1.call_to_dispatch.median_s, p1.dispatch_to_arrival.median_s, p1.total.median_s) == (
        60,
        300,
        420,
    )
    assert p1.total.p90_s == pytest.approx(420 + 0.8 * (630 - 420))  # linear between 2nd and 3rd of 3
    assert p1.within_target == pytest.approx(2 / 3) and p1.with_target == 3
    p2 = got["P2"]
    assert p2.call_to_dispatch.count == 1 and p2.call_to_dispatch.median_s == 90  # the negative one is out
    assert p2.total.count == 1 and p2.total.median_s == 300 and p2.within_target == 1.0
    assert got["P3"].total.count == 0 and got["P3"].within_target is None
    by_region = {r.group: r for r in kpi.compute(_times(rows), group_by="region")}
    assert by_region["north"].total.median_s == 360 and by_region["south"].incidents == 3
    by_kind = {r.group: r for r in kpi.compute(_times(rows), group_by="unit_kind")}
    assert by_kind["motorcycle"].within_target == 0.0
    overall = kpi.compute(_times(rows), group_by="overall")
    assert [r.group for r in overall] == ["all"] and overall[0].incidents == 6


def test_kpis_change_with_a_dispatch_and_csv_is_audited(world: World) -> None:
    beat(world, "RBT-1", RABAT[0] + 0.001, RABAT[1])
    world.login("operator")
    received = datetime.now(UTC) - timedelta(minutes=5)
    iid = take_call(
        world,
        nature_code="FIGHT",
        received_at=received.isoformat(),
        answered_at=(received + timedelta(seconds=5)).isoformat(),
    )["incident"]["id"]
    before = world.client.get("/api/v1/dispatch/kpis").json()["rows"]
    assert before[0]["call_to_dispatch"]["count"] == 0
    world.client.post(f"/api/v1/dispatch/incidents/{iid}/dispatch", json={"callsign": "RBT-1"})
    report = {"status": "on_scene", "at": datetime.now(UTC).isoformat()}
    world.client.post("/api/v1/dispatch/units/me/status", json=report, headers=world.unit_headers("RBT-1"))
    after = world.client.get("/api/v1/dispatch/kpis", params={"group_by": "region"}).json()
    row = after["rows"][0]
    assert row["group"] == "casa" and row["total"]["count"] == 1
    assert 295 < row["call_to_dispatch"]["median_s"] < 330
    assert row["within_target"] == 1.0  # P2 target 20 min
    response = world.client.get("/api/v1/dispatch/kpis.csv", params={"group_by": "region"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert table[0]["group"] == "casa" and table[0]["total_count"] == "1"
    with world.center.db.session() as session:
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "export.kpi_csv")).scalar_one()
        assert audit.actor == "user:operator1" and audit.details["rows"] == 1
    bad = world.client.get("/api/v1/dispatch/kpis", params={"targets": "ten,twenty"})
    assert bad.status_code == 422
