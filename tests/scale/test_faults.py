"""Nothing is lost, nothing is doubled: a centre worker killed with -9, NATS and PostgreSQL restarted,
each in the middle of an alert stream. Real ``amane center`` processes, real NATS JetStream and
PostgreSQL; the restarted services are private ones on free ports (never the machine's shared ones).

CI sizes (1,500-2,000 alerts); ``benchmarks/scale.py`` runs the 10,000-alert versions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from amane.bus.nats import NatsBus
from amane.scale.load import count_rows, make_alerts, publish_alerts, tally, wait_rows
from amane.scale.services import CenterProcess, NatsServer, PostgresCluster, free_port
from amane.store import Database, upgrade

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.slow]


def _worker(database_url: str, bus_url: str, tmp_path: Path, name: str) -> CenterProcess:
    env = {"AMANE_DATABASE_URL": database_url, "AMANE_BUS_URL": bus_url,
           "AMANE_DATA_DIR": str(tmp_path / name)}
    return CenterProcess(free_port(), env, tmp_path / f"{name}.log")


@contextmanager
def _database(url: str) -> Iterator[Database]:
    db = Database(url)
    upgrade(db.write_engine)  # once, before the workers (they would wait on the advisory lock anyway)
    try:
        yield db
    finally:
        db.dispose()


async def _when_rows(db: Database, at_least: int) -> None:
    await wait_rows(db, at_least, timeout_s=60, poll_s=0.05)


async def test_a_worker_killed_with_minus_9_mid_stream_loses_nothing(
    scratch_db: str, scratch_bus: str, tmp_path: Path
) -> None:
    alerts = make_alerts(1500, units=20, seed=1)
    with _database(scratch_db) as db:
        workers = [_worker(scratch_db, scratch_bus, tmp_path, n).start() for n in ("a", "b")]
        try:
            for w in workers:
                await asyncio.to_thread(w.wait_healthy)
            unit = NatsBus(scratch_bus)
            sending = asyncio.create_task(publish_alerts(unit, alerts, concurrency=16, rate_per_s=300))
            await _when_rows(db, 300)
            rows_at_kill = count_rows(db)
            workers[0].kill9()  # its fetched-but-unacked alerts come back after ack_wait (2 s)
            await asyncio.sleep(0.5)
            workers[0].start()
            await sending
            await unit.close()
            await wait_rows(db, len(alerts), timeout_s=60)
            await asyncio.to_thread(workers[0].wait_healthy)
        finally:
            for w in workers:
                w.stop()
        result = tally("kill -9 centre worker", alerts, db)
    assert rows_at_kill < len(alerts) // 2, "the kill should land mid-stream"
    assert (result.lost, result.duplicated, result.stored) == (0, 0, len(alerts)), result


async def test_nats_then_postgres_restarted_mid_stream_loses_nothing(
    private_nats: NatsServer, private_postgres: PostgresCluster, tmp_path: Path
) -> None:
    private_nats.start()
    bus_url = f"{private_nats.url}?ack_wait_s=2&fetch_timeout_s=0.25"
    alerts = make_alerts(2000, units=20, seed=2)
    with _database(private_postgres.url) as db:
        worker = _worker(private_postgres.url, bus_url, tmp_path, "a").start()
        try:
            await asyncio.to_thread(worker.wait_healthy)
            unit = NatsBus(bus_url)
            sending = asyncio.create_task(publish_alerts(unit, alerts, concurrency=16, rate_per_s=250))
            await _when_rows(db, 400)
            rows_at_nats_kill = count_rows(db)
            private_nats.kill()  # kill -9 the broker; units and the centre reconnect by themselves
            await asyncio.sleep(1.0)
            private_nats.start()
            await _when_rows(db, 1200)
            rows_at_pg_stop = count_rows(db)
            await asyncio.to_thread(private_postgres.stop, "immediate")  # a crash: WAL recovery at start
            await asyncio.sleep(1.0)
            await asyncio.to_thread(private_postgres.start)
            await sending
            await unit.close()
            await wait_rows(db, len(alerts), timeout_s=60)
        finally:
            worker.stop()
        result = tally("restart NATS then PostgreSQL", alerts, db)
    assert rows_at_nats_kill < rows_at_pg_stop < len(alerts), "both faults should land mid-stream"
    assert (result.lost, result.duplicated, result.stored) == (0, 0, len(alerts)), result
