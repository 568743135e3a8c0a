"""Centre ingest: N alerts posted by M concurrent units over real HTTP, K live dashboards watching.

Three processes, so the server's figures are not flattered by sharing its event loop:

1. the centre itself (``amane center`` on uvicorn + uvloop + httptools, a fresh SQLite file),
2. the dashboards: K WebSockets signed in as an operator this script creates,
3. the units: M concurrent keep-alive HTTP/1.1 clients (see ``KeepAliveClient``) posting their
   share of N alerts, re-sending a fraction of them (same id) the way a unit's outbox does after a
   lost acknowledgement.

Figures: ``alerts_per_s`` = alert POSTs answered per second (re-sends included), ``ingest_p99_ms``
= POST round trip, ``fanout_p99_ms`` = from a unit starting the first POST of an alert to a
dashboard receiving its ``alert.new``; ``sent`` unique alerts, ``stored`` rows in the database,
``lost`` = sent but not stored, or stored but missing on a dashboard; ``duplicated`` = extra rows or
extra ``alert.new`` events for one alert.

    .venv/bin/python benchmarks/center_ingest.py --quick --json /tmp/center_ingest.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

# The centre's own modules are imported inside the functions of the parent process only: the
# dashboard and unit processes (spawned) then start in a fraction of the time.

PASSWORD = "benchmark operator password"
NEW_ALERT_ID = re.compile(r'"type":"alert\.new","data":\{"id":"([0-9a-f-]{36})"')
"""Finds the id of every ``alert.new`` event in a live message (one event or a batch) without parsing
the whole JSON: ten dashboards in one process must not become what the benchmark measures."""


@dataclass(frozen=True)
class Plan:
    alerts: int
    units: int
    dashboards: int
    resend_fraction: float
    timeout_s: float
    batch: bool = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(database_url: str, units: int) -> dict[str, str]:
    """Create the schema, the operator and the units; returns callsign -> token."""
    from amane.center.units.service import register_unit
    from amane.center.users.service import create_user
    from amane.store import Database, upgrade

    db = Database(database_url)
    upgrade(db.write_engine)
    tokens = {}
    with db.writing() as session:
        create_user(session=session, username="bench-operator", role="operator", password=PASSWORD, mfa=False)
        for i in range(units):
            callsign = f"BENCH-{i:03d}"
            _, tokens[callsign] = register_unit(
                session=session, callsign=callsign, kind="car", region="bench"
            )
    db.dispose()
    return tokens


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "import sys; from amane.cli import main; sys.argv[0] = 'amane'; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "center", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the centre exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the centre did not become healthy")


# --- dashboards process -------------------------------------------------------------------------


async def _dashboard(url: str, expected: int, ready: Any, wait_s: float) -> dict[str, Any]:
    received: dict[str, float] = {}
    repeats = 0
    async with websockets.connect(url, max_size=2**22) as ws:
        ready.release()
        deadline = time.monotonic() + wait_s
        while len(received) < expected and time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            now = time.time()
            text = raw if isinstance(raw, str) else raw.decode()
            for alert_id in NEW_ALERT_ID.findall(text):  # the frames are the centre's own compact JSON
                if alert_id in received:
                    repeats += 1
                else:
                    received[alert_id] = now
    return {"received": received, "repeats": repeats}


def dashboards_main(url: str, count: int, expected: int, timeout: float, ready: Any, out: Any) -> None:
    import uvloop

    async def run() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(_dashboard(url, expected, ready, timeout) for _ in range(count))))

    out.put(uvloop.run(run()))


# --- units process ------------------------------------------------------------------------------


def _alert_body(callsign: str, alert_id: str, n: int) -> bytes:
    return json.dumps(
        {
            "id": alert_id,
            "kind": "plate",
            "severity": "high",
            "unit_id": callsign,
            "camera_id": "front",
            "observed_at": datetime.now(UTC).isoformat(),
            "position": {"lat": 33.57 + n * 1e-6, "lon": -7.59},
            "bearing_deg": 12.5,
            "summary": f"hotlist hit {n}",
            "payload": {"plate": f"{n:05d}-ب-8", "score": 0.93},
        }
    ).encode()


class KeepAliveClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: one connection, one request at a time.

    httpx costs about 2 ms of CPU per request (measured with this script): on two shared cores the
    load generator would then measure itself. This client writes the request bytes and reads the
    status line, headers and Content-Length body: enough for the centre's JSON answers.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(
            f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items()
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self.head, len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _unit(base: str, callsign: str, token: str, count: int, resend: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    host, port = base.removeprefix("http://").split(":")
    client = KeepAliveClient(
        host, int(port), {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    first_sent: dict[str, float] = {}
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    bodies: list[tuple[str, bytes]] = []
    n = 0
    while n < count:
        if bodies and rng.random() < resend:
            alert_id, body = rng.choice(bodies)
        else:
            alert_id = str(uuid.uuid4())
            body = _alert_body(callsign, alert_id, n)
            bodies.append((alert_id, body))
            n += 1
            first_sent[alert_id] = time.time()
        start = time.perf_counter()
        status, answer = await client.post("/api/v1/alerts", body)
        latencies.append(time.perf_counter() - start)
        key = f"{status}:{json.loads(answer).get('status', '') if status < 300 else ''}"
        outcomes[key] = outcomes.get(key, 0) + 1
    await client.close()
    return {"first_sent": first_sent, "latencies": latencies, "outcomes": outcomes}


def units_main(base: str, tokens: dict[str, str], per_unit: list[int], resend: float, out: Any) -> None:
    import uvloop

    async def run() -> tuple[float, float, list[dict[str, Any]]]:
        start, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(
            *(
                _unit(base, callsign, token, count, resend, seed)
                for seed, ((callsign, token), count) in enumerate(zip(tokens.items(), per_unit, strict=True))
            )
        )
        return time.perf_counter() - start, time.process_time() - cpu, list(results)

    out.put(uvloop.run(run()))


# --- orchestration ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(plan: Plan) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="amane-bench-"))
    database_url = f"sqlite:///{workdir / 'center.db'}"
    tokens = prepare(database_url, plan.units)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AMANE_DATABASE_URL": database_url,
        "AMANE_DATA_DIR": str(workdir),
        "AMANE_LIVE_QUEUE_SIZE": str(max(512, plan.alerts)),
    }
    server = start_server(port, env)
    try:
        wait_healthy(base, server)
        login = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "bench-operator", "password": PASSWORD}
        )
        login.raise_for_status()
        session_token = login.json()["token"]
        per_unit = [
            plan.alerts // plan.units + (1 if i < plan.alerts % plan.units else 0) for i in range(plan.units)
        ]
        ctx = mp.get_context("spawn")
        ready, dash_out, unit_out = ctx.Semaphore(0), ctx.Queue(), ctx.Queue()
        live_url = f"ws://127.0.0.1:{port}/api/v1/live?token={session_token}&batch={int(plan.batch)}"
        dashboards = ctx.Process(
            target=dashboards_main,
            args=(live_url, plan.dashboards, plan.alerts, plan.timeout_s, ready, dash_out),
        )
        dashboards.start()
        for _ in range(plan.dashboards):
            if not ready.acquire(timeout=60):
                raise RuntimeError("dashboards did not connect")
        units = ctx.Process(target=units_main, args=(base, tokens, per_unit, plan.resend_fraction, unit_out))
        server_cpu, load_before = cpu_seconds(server.pid), os.getloadavg()[0]
        units.start()
        duration, units_cpu, unit_results = unit_out.get(timeout=plan.timeout_s + 60)
        server_cpu = cpu_seconds(server.pid) - server_cpu
        load_after = os.getloadavg()[0]
        dash_results = dash_out.get(timeout=plan.timeout_s + 60)
        units.join()
        dashboards.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    from sqlalchemy import func, select

    from amane.store import Database
    from amane.store.models import Alert as AlertRow

    db = Database(database_url)
    with db.reading() as session:
        stored = int(session.scalar(select(func.count()).select_from(AlertRow)) or 0)
        stored_ids = {str(i) for i in session.scalars(select(AlertRow.id))}
    db.dispose()
    result = summarise(plan, duration, unit_results, dash_results, stored, stored_ids)
    result["server_cpu_ms_per_post"] = round(server_cpu * 1000 / max(1, result["posts"]), 3)
    result["units_cpu_ms_per_post"] = round(units_cpu * 1000 / max(1, result["posts"]), 3)
    result["server_cpu_share"] = round(server_cpu / duration, 2)
    result["loadavg_1min"] = [round(load_before, 2), round(load_after, 2)]
    return result


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (numpy's default, linear interpolation)."""
    import numpy as np

    return float(np.percentile(values, q))


def summarise(
    plan: Plan,
    duration: float,
    units: list[dict[str, Any]],
    dashboards: list[dict[str, Any]],
    stored: int,
    stored_ids: set[str],
) -> dict[str, Any]:
    first_sent: dict[str, float] = {}
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    for result in units:
        first_sent.update(result["first_sent"])
        latencies.extend(result["latencies"])
        for key, value in result["outcomes"].items():
            outcomes[key] = outcomes.get(key, 0) + value
    fanout = [
        (t - first_sent[a]) * 1000 for d in dashboards for a, t in d["received"].items() if a in first_sent
    ]
    missing_on_dashboards = sum(len(stored_ids - set(d["received"])) for d in dashboards)
    posts = len(latencies)
    return {
        "alerts_per_s": round(posts / duration, 1),
        "ingest_p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "ingest_p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "fanout_p50_ms": round(percentile(fanout, 50), 2) if fanout else None,
        "fanout_p99_ms": round(percentile(fanout, 99), 2) if fanout else None,
        "sent": len(first_sent),
        "posts": posts,
        "resends": posts - len(first_sent),
        "stored": stored,
        "lost": len(set(first_sent) - stored_ids) + missing_on_dashboards,
        "duplicated": (stored - len(stored_ids))
        + outcomes.get("201:stored", 0)
        - len(stored_ids)
        + sum(d["repeats"] for d in dashboards),
        "answers": outcomes,
        "units": plan.units,
        "dashboards": plan.dashboards,
        "batched_live_feed": plan.batch,
        "duration_s": round(duration, 2),
        "cpus": os.cpu_count(),
    }


def print_table(result: dict[str, Any]) -> None:
    targets = {"alerts_per_s": ">= 1000", "fanout_p99_ms": "<= 100", "lost": "0", "duplicated": "0"}
    print(f"{'figure':<16} {'value':>12}  target")
    for key in (
        "alerts_per_s",
        "ingest_p50_ms",
        "ingest_p99_ms",
        "fanout_p50_ms",
        "fanout_p99_ms",
        "sent",
        "posts",
        "resends",
        "stored",
        "lost",
        "duplicated",
        "duration_s",
        "server_cpu_ms_per_post",
        "units_cpu_ms_per_post",
        "server_cpu_share",
        "loadavg_1min",
    ):
        print(f"{key:<16} {result[key]!s:>12}  {targets.get(key, '')}")
    print(f"answers: {result['answers']}  ({result['units']} units, {result['dashboards']} dashboards)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=30_000, help="unique alerts N")
    parser.add_argument("--units", type=int, default=50, help="concurrent units M")
    parser.add_argument("--dashboards", type=int, default=10, help="live dashboards K")
    parser.add_argument("--resend", type=float, default=0.1, help="fraction of posts that re-send an alert")
    parser.add_argument("--no-batch", action="store_true", help="dashboards take one event per message")
    parser.add_argument("--quick", action="store_true", help="a smaller run, under 30 s")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if args.quick:
        plan = Plan(
            alerts=4000,
            units=20,
            dashboards=5,
            resend_fraction=args.resend,
            timeout_s=60,
            batch=not args.no_batch,
        )
    else:
        plan = Plan(
            alerts=args.alerts,
            units=args.units,
            dashboards=args.dashboards,
            resend_fraction=args.resend,
            timeout_s=600,
        )
    result = run(plan)
    print_table(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
