"""``amane dispatch``: import calls (audited), print KPIs as CSV, inspect a road graph."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from amane.cli import app as cli_app
from amane.store import Database
from amane.store.models import AuditEntry

pytestmark = pytest.mark.shared_data


def test_import_kpis_and_graph(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    monkeypatch.setenv("AMANE_DATABASE_URL", url)
    monkeypatch.setenv("AMANE_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    calls = shared_data / "calls" / "seattle_spd_calls_dennyblaine_2018-2023.csv"
    first = runner.invoke(cli_app, ["dispatch", "import-calls", str(calls)])
    assert first.exit_code == 0, first.output
    assert "imported 222 incidents" in first.output
    again = runner.invoke(cli_app, ["dispatch", "import-calls", str(calls)])
    assert "imported 0 incidents (222 already there)" in again.output
    db = Database(url)
    with db.session() as session:
        rows = (
            session.execute(select(AuditEntry).where(AuditEntry.action == "dispatch.import")).scalars().all()
        )
        assert [r.details["created"] for r in rows] == [222, 0]
    db.dispose()

    report = runner.invoke(cli_app, ["dispatch", "kpis", "--group-by", "overall"])
    assert report.exit_code == 0, report.output
    table = [r for r in csv.DictReader(io.StringIO(report.output)) if r.get("group_by")]
    assert table[0]["group"] == "all" and table[0]["incidents"] == "222" and table[0]["total_count"] == "186"
    bad = runner.invoke(cli_app, ["dispatch", "kpis", "--group-by", "weather"])
    assert bad.exit_code == 2

    graph = runner.invoke(cli_app, ["dispatch", "graph", str(shared_data / "maps" / "rabat_central.osm.xml")])
    assert graph.exit_code == 0 and "687 nodes, 878 directed edges" in graph.output
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"></osm>', encoding="utf-8")
    assert runner.invoke(cli_app, ["dispatch", "graph", str(empty)]).exit_code == 1
