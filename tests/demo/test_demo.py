"""`amane demo` brings up a living centre: simulated units run the real pipeline, report and alert."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from amane.demo.runner import DEMO_HOTLIST, demo_fleet, run_demo, write_hotlist
from amane.watchlists.hotlist import Hotlist
from tests.e2e.serving import free_port


def test_the_demo_hotlist_carries_governance(tmp_path: Path) -> None:
    write_hotlist(tmp_path / "h.db")
    write_hotlist(tmp_path / "h.db")  # replaced, not appended
    hotlist = Hotlist(tmp_path / "h.db")
    entries = list(hotlist)
    hotlist.close()
    assert len(entries) == len(DEMO_HOTLIST)
    assert all(e.legal_basis and e.agency and e.expires_at for e in entries)


async def test_demo_units_report_positions_and_alerts_reach_the_centre(tmp_path: Path) -> None:
    fleet = demo_fleet(tmp_path, cars=1, motorcycles=1).model_copy(update={"heartbeat_s": 1.0})
    await run_demo(data_dir=tmp_path, port=free_port(), duration_s=25.0, fleet=fleet)
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        units = conn.execute(text("SELECT callsign, last_lat FROM units")).all()
        alerts = conn.execute(text("SELECT kind FROM alerts")).scalars().all()
        users = conn.execute(text("SELECT role FROM users WHERE username = 'demo'")).scalars().all()
    engine.dispose()
    assert len(units) == 2
    assert all(lat is not None for _, lat in units), "every unit reported a position"
    assert users == ["operator"]
    assert alerts, "the simulated scenes raised at least one alert"
