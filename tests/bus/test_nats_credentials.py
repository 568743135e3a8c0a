"""Per-unit NATS accounts against a private nats-server running the generated configuration.

A unit may publish only on its own ``amane.unit.<id>.>`` subjects and read only its own inbox and
its region's broadcasts; the centre may do everything. Checked by connecting as each user.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import nats
import nats.errors
import pytest
from nats.aio.client import Client

from amane.bus import subjects
from amane.bus.credentials import (
    UnitAccount,
    load_or_create_secret,
    password_for,
    server_config,
    unit_bus_url,
)
from amane.bus.nats import NatsBus
from amane.core.messages import Alert, AlertKind, Severity, encode
from amane.scale.services import NatsServer, nats_available

UNITS = [UnitAccount(unit_id="RBT-1", region="casa"), UnitAccount(unit_id="RBT-2", region="rabat")]
SECRET = b"k" * 44


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    if not nats_available():
        pytest.skip("nats-server is not installed")
    config = server_config(UNITS, secret=SECRET, rounds=4)
    running = NatsServer(tmp_path_factory.mktemp("nats"), config=config).start()
    yield running
    running.kill()


@pytest.fixture
async def errors() -> AsyncIterator[list[str]]:
    yield []


async def _connect(server: NatsServer, user: str, errors: list[str]) -> Client:
    async def on_error(err: Exception) -> None:
        errors.append(str(err))

    return await nats.connect(server.url, user=user, password=password_for(SECRET, user),
                              inbox_prefix=f"_INBOX.{user}", error_cb=on_error, allow_reconnect=False)


async def _reaches(
    server: NatsServer, errors: list[str], *, sender: str, receiver: str, subject: str
) -> bool:
    """Whether ``receiver`` gets what ``sender`` publishes on ``subject``."""
    rx, tx = await _connect(server, receiver, errors), await _connect(server, sender, errors)
    try:
        sub = await rx.subscribe(subject)
        await rx.flush()
        await tx.publish(subject, b"hello")
        await tx.flush()
        try:
            msg = await sub.next_msg(timeout=2.0)
        except nats.errors.TimeoutError:
            return False
        return msg.data == b"hello"
    finally:
        await rx.close()
        await tx.close()


@pytest.mark.parametrize(
    ("sender", "receiver", "subject", "allowed"),
    [
        ("RBT-1", "center", "amane.unit.RBT-1.alert", True),  # its own alerts
        ("RBT-1", "center", "amane.unit.RBT-1.heartbeat", True),
        ("RBT-1", "center", "amane.unit.RBT-2.alert", False),  # posing as another unit
        ("RBT-1", "center", "amane.inbox.RBT-2", False),  # writing another unit's orders
        ("RBT-1", "center", "amane.center.live", False),  # the dashboards' feed
        ("RBT-1", "center", "amane.broadcast.casa", False),  # broadcasting to its region
        ("center", "RBT-1", "amane.inbox.RBT-1", True),  # reading its own inbox
        ("center", "RBT-1", "amane.broadcast.casa", True),  # its region's broadcasts
        ("center", "RBT-1", "amane.inbox.RBT-2", False),  # another unit's inbox
        ("center", "RBT-1", "amane.broadcast.rabat", False),  # another region
        ("center", "RBT-1", "amane.unit.RBT-2.alert", False),  # another unit's alerts
        ("RBT-2", "center", "amane.unit.RBT-2.message", True),
    ],
)
async def test_unit_permissions(
    server: NatsServer, errors: list[str], sender: str, receiver: str, subject: str, allowed: bool
) -> None:
    reached = await _reaches(server, errors, sender=sender, receiver=receiver, subject=subject)
    tries = 1
    while allowed and not reached and tries < 5:  # a busy CI machine: give delivery another go
        await asyncio.sleep(0.5 * tries)
        reached = await _reaches(server, errors, sender=sender, receiver=receiver, subject=subject)
        tries += 1
    assert reached is allowed, f"{sender} -> {receiver} on {subject}: {tries} tries, client errors {errors}"
    if not allowed:
        assert any("permissions violation" in e.lower() for e in errors), errors


async def test_wrong_password_is_refused(server: NatsServer) -> None:
    with pytest.raises(nats.errors.Error):
        await nats.connect(server.url, user="RBT-1", password=password_for(b"z" * 44, "RBT-1"),
                           allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)


async def test_a_unit_publishes_its_alerts_to_jetstream_with_its_own_url(server: NatsServer) -> None:
    """The whole path: the centre makes the streams, a unit's bus_url publishes and gets JetStream's ack."""
    center = NatsBus(unit_bus_url(f"{server.url}?fetch_timeout_s=0.2", "center", SECRET))
    unit = NatsBus(unit_bus_url(f"{server.url}?publish_timeout_s=1", "RBT-1", SECRET))
    try:
        sub = await center.subscribe(subjects.ALL_ALERTS, durable="center-alerts")
        alert = Alert(kind=AlertKind.SOS, severity=Severity.CRITICAL, unit_id="RBT-1",
                      observed_at=datetime.now(UTC))
        await unit.publish(subjects.unit_alert("RBT-1"), encode(alert))
        with pytest.raises(ConnectionError):  # another unit's subject: no JetStream ack comes
            await unit.publish(subjects.unit_alert("RBT-2"), encode(alert))
        async with asyncio.timeout(10):
            async for delivery in sub:
                assert delivery.subject == "amane.unit.RBT-1.alert"
                await center.ack(delivery)
                break
        assert (await center.stream_info("ALERTS"))["messages"] == 1
    finally:
        await unit.close()
        await center.close()


@pytest.mark.parametrize(
    ("unit_id", "region", "ok"),
    [("RBT-12", "casa", True), ("A.B", "casa", False), ("RBT-1", "casa.north", False), ("*", "x", False),
     ("center", "casa", None)],
)
def test_accounts_refuse_ids_that_break_subjects(unit_id: str, region: str, ok: bool | None) -> None:
    if ok is False:
        with pytest.raises(ValueError):
            UnitAccount(unit_id=unit_id, region=region)
        return
    account = UnitAccount(unit_id=unit_id, region=region)
    if ok is None:  # valid as an id, but reserved for the centre's user
        with pytest.raises(ValueError, match="reserved"):
            server_config([account], secret=SECRET, rounds=4)
        return
    assert f'"amane.unit.{unit_id}.>"' in server_config([account], secret=SECRET, rounds=4)


def test_secret_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "nats.secret"
    first = load_or_create_secret(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(path) == first
    assert password_for(first, "RBT-1") != password_for(first, "RBT-2")
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="too short"):
        load_or_create_secret(path)


@pytest.mark.parametrize(
    ("args", "code", "expect"),
    [
        (["config", "--no-db", "--unit", "RBT-1:casa", "--unit", "RBT-2:rabat"], 0, "amane.broadcast.rabat"),
        (["config", "--no-db", "--unit", "RBT-1"], 2, "ID:REGION"),
        (["config", "--no-db", "--unit", "A.B:casa"], 2, "--unit A.B:casa"),
        (["url", "RBT-1", "--server", "nats://10.0.0.5:4222"], 0, "manage_streams=false"),
        (["url", "center", "--server", "http://x"], 2, "nats://host:port"),
    ],
)
def test_nats_cli(args: list[str], code: int, expect: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from amane.bus.cli import nats_app

    result = CliRunner().invoke(nats_app, [*args, "--secret-file", str(tmp_path / "secret")])
    assert result.exit_code == code, result.output
    assert expect in result.output
