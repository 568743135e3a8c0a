"""Fault-test fixtures: private NATS/PostgreSQL on free ports; scratch schemas, namespaces on shared ones."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from amane.bus.nats import NatsBus
from amane.scale.services import NatsServer, PostgresCluster, nats_available, postgres_available
from amane.store.testing import scratch_postgres_schema


@pytest.fixture
def scratch_db(postgres_url: str) -> Iterator[str]:
    """A fresh schema on the shared PostgreSQL (dropped afterwards)."""
    with scratch_postgres_schema(postgres_url) as url:
        yield url


async def _drop_streams(url: str) -> None:
    cleaner = NatsBus(url)
    try:
        await cleaner.delete_streams()
    except ConnectionError:
        pass
    await cleaner.close()


@pytest.fixture
async def scratch_bus(nats_url: str) -> AsyncIterator[str]:
    """A bus URL with its own namespace on the shared NATS; its streams are deleted afterwards."""
    url = f"{nats_url}?namespace=s{secrets.token_hex(4)}&ack_wait_s=2&fetch_timeout_s=0.25"
    yield url
    await _drop_streams(url)


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A private nats-server with JetStream (file store under tmp_path), not started yet."""
    if not nats_available():
        pytest.skip("nats-server is not installed")
    server = NatsServer(tmp_path / "nats")
    yield server
    server.kill()


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster, initialised and started; stopped and removed afterwards.

    Its directory is made directly under the system temp dir: when the tests run as root the
    cluster runs as ``postgres``, which must be able to reach it.
    """
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries are not installed")
    workdir = Path(tempfile.mkdtemp(prefix="amane-pg-"))
    cluster = PostgresCluster(workdir)
    try:
        cluster.init().start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(workdir, ignore_errors=True)
