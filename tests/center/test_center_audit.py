"""The hash-chained audit log: intact chains verify; edited, removed, reordered, truncated rows are named."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from amane.center.audit import service as audit
from amane.cli import app as cli_app
from amane.store import Database, upgrade
from amane.store.models import AuditEntry

from .conftest import World


def _fill(db: Database, n: int) -> None:
    with db.writing() as session:
        for i in range(n):
            audit.append(
                session=session,
                actor=f"user:u{i % 3}",
                action="alert.search",
                target="alerts",
                details={"i": i, "text": "بحث"},
            )


def _problems(db: Database) -> list[str]:
    with db.reading() as session:
        _, problems = audit.verify(session=session)
    return [str(p) for p in problems]


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    upgrade(database.write_engine)
    _fill(database, 6)
    return database


def test_intact_chain_verifies(db: Database) -> None:
    assert _problems(db) == []
    with db.reading() as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))


def _swap_rows(db: Database, a: int, b: int) -> None:
    with db.writing() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == a).values(seq=-1))
        session.execute(update(AuditEntry).where(AuditEntry.seq == b).values(seq=a))
        session.execute(update(AuditEntry).where(AuditEntry.seq == -1).values(seq=b))


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("edit details", ["seq 3: row edited"]),
        ("edit actor", ["seq 4: row edited"]),
        ("remove row", ["seq 5: row(s) seq 4 removed"]),
        ("remove two rows", ["seq 5: row(s) seq 3..4 removed"]),
        (
            "reorder rows",
            [
                "seq 3: row edited",
                "seq 3: out of order: it was written after the row now at seq 4",
                "seq 4: row edited",
                "seq 4: out of order: it was written after the row now at seq 2",
            ],
        ),
        ("truncate tail", ["seq 6: row(s) seq 6..6 removed from the end"]),
    ],
)
def test_tampering_is_detected_and_named(db: Database, tamper: str, expected: list[str]) -> None:
    with db.writing() as session:
        if tamper == "edit details":
            session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(details={"i": 99}))
        elif tamper == "edit actor":
            session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(actor="user:someone-else"))
        elif tamper == "remove row":
            session.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
        elif tamper == "remove two rows":
            session.execute(delete(AuditEntry).where(AuditEntry.seq.in_([3, 4])))
        elif tamper == "truncate tail":
            session.execute(delete(AuditEntry).where(AuditEntry.seq == 6))
    if tamper == "reorder rows":
        _swap_rows(db, 3, 4)
    problems = _problems(db)
    for want in expected:
        assert any(p.startswith(want) for p in problems), (want, problems)


def test_rehashed_edit_is_still_caught_by_the_next_row(db: Database) -> None:
    """An attacker who edits a row AND recomputes its hash breaks the next row's link."""
    with db.writing() as session:
        row = session.get(AuditEntry, 3)
        assert row is not None
        row.details = {"i": 1234}
        row.hash = audit.row_hash(row)
    problems = _problems(db)
    assert any(p.startswith("seq 4:") for p in problems), problems


def test_concurrent_appends_form_one_chain(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db.write_engine)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                with db.writing() as session:
                    audit.append(session=session, actor=f"user:t{n}", action="alert.search", details={"i": i})
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.reading() as session:
        checked, problems = audit.verify(session=session)
    assert (checked, problems) == (60, [])
    db.dispose()


def test_audit_api_reads_are_audited(world: World) -> None:
    world.login("auditor")
    first = world.client.get("/api/v1/audit?limit=5").json()
    assert len(first) == 5 and first[0]["seq"] > first[-1]["seq"]
    again = world.client.get("/api/v1/audit?action=audit.read").json()
    assert again[0]["action"] == "audit.read" and again[0]["actor"] == "user:auditor1"
    assert world.client.get("/api/v1/audit?limit=0").status_code == 422


def test_cli_verify_names_the_tampered_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    db = Database(url)
    upgrade(db.write_engine)
    _fill(db, 4)
    runner = CliRunner()
    env = {"AMANE_DATABASE_URL": url}
    ok = runner.invoke(cli_app, ["audit", "verify"], env=env)
    assert ok.exit_code == 0 and "intact: 4 rows" in ok.output
    with db.writing() as session:
        session.execute(text("UPDATE audit_log SET target = 'x' WHERE seq = 2"))
    bad = runner.invoke(cli_app, ["audit", "verify"], env=env)
    assert bad.exit_code == 1 and "TAMPERED seq 2: row edited" in bad.output
    db.dispose()
