"""Private, throw-away services on loopback for fault tests and the scale benchmark.

Each one runs in its own temporary directory on a free port, so killing or restarting it never
touches the machine's shared NATS or PostgreSQL that other tests use:

* :class:`NatsServer`: ``nats-server -js -sd <dir>`` (optionally with a config, e.g. per-unit accounts),
* :class:`PostgresCluster`: ``initdb`` + ``pg_ctl`` (as the ``postgres`` user when run as root, since
  ``initdb`` refuses root),
* :class:`CenterProcess`: one ``amane center`` worker process with its environment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

logger = logging.getLogger(__name__)

NATS_SERVER = os.environ.get("AMANE_NATS_SERVER", shutil.which("nats-server") or "/usr/sbin/nats-server")
PG_BIN = Path(os.environ.get("AMANE_PG_BIN", "/usr/lib/postgresql/15/bin"))


class ServiceError(RuntimeError):
    """A private service did not start or stop as asked."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, *, timeout_s: float = 20.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServiceError(f"the process on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise ServiceError(f"nothing answered on 127.0.0.1:{port} within {timeout_s} s")


def nats_available() -> bool:
    return Path(NATS_SERVER).is_file()


def postgres_available() -> bool:
    return (PG_BIN / "initdb").is_file() and (PG_BIN / "pg_ctl").is_file()


@dataclass
class NatsServer:
    """A private ``nats-server`` with JetStream on file storage in ``workdir``."""

    workdir: Path
    config: str | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        store = self.workdir / "jetstream"
        store.mkdir(parents=True, exist_ok=True)
        command = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(store)]
        if self.config is not None:
            conf = self.workdir / "nats.conf"
            conf.write_text(self.config, encoding="utf-8")
            command += ["-c", str(conf)]
        log = (self.workdir / "nats.log").open("ab")
        self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.port, proc=self.proc)
        return self

    def kill(self) -> None:
        """``kill -9``: no goodbye to clients, no flush beyond what JetStream already did."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


def _as_postgres_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class PostgresCluster:
    """A private PostgreSQL cluster in ``workdir`` on a free port (trust auth, user ``postgres``)."""

    workdir: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.workdir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout_s: float = 120.0) -> None:
        done = subprocess.run(_as_postgres_user(list(args)), capture_output=True, timeout=timeout_s,
                              check=False)
        if done.returncode != 0:
            raise ServiceError(f"{' '.join(args[:2])} failed: {done.stderr.decode()[-2000:]}")

    def init(self) -> PostgresCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8")
        return self

    def start(self) -> PostgresCluster:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c max_connections=200"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.workdir / "pg.log"),
                  "-o", options, "-w", "-t", "60", "start")
        wait_port(self.port)
        return self

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast`` (clean) or ``-m immediate`` (like a crash: recovery at next start)."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"mode must be smart, fast or immediate, got {mode!r}")
        with contextlib.suppress(ServiceError):
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@dataclass
class CenterProcess:
    """One ``amane center`` worker process (the real server: uvicorn, bus consumers, live feed)."""

    port: int
    env: dict[str, str]
    log_path: Path
    workers: int = 1
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CenterProcess:
        # what `amane center --port N` runs, without importing every other command's modules
        code = f"from amane.center.cli import center; center(port={self.port}, workers={self.workers})"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
        )
        return self

    def wait_healthy(self, timeout_s: float = 120.0) -> CenterProcess:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise ServiceError(f"centre worker on port {self.port} exited:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=1.0).status_code == 200:
                    return self
            time.sleep(0.1)
        raise ServiceError(f"centre worker on port {self.port} not healthy within {timeout_s} s")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
