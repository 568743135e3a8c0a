"""Scale-out: embedded (SQLite + in-process bus) vs PostgreSQL + NATS JetStream with 1 and 2 centre workers,
and the fault runs (kill -9 a worker, restart NATS then PostgreSQL) at full size.

Every mode runs real ``amane center`` processes. Alerts come from simulated units: over HTTP in the
embedded mode (the only way in from outside its process), over NATS in the scaled modes (the way
units publish there). A dashboard in its own process holds a WebSocket on the *last* worker.

Three phases per mode. *Latency*: 500 alerts paced at 50/s (well under capacity), ``p99_ms`` = unit
publish -> dashboard ``alert.new``. *Throughput*: N alerts sent flat out (64 in flight),
``alerts_per_s`` = N / time from the first send until the dashboard has shown every one
(``stored_per_s``: until all are in the database). *Positions*: 1,000 simulated units each sending
a position every 2 s: positions offered and shown per second, p99 from the centre's receipt to the
dashboard. Faults: ``sent``/``stored``/``lost``/``duplicated``.

    .venv/bin/python benchmarks/scale.py --quick --json /tmp/scale.json   # 2,000-alert streams, ~5 min
    .venv/bin/python benchmarks/scale.py --json /tmp/scale.json           # 10,000-alert streams
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import websockets

from amane.bus import subjects
from amane.bus.nats import NatsBus
from amane.center.units.service import register_unit
from amane.center.users.service import create_user
from amane.core.messages import Alert, GeoPoint, Heartbeat, encode
from amane.scale.load import count_rows, make_alerts, publish_alerts, tally, wait_rows
from amane.scale.services import CenterProcess, NatsServer, PostgresCluster, free_port
from amane.store import Database, upgrade
from amane.store.testing import scratch_postgres_schema

POSTGRES_URL = os.environ.get("AMANE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
NATS_URL = os.environ.get("AMANE_TEST_NATS", "nats://127.0.0.1:4222")
PASSWORD = "scale benchmark operator"
ALERT_UNITS = 20


@dataclass(frozen=True)
class Plan:
    alerts: int
    fault_alerts: int
    position_units: int
    position_period_s: float
    position_seconds: float
    latency_alerts: int = 500
    latency_rate_per_s: float = 50.0


# --- the dashboard, in its own process ------------------------------------------------------------

async def _dashboard(base_url: str, ready: Any, stop: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        login = await client.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD})
        login.raise_for_status()
    ws_url = base_url.replace("http://", "ws://") + f"/api/v1/live?token={login.json()['token']}"
    alerts: dict[str, float] = {}
    repeats = 0
    positions: list[float] = []
    async with websockets.connect(ws_url, max_size=2**22) as socket:
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.time()
            event = json.loads(raw)
            if event["type"] == "alert.new":
                if event["data"]["id"] in alerts:
                    repeats += 1
                alerts.setdefault(event["data"]["id"], now)
            elif event["type"] == "unit.position":
                seen = datetime.fromisoformat(event["data"]["last_seen_at"]).timestamp()
                positions.append(now - seen)
    return {"alerts": alerts, "repeats": repeats, "positions": positions}


def dashboard_main(base_url: str, ready: Any, stop: Any, out: Any) -> None:
    out.put(asyncio.run(_dashboard(base_url, ready, stop)))


# --- units ----------------------------------------------------------------------------------------

async def _post_alerts(base_urls: list[str], tokens: dict[str, str], alerts: list[Alert],
                       sent_at: dict[str, float], *, concurrency: int, rate_per_s: float | None) -> None:
    """Units posting over HTTP: ``concurrency`` requests in flight, paced at ``rate_per_s`` when given."""
    queue: asyncio.Queue[Alert] = asyncio.Queue()
    for alert in alerts:
        queue.put_nowait(alert)
    start, started = time.monotonic(), 0
    callsigns = [f"SCALE-{i:04d}" for i in range(ALERT_UNITS)]

    async def unit(n: int) -> None:
        nonlocal started
        callsign = callsigns[n % len(callsigns)]
        headers = {"Authorization": f"Bearer {tokens[callsign]}", "Content-Type": "application/json"}
        base = base_urls[n % len(base_urls)]
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            while not queue.empty():
                alert = queue.get_nowait().model_copy(update={"unit_id": callsign})
                if rate_per_s is not None:
                    started += 1
                    await asyncio.sleep(max(0.0, start + started / rate_per_s - time.monotonic()))
                sent_at[str(alert.id)] = time.time()
                (await client.post("/api/v1/alerts", content=encode(alert))).raise_for_status()

    await asyncio.gather(*(unit(n) for n in range(concurrency)))


async def _positions(plan: Plan, send: Any) -> int:
    """``position_units`` units, each a heartbeat every ``position_period_s``, for ``position_seconds``."""
    sent = 0
    start = time.monotonic()
    ticks = int(plan.position_seconds / plan.position_period_s)
    for tick in range(ticks):
        slot_start = start + tick * plan.position_period_s
        per_unit_gap = plan.position_period_s / plan.position_units
        batch = []
        for u in range(plan.position_units):  # spread over the period, as real units are
            delay = slot_start + u * per_unit_gap - time.monotonic()
            if delay > 0 and u % 50 == 0:
                await asyncio.sleep(delay)
            beat = Heartbeat(unit_id=f"POS-{u:04d}", sent_at=datetime.now(UTC),
                             position=GeoPoint(lat=33.5 + tick * 1e-4, lon=-7.6 + u * 1e-5), speed_mps=9.0)
            batch.append(send(beat))
            if len(batch) >= 50:
                await asyncio.gather(*batch)
                sent += len(batch)
                batch = []
        await asyncio.gather(*batch)
        sent += len(batch)
    return sent


# --- one mode ---------------------------------------------------------------------------------------

def _prepare(database_url: str, plan: Plan) -> dict[str, str]:
    db = Database(database_url)
    upgrade(db.write_engine)
    tokens = {}
    with db.writing() as session:
        create_user(session=session, username="op", role="operator", password=PASSWORD, mfa=False)
        callsigns = [f"SCALE-{i:04d}" for i in range(ALERT_UNITS)]
        callsigns += [f"POS-{i:04d}" for i in range(plan.position_units)]
        for callsign in callsigns:
            _, tokens[callsign] = register_unit(session=session, callsign=callsign, kind="car", region="casa")
    db.dispose()
    return tokens


@contextlib.contextmanager
def _backing(kind: str, workdir: Path) -> Iterator[tuple[str, str]]:
    if kind == "embedded":
        yield f"sqlite:///{workdir / 'center.db'}", "memory://"
        return
    namespace = f"b{secrets.token_hex(4)}"
    with scratch_postgres_schema(POSTGRES_URL) as url:
        bus_url = f"{NATS_URL}?namespace={namespace}&ack_wait_s=10"
        try:
            yield url, bus_url
        finally:
            async def drop() -> None:
                bus = NatsBus(bus_url)
                await bus.delete_streams()
                await bus.close()
            asyncio.run(drop())


def run_mode(name: str, kind: str, workers: int, plan: Plan) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="amane-scale-"))
    with _backing(kind, workdir) as (database_url, bus_url):
        tokens = _prepare(database_url, plan)
        env = {"AMANE_DATABASE_URL": database_url, "AMANE_BUS_URL": bus_url, "AMANE_DATA_DIR": str(workdir),
               "AMANE_LIVE_QUEUE_SIZE": str(max(512, 2 * plan.alerts)), "AMANE_UNIT_ONLINE_SECONDS": "60"}
        procs = [CenterProcess(free_port(), env, workdir / f"w{i}.log") for i in range(workers)]
        ctx = mp.get_context("spawn")
        ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
        try:
            procs[0].start().wait_healthy(120)  # the first one migrates
            for p in procs[1:]:
                p.start().wait_healthy(120)
            dash = ctx.Process(target=dashboard_main, args=(procs[-1].base_url, ready, stop, out))
            dash.start()
            if not ready.wait(60):
                raise RuntimeError("the dashboard did not connect")
            bases = [p.base_url for p in procs]
            db = Database(database_url)
            paced = make_alerts(plan.latency_alerts, units=ALERT_UNITS, seed=8)
            paced_sent: dict[str, float] = {}
            asyncio.run(_send(kind, "latency", paced, bus_url, tokens, bases, paced_sent, plan))
            asyncio.run(wait_rows(db, len(paced), timeout_s=300))
            alerts = make_alerts(plan.alerts, units=ALERT_UNITS, seed=7)
            sent_at: dict[str, float] = {}
            t0 = time.time()
            asyncio.run(_send(kind, "throughput", alerts, bus_url, tokens, bases, sent_at, plan))
            asyncio.run(wait_rows(db, len(paced) + len(alerts), timeout_s=300, poll_s=0.05))
            stored_s = time.time() - t0
            offered = asyncio.run(_send(kind, "positions", [], bus_url, tokens, bases, {}, plan))
            time.sleep(2.0)  # let the last live events reach the dashboard
            stop.set()
            seen = out.get(timeout=120)
            dash.join(30)
            result = tally(name, paced + alerts, db)
            db.dispose()
        finally:
            for p in procs:
                p.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    received: dict[str, float] = seen["alerts"]
    latencies = [received[i] - paced_sent[i] for i in paced_sent if i in received]
    shown = [received[i] for i in sent_at if i in received]
    last = max(shown) if shown else time.time()
    positions = seen["positions"]
    return {
        "name": name, "workers": workers, "ingest": "http" if kind == "embedded" else "nats",
        "alerts": plan.alerts, "alerts_per_s": round(plan.alerts / max(last - t0, 1e-6), 1),
        "stored_per_s": round(plan.alerts / stored_s, 1),
        "latency_rate_per_s": plan.latency_rate_per_s, "latency_alerts": plan.latency_alerts,
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 1) if latencies else None,
        "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 1) if latencies else None,
        "dashboard_missed": len(paced) + plan.alerts - len(received), "dashboard_repeats": seen["repeats"],
        "stored": result.stored, "lost": result.lost, "duplicated": result.duplicated,
        "positions_offered": offered, "positions_units": plan.position_units,
        "positions_offered_per_s": round(offered / plan.position_seconds, 1),
        "positions_shown_per_s": round(len(positions) / plan.position_seconds, 1),
        "positions_p99_ms": round(float(np.percentile(positions, 99)) * 1000, 1) if positions else None,
    }


async def _send(kind: str, phase: str, alerts: list[Alert], bus_url: str, tokens: dict[str, str],
                bases: list[str], sent_at: dict[str, float], plan: Plan) -> int:
    """One phase: ``latency`` (paced), ``throughput`` (flat out) or ``positions``; returns items sent."""
    rate = plan.latency_rate_per_s if phase == "latency" else None
    if kind == "embedded":
        if phase != "positions":
            await _post_alerts(bases, tokens, alerts, sent_at, concurrency=8 if rate else 64, rate_per_s=rate)
            return len(alerts)
        clients = [httpx.AsyncClient(base_url=b, timeout=60) for b in bases]

        async def post_beat(beat: Heartbeat) -> None:
            client = clients[hash(beat.unit_id) % len(clients)]
            response = await client.post("/api/v1/units/heartbeat", content=encode(beat), headers={
                "Authorization": f"Bearer {tokens[beat.unit_id]}", "Content-Type": "application/json"})
            response.raise_for_status()

        try:
            return await _positions(plan, post_beat)
        finally:
            for c in clients:
                await c.aclose()
    bus = NatsBus(bus_url)
    try:
        if phase != "positions":
            await publish_alerts(bus, alerts, concurrency=8 if rate else 64, sent_at=sent_at, rate_per_s=rate)
            return len(alerts)

        async def publish_beat(beat: Heartbeat) -> None:
            await bus.publish(subjects.unit_heartbeat(beat.unit_id), encode(beat))

        return await _positions(plan, publish_beat)
    finally:
        await bus.close()


# --- faults at full size -----------------------------------------------------------------------------

async def fault_kill9(plan: Plan, workdir: Path) -> dict[str, object]:
    alerts = make_alerts(plan.fault_alerts, units=ALERT_UNITS, seed=11)
    with scratch_postgres_schema(POSTGRES_URL) as url:
        bus_url = f"{NATS_URL}?namespace=k{secrets.token_hex(4)}&ack_wait_s=5"
        db = Database(url)
        upgrade(db.write_engine)
        env = {"AMANE_DATABASE_URL": url, "AMANE_BUS_URL": bus_url, "AMANE_DATA_DIR": str(workdir)}
        workers = [CenterProcess(free_port(), env, workdir / f"k{i}.log").start() for i in range(2)]
        unit = NatsBus(bus_url)
        try:
            for w in workers:
                await asyncio.to_thread(w.wait_healthy, 120)
            sending = asyncio.create_task(publish_alerts(unit, alerts, concurrency=32,
                                                         rate_per_s=plan.fault_alerts / 10))
            await wait_rows(db, plan.fault_alerts // 3, timeout_s=120, poll_s=0.05)
            workers[0].kill9()
            await asyncio.sleep(1.0)
            workers[0].start()
            await sending
            await wait_rows(db, plan.fault_alerts, timeout_s=300)
            await asyncio.to_thread(workers[0].wait_healthy, 120)
        finally:
            for w in workers:
                w.stop()
            await unit.delete_streams()
            await unit.close()
        result = tally("kill -9 a centre worker mid-stream", alerts, db).as_dict()
        db.dispose()
    return result


async def fault_restarts(plan: Plan, workdir: Path) -> list[dict[str, object]]:
    nats_server = NatsServer(workdir / "nats").start()
    pg_dir = Path(tempfile.mkdtemp(prefix="amane-pg-"))
    cluster = PostgresCluster(pg_dir).init().start()
    bus_url = f"{nats_server.url}?ack_wait_s=5"
    out = []
    try:
        db = Database(cluster.url)
        upgrade(db.write_engine)
        env = {"AMANE_DATABASE_URL": cluster.url, "AMANE_BUS_URL": bus_url, "AMANE_DATA_DIR": str(workdir)}
        worker = CenterProcess(free_port(), env, workdir / "r.log").start()
        unit = NatsBus(bus_url)
        try:
            await asyncio.to_thread(worker.wait_healthy, 120)
            earlier: list[Alert] = []
            for name, fault in (("restart NATS mid-stream", "nats"), ("restart PostgreSQL mid-stream", "pg")):
                alerts = make_alerts(plan.fault_alerts, units=ALERT_UNITS, seed=13 if fault == "nats" else 17)
                base = count_rows(db)
                sending = asyncio.create_task(publish_alerts(
                    unit, alerts, concurrency=32, rate_per_s=plan.fault_alerts / 10, give_up_s=300))
                await wait_rows(db, base + plan.fault_alerts // 3, timeout_s=120, poll_s=0.05)
                if fault == "nats":
                    nats_server.kill()
                    await asyncio.sleep(1.0)
                    nats_server.start()
                else:
                    await asyncio.to_thread(cluster.stop, "immediate")
                    await asyncio.sleep(1.0)
                    await asyncio.to_thread(cluster.start)
                await sending
                await wait_rows(db, base + plan.fault_alerts, timeout_s=300)
                out.append(tally(name, alerts, db, earlier=earlier).as_dict())
                earlier += alerts
        finally:
            worker.stop()
            await unit.close()
            db.dispose()
    finally:
        nats_server.kill()
        cluster.stop("immediate")
        shutil.rmtree(pg_dir, ignore_errors=True)
    return out


# --- main ------------------------------------------------------------------------------------------

def _table(report: dict[str, Any]) -> str:
    lines = [f"{'mode':<28}{'alerts/s':>10}{'stored/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'lost':>6}{'dup':>5}"
             f"{'pos offered/s':>15}{'pos shown/s':>13}{'pos p99 ms':>12}"]
    for m in report["modes"]:
        lines.append(f"{m['name']:<28}{m['alerts_per_s']:>10}{m['stored_per_s']:>10}{m['p50_ms']!s:>9}"
                     f"{m['p99_ms']!s:>9}{m['lost']:>6}"
                     f"{m['duplicated']:>5}{m['positions_offered_per_s']:>15}{m['positions_shown_per_s']:>13}"
                     f"{m['positions_p99_ms']!s:>12}")
    lines.append("")
    lines.append(f"{'fault':<40}{'sent':>8}{'stored':>8}{'lost':>6}{'dup':>5}")
    for f in report["faults"]:
        lines.append(f"{f['name']:<40}{f['sent']:>8}{f['stored']:>8}{f['lost']:>6}{f['duplicated']:>5}")
    lines.append("")
    lines += [f"ratio {k}: {v}" for k, v in report["ratios"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000-alert streams, 10 s of positions")
    parser.add_argument("--json", type=Path, help="Write the figures here")
    parser.add_argument("--skip-faults", action="store_true")
    args = parser.parse_args()
    plan = (Plan(alerts=2000, fault_alerts=2000, position_units=1000, position_period_s=2.0,
                 position_seconds=10.0)
            if args.quick else
            Plan(alerts=10_000, fault_alerts=10_000, position_units=1000, position_period_s=2.0,
                 position_seconds=30.0))
    modes = [run_mode("embedded (SQLite, memory)", "embedded", 1, plan),
             run_mode("PostgreSQL+NATS, 1 worker", "scaled", 1, plan),
             run_mode("PostgreSQL+NATS, 2 workers", "scaled", 2, plan)]
    faults: list[dict[str, object]] = []
    if not args.skip_faults:
        workdir = Path(tempfile.mkdtemp(prefix="amane-faults-"))
        faults.append(asyncio.run(fault_kill9(plan, workdir)))
        faults += asyncio.run(fault_restarts(plan, workdir))
        shutil.rmtree(workdir, ignore_errors=True)
    by = {m["name"]: m for m in modes}
    e, s1, s2 = (by[n]["alerts_per_s"] for n in by)
    report = {
        "plan": plan.__dict__, "cpu_cores": os.cpu_count(),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 1),
        "modes": modes, "faults": faults,
        "ratios": {"nats_1w_vs_embedded": round(s1 / e, 2), "nats_2w_vs_embedded": round(s2 / e, 2),
                   "nats_2w_vs_1w": round(s2 / s1, 2)},
    }
    print(_table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
