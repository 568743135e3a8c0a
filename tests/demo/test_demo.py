"""`amane demo` brings up a living centre: units report positions and post alerts with evidence."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import create_engine, text

from amane.core.messages import GeoPoint, UnitKind
from amane.demo.runner import FLEET, run_demo
from amane.demo.scripted import ScriptedUnit, position_on_loop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_demo_runs_units_that_move_and_post_alerts(tmp_path: Path) -> None:
    await run_demo(data_dir=tmp_path, port=_free_port(), duration_s=9.0)
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        units = conn.execute(text("SELECT count(*) FROM units")).scalar_one()
        alerts = conn.execute(text("SELECT count(*) FROM alerts")).scalar_one()
        evidence = conn.execute(text("SELECT count(*) FROM alert_evidence")).scalar_one()
    engine.dispose()
    assert units == len(FLEET)
    assert alerts >= 1
    assert evidence == alerts


def test_units_drive_a_loop_and_head_along_it() -> None:
    unit = ScriptedUnit("X", UnitKind.CAR, "r", "t", GeoPoint(lat=34.0, lon=-6.8), 500.0, 10.0)
    start, heading0 = position_on_loop(unit, 0.0)
    later, _ = position_on_loop(unit, 10.0)
    assert abs(start.lat - (34.0 + 500 / 111_320)) < 1e-9
    assert heading0 == 90.0
    assert later.lon > start.lon  # clockwise from north: heading east
