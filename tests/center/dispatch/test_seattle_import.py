"""Real calls for service (Seattle Police, Denny-Blaine 2018-2023): import, then KPIs checked by hand."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from amane.center.dispatch.importer import import_seattle_calls

from ..conftest import World

pytestmark = pytest.mark.shared_data
LOCAL = ZoneInfo("America/Los_Angeles")


def _when(text: str) -> datetime:
    month, day, rest = text.split("/", 2)
    year, clock, half = rest.split(" ")
    hour, minute, second = (int(x) for x in clock.split(":"))
    hour = hour % 12 + (12 if half == "PM" else 0)
    return datetime(int(year), int(month), int(day), hour, minute, second, tzinfo=LOCAL)


def test_import_and_kpis_match_hand_computation(sqlite_world: World, shared_data: Path) -> None:
    path = shared_data / "calls" / "seattle_spd_calls_dennyblaine_2018-2023.csv"
    with sqlite_world.center.db.writing() as session:
        created, skipped = import_seattle_calls(session=session, path=path)
    assert (created, skipped) == (222, 0)
    with sqlite_world.center.db.writing() as session:
        assert import_seattle_calls(session=session, path=path) == (0, 222)  # a second import adds nothing

    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    # a few rows by hand: 6:08:26 PM -> 6:51:06 PM is 42 min 40 s; an on-view call arrives when it is queued
    first = next(r for r in rows if r["CAD Event Number"] == "2023000319821")
    assert (_when(first["Arrived Time"]) - _when(first["Original Time Queued"])).total_seconds() == 2560
    onview = next(r for r in rows if r["CAD Event Number"] == "2023000154966")
    assert onview["Arrived Time"] == onview["Original Time Queued"]

    totals: dict[int, list[float]] = {}
    for r in rows:
        if r["Arrived Time"]:
            seconds = (_when(r["Arrived Time"]) - _when(r["Original Time Queued"])).total_seconds()
            totals.setdefault(int(r["Priority"]), []).append(seconds)
    targets = {1: 600.0, 2: 1200.0, 3: 2400.0, 4: 3600.0}

    sqlite_world.login("analyst")
    report = sqlite_world.client.get("/api/v1/dispatch/kpis", params={"group_by": "priority"}).json()
    got = {row["group"]: row for row in report["rows"]}
    assert sum(row["incidents"] for row in got.values()) == 222
    assert sum(row["total"]["count"] for row in got.values()) == 222 - 36  # 36 calls saw no unit arrive
    for priority, values in totals.items():
        row = got[f"P{priority}"]
        assert row["incidents"] == sum(1 for r in rows if int(r["Priority"]) == priority)
        assert row["total"]["count"] == len(values)
        assert row["total"]["median_s"] == pytest.approx(float(np.percentile(values, 50)))
        assert row["total"]["p90_s"] == pytest.approx(float(np.percentile(values, 90)))
        assert row["call_to_dispatch"]["count"] == 0  # the open data has no dispatch time
        if priority in targets:
            met = sum(1 for v in values if v <= targets[priority])
            assert row["within_target"] == pytest.approx(met / len(values))
        else:
            assert row["within_target"] is None
    regional = sqlite_world.client.get(
        "/api/v1/dispatch/kpis", params={"group_by": "overall", "region": "C3"}
    ).json()
    everything = [v for values in totals.values() for v in values]
    assert regional["rows"][0]["total"]["median_s"] == pytest.approx(float(np.median(everything)))
