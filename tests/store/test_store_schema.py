"""Store: migrations on SQLite and PostgreSQL match the models, SQLite pragmas, UTC times, group commit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.orm import Session

from amane.store import Database, upgrade
from amane.store.migrate import current_revision, downgrade, head_revision
from amane.store.models import AuditHead, Base, Unit
from amane.store.testing import scratch_postgres_schema
from amane.store.writer import GroupCommitWriter


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'sub' / 'store.db'}")
        yield database
        database.dispose()
        return
    with scratch_postgres_schema(request.getfixturevalue("postgres_url")) as url:
        database = Database(url)
        yield database
        database.dispose()


def test_migrations_go_up_down_up_and_match_the_models(db: Database) -> None:
    upgrade(db.write_engine)
    upgrade(db.write_engine)  # idempotent
    assert current_revision(db.engine) == head_revision() is not None
    import amane.center.app  # noqa: F401  (every domain's models join Base.metadata)

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    with db.reading() as session:
        head = session.get(AuditHead, 1)
        assert head is not None and head.seq == 0
    downgrade(db.write_engine, "base")
    assert current_revision(db.engine) is None
    upgrade(db.write_engine)
    assert current_revision(db.engine) == head_revision()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, 13, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))),
        None,
    ],
)
def test_times_come_back_as_utc(db: Database, value: datetime | None) -> None:
    upgrade(db.write_engine)
    with db.writing() as session:
        session.add(
            Unit(
                callsign="T-1",
                kind="car",
                region="r",
                status="available",
                created_at=datetime.now(UTC),
                last_seen_at=value,
            )
        )
    with db.reading() as session:
        unit = session.query(Unit).one()
        if value is None:
            assert unit.last_seen_at is None
        else:
            assert unit.last_seen_at == value and unit.last_seen_at.tzinfo is not None
            assert unit.last_seen_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'n.db'}")
    upgrade(db.write_engine)
    with pytest.raises(Exception, match="naive datetime"), db.writing() as session:
        session.add(
            Unit(callsign="T-1", kind="car", region="r", status="available", created_at=datetime.now())
        )
        session.flush()
    db.dispose()


def _insert_units(session: Session, items: Sequence[str]) -> list[str]:
    for callsign in items:
        if callsign == "BAD":
            session.execute(text("INSERT INTO no_such_table VALUES (1)"))
        session.add(
            Unit(callsign=callsign, kind="car", region="r", status="available", created_at=datetime.now(UTC))
        )
    session.flush()
    return [f"ok:{c}" for c in items]


async def test_group_commit_batches_and_isolates_a_bad_item(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(db.write_engine)
    writer = GroupCommitWriter(db, {"unit": _insert_units}, max_batch=64)
    await writer.start()
    names = [f"U-{i}" for i in range(100)]
    results = await asyncio.gather(
        *(writer.submit("unit", n) for n in [*names[:50], "BAD", *names[50:]]), return_exceptions=True
    )
    await writer.stop()
    assert [r for r in results if isinstance(r, str)] == [f"ok:{n}" for n in names]
    assert sum(isinstance(r, Exception) for r in results) == 1
    assert writer.batches < 100  # batched, not one transaction per item
    with db.reading() as session:
        assert session.query(Unit).count() == 100
    with pytest.raises(KeyError):
        await writer.submit("nope", 1)
    db.dispose()
