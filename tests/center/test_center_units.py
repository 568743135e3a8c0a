"""Units: registration and revocation by API and CLI, the fleet list, online from heartbeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from amane.cli import app as cli_app
from amane.core.messages import encode
from amane.store.models import Unit

from .conftest import World
from .test_center_alerts import make_alert


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"callsign": "MOTO-7", "kind": "motorcycle", "region": "anfa"}, 201),
        ({"callsign": "DRN-1", "kind": "drone", "region": "anfa"}, 201),
        ({"callsign": "RBT-1", "kind": "car", "region": "anfa"}, 409),
        ({"callsign": "bad callsign!", "kind": "car", "region": "anfa"}, 422),
        ({"callsign": "TANK-1", "kind": "tank", "region": "anfa"}, 422),
        ({"callsign": "CAR-9", "kind": "car"}, 422),
    ],
)
def test_register_unit_table(world: World, body: dict[str, str], status: int) -> None:
    world.login("admin")
    response = world.client.post("/api/v1/units", json=body)
    assert response.status_code == status, response.text
    if status == 201:
        token = response.json()["token"]
        assert token.startswith("amu_") and response.json()["unit"]["online"] is False
        alert = make_alert(unit=body["callsign"])
        posted = world.client.post(
            "/api/v1/alerts",
            content=encode(alert),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert posted.status_code == 201


def test_fleet_list_and_online_window(world: World) -> None:
    beat = {
        "unit_id": "RBT-2",
        "sent_at": datetime.now(UTC).isoformat(),
        "position": {"lat": 33.6, "lon": -7.5},
    }
    assert (
        world.client.post(
            "/api/v1/units/heartbeat", json=beat, headers=world.unit_headers("RBT-2")
        ).status_code
        == 200
    )
    world.login("operator")
    units = {u["callsign"]: u for u in world.client.get("/api/v1/units").json()}
    assert units["RBT-1"]["online"] is False and units["RBT-1"]["last_seen_at"] is None
    assert units["RBT-2"]["online"] is True and units["RBT-2"]["last_position"] == {"lat": 33.6, "lon": -7.5}
    assert set(units["RBT-2"]) == {
        "callsign",
        "kind",
        "region",
        "status",
        "online",
        "last_position",
        "heading_deg",
        "last_seen_at",
    }
    world.login("analyst")  # analysts see the fleet but not where crews are
    redacted = {u["callsign"]: u for u in world.client.get("/api/v1/units").json()}
    assert redacted["RBT-2"]["online"] is True and redacted["RBT-2"]["last_position"] is None
    world.login("operator")
    with world.center.db.writing() as session:
        session.execute(update(Unit).values(last_seen_at=datetime.now(UTC) - timedelta(seconds=31)))
    units = {u["callsign"]: u for u in world.client.get("/api/v1/units").json()}
    assert units["RBT-2"]["online"] is False


def test_cli_user_and_unit_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"AMANE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    added = runner.invoke(
        cli_app,
        ["user", "add", "chief", "--role", "supervisor", "--password-stdin"],
        input="a long password\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert "TOTP URI:    otpauth://totp/amane:chief" in added.output
    refused = runner.invoke(
        cli_app,
        ["user", "add", "sup2", "--role", "supervisor", "--password-stdin", "--no-mfa"],
        input="a long password\n",
        env=env,
    )
    assert refused.exit_code == 1 and "requires a TOTP" in refused.output
    demo = runner.invoke(
        cli_app,
        ["user", "add", "demo", "--role", "operator", "--password-stdin", "--no-mfa"],
        input="a long password\n",
        env=env,
    )
    assert demo.exit_code == 0 and "no second factor" in demo.output
    assert runner.invoke(cli_app, ["user", "reset-mfa", "chief"], env=env).exit_code == 0
    assert runner.invoke(cli_app, ["user", "disable", "demo"], env=env).exit_code == 0
    assert runner.invoke(cli_app, ["user", "disable", "ghost"], env=env).exit_code == 1
    unit = runner.invoke(cli_app, ["units", "add", "RBT-5", "--kind", "car", "--region", "anfa"], env=env)
    assert unit.exit_code == 0 and "token: amu_" in unit.output
    revoked = runner.invoke(cli_app, ["units", "revoke", "RBT-5"], env=env)
    assert revoked.exit_code == 0 and "revoked 1 token(s)" in revoked.output
    verified = runner.invoke(cli_app, ["audit", "verify"], env=env)
    assert verified.exit_code == 0 and "intact" in verified.output


def test_heartbeats_from_the_bus(sqlite_world: World) -> None:
    import asyncio

    from amane.bus import subjects
    from amane.core.messages import GeoPoint, Heartbeat

    world = sqlite_world
    beat = Heartbeat(unit_id="RBT-1", position=GeoPoint(lat=33.61, lon=-7.52), heading_deg=180.0)

    async def publish() -> None:
        await world.center.bus.publish(subjects.unit_heartbeat("RBT-1"), encode(beat))
        await world.center.bus.publish(
            subjects.unit_heartbeat("GHOST-9"), encode(beat)
        )  # wrong subject: dropped
        for _ in range(200):
            await asyncio.sleep(0.01)
            if world.center.writer.items:
                break

    world.client.portal.call(publish)  # type: ignore[union-attr]
    world.login("operator")
    units = {u["callsign"]: u for u in world.client.get("/api/v1/units").json()}
    assert units["RBT-1"]["online"] is True and units["RBT-1"]["heading_deg"] == 180.0
    assert units["RBT-1"]["last_position"] == {"lat": 33.61, "lon": -7.52}
