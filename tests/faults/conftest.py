"""The fault suite: real ``livecast serve`` processes and real redis-servers that the
tests kill, pause and restart. Waits are bounded polls, never fixed sleeps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis

from livecast.store import find_redis_server
from tests.support import ADMIN, free_port


class Answer:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, body=None, *, headers=None, timeout: float = 30) -> Answer:
    """One request with urllib; HTTP errors are answers too."""
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as res:
            return Answer(res.status, res.headers, res.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read())


def wait_until(predicate, *, timeout: float = 30, what: str = "condition", every: float = 0.1):
    """Poll ``predicate`` until it returns something true; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (OSError, redis.RedisError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(every)


def healthy(server) -> bool:
    return http("GET", server.base_url + "/healthz", timeout=10).status == 200


def create_show(server, title: str = "장애 대비 라이브") -> str:
    res = http("POST", server.base_url + "/api/shows", {"title": title}, headers=ADMIN)
    assert res.status == 201, res.body
    return res.json()["show"]["id"]


def metric(server, name: str, labels: str = "") -> float:
    text = http("GET", server.base_url + "/metrics").body.decode()
    for line in text.splitlines():
        if line.startswith(f"{name}{labels} ") or line.startswith(f"{name}{{{labels}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class RestartableRedis:
    """A redis-server on a fixed 127.0.0.1 port that a test can stop, pause and start."""

    def __init__(self, workdir: Path, *, password: str | None = None):
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = password
        self.process: subprocess.Popen | None = None
        self.paused = False
        self.start()

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password, socket_timeout=5)

    def start(self, timeout: float = 15) -> None:
        args = [
            find_redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.workdir),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(self.workdir / "redis.log"),
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        try:
            wait_until(client.ping, timeout=timeout, what="redis-server answering")
        finally:
            client.close()

    def numsub(self, channel: str) -> int:
        client = self.client()
        try:
            return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)
        finally:
            client.close()

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.paused:
            self.resume()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def external_redis(tmp_path):
    """Factory: RestartableRedis instances, all stopped at the end of the test."""
    made = []

    def make(**kwargs) -> RestartableRedis:
        server = RestartableRedis(tmp_path / f"redis{len(made)}", **kwargs)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


def new_log_lines(server, since: int) -> list[str]:
    return server.output().splitlines()[since:]
