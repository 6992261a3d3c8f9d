"""SIGTERM: `livecast serve` stops within 2 s, and Socket.IO clients (python-socketio on
websocket and long-polling, socket.io-client under Node) reconnect to the server that
takes its place on the same port."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import socketio

from tests.faults.conftest import create_show, wait_until
from tests.support import ROOT

JS_CLIENT = """
const { io } = require("socket.io-client");
const socket = io(process.argv[1], {
  auth: { show: process.argv[2], name: "js" },
  reconnectionDelay: 200, reconnectionDelayMax: 1000,
});
socket.on("connect", () => console.log("connect"));
socket.on("disconnect", (reason) => console.log("disconnect " + reason));
socket.on("state", () => console.log("state"));
setTimeout(() => process.exit(0), 60000);
"""


class Client:
    """A python-socketio client that counts its connections and ``state`` events."""

    def __init__(self, transport: str):
        self.transport = transport
        self.sio = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.states = 0
        self.reasons: list[str] = []
        self.sio.on("state", self._state)
        self.sio.on("disconnect", self._disconnect)

    async def _state(self, data):
        self.states += 1

    async def _disconnect(self, reason=None):
        self.reasons.append(reason)

    async def connect(self, base: str, show: str) -> None:
        await self.sio.connect(
            base, auth={"show": show, "name": self.transport}, transports=[self.transport]
        )


async def until(predicate, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        await asyncio.sleep(0.1)


def js_client(base: str, show: str) -> subprocess.Popen | None:
    node = shutil.which("node")
    if node is None or not (ROOT / "web/node_modules/socket.io-client").is_dir():
        return None
    return subprocess.Popen(
        [node, "-e", JS_CLIENT, base, show],
        cwd=ROOT / "web",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_sigterm_closes_in_2_s_and_clients_reconnect_to_the_next_server(live_server):
    server = live_server()
    show = create_show(server)
    clients = [Client("websocket"), Client("polling")]
    for client in clients:
        await client.connect(server.base_url, show)
    node = js_client(server.base_url, show)
    try:
        await until(lambda: all(c.states == 1 for c in clients), 10, "first state")
        if node is not None:
            first = await asyncio.to_thread(node.stdout.readline)
            assert first.strip() == "connect"

        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(server.process.wait, 10)
        took = time.monotonic() - started
        assert code == 0 and took < 2.0, (code, took)
        server.stop()  # closes its log
        output = server.output()
        assert "Traceback" not in output

        await asyncio.to_thread(server.start)  # the next server, same port and data
        await until(lambda: all(c.states == 2 for c in clients), 30, "state after reconnect")
        for client in clients:
            # dropped, not sent away: "io server disconnect" would mean no reconnect
            assert client.reasons == ["transport error"], client.reasons
            assert client.sio.connected
        if node is not None:
            lines = []
            while "connect" not in lines[1:]:
                line = await asyncio.wait_for(asyncio.to_thread(node.stdout.readline), 30)
                assert line, lines
                lines.append(line.strip())
            assert lines[0] == "state" and lines[1].startswith("disconnect transport")
    finally:
        for client in clients:
            await client.sio.disconnect()
        if node is not None:
            node.kill()
            node.wait()
    if node is None:
        pytest.skip("node or web/node_modules missing: the JS client was not tried")


def test_sigterm_with_the_embedded_redis_stops_it_too(live_server):
    server = live_server()
    create_show(server)
    pid_file = server.workdir / "data" / "redis" / "redis.pid"
    redis_pid = int(pid_file.read_text().strip())
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 2.0
    wait_until(lambda: not Path(f"/proc/{redis_pid}").exists(), timeout=5, what="redis gone")
