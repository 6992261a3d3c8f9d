"""Fixtures for the realtime plane: the app served on loopback and real python-socketio
clients connected to it."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import socketio

from livecast.realtime import REALTIME


class Peer:
    """A python-socketio AsyncClient that records every event it receives."""

    def __init__(self):
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, object]] = []
        self.state: dict | None = None
        self.refused: object = None
        self._changed = asyncio.Event()
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._connect_error)

    async def _record(self, event, data=None):
        self.events.append((event, data))
        if event == "state" and self.state is None:
            self.state = data
        self._changed.set()

    async def _connect_error(self, data):
        self.refused = data

    async def connect(self, url: str, auth: dict, *, transports=("websocket",)) -> Peer:
        await self.sio.connect(url, auth=auth, transports=list(transports), wait_timeout=10)
        await self.wait_for("state")
        return self

    @property
    def you(self) -> dict:
        return self.state["you"]

    def received(self, event: str) -> list:
        return [data for name, data in self.events if name == event]

    async def wait_for(self, event: str, check=lambda data: True, timeout: float = 10):
        """The first ``event`` (received before or after the call) whose data passes check."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for name, data in self.events:
                if name == event and check(data):
                    return data
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {event!r} within {timeout}s; got {self.events[-10:]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def until(self, predicate, timeout: float = 10, what: str = "condition"):
        """Wait until ``predicate()`` (over what was received so far) is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"{what} not met within {timeout}s; got {self.events[-10:]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def chat_messages(self) -> list[dict]:
        """Every chat message received, single ``chat`` or inside ``chat:batch``, in order."""
        out = []
        for name, data in self.events:
            if name == "chat":
                out.append(data)
            elif name == "chat:batch":
                out.extend(data["messages"])
        return out

    async def wait_chat(self, message_id: str, timeout: float = 10) -> dict:
        """The chat message ``message_id`` once it arrived (alone or in a batch)."""
        found: list[dict] = []

        def arrived():
            found[:] = [m for m in self.chat_messages() if m["id"] == message_id]
            return bool(found)

        await self.until(arrived, timeout, what=f"chat message {message_id}")
        return found[0]

    async def call(self, event: str, payload=None, timeout: float = 10):
        return await self.sio.call(event, payload, timeout=timeout)

    async def close(self):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 5)


@pytest.fixture
async def server(aiohttp_server, app):
    return await aiohttp_server(app)


@pytest.fixture
def url(server) -> str:
    return str(server.make_url("/")).rstrip("/")


@pytest.fixture
def rt(server):
    return server.app[REALTIME]


@pytest.fixture
async def connect(url):
    """Factory: connect a Peer with ``auth``; every peer is closed at the end of the test."""
    peers: list[Peer] = []

    async def open_peer(auth: dict, *, base: str | None = None, **kwargs) -> Peer:
        peer = Peer()
        peers.append(peer)
        return await peer.connect(base or url, auth, **kwargs)

    yield open_peer
    await asyncio.gather(*(peer.close() for peer in peers))


async def refusal(url: str, auth) -> object:
    """Connect expecting a refusal; returns the connect_error data."""
    peer = Peer()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    await peer.close()
    return peer.refused
