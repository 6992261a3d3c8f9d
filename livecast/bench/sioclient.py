"""A lean Socket.IO v5 client over one websocket, for load generation only.

Thousands of ``python-socketio`` clients would cost the load generator more CPU than the
server under test; this speaks the same wire protocol (Engine.IO v4 websocket transport,
Socket.IO v5 packets on the default namespace) with one aiohttp websocket per client. The
tests use the official client; the benchmarks use this one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class ConnectRefused(Exception):
    pass


class LightClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        auth: dict,
        on_event: Callable[[str, Any], None] | None = None,
        *,
        on_raw: Callable[[str], None] | None = None,
    ):
        self.session = session
        self.url = base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.auth = auth
        self.on_event = on_event or (lambda event, data: None)
        # on_raw: a light client hands over event frames unparsed (cheap counting)
        self.on_raw = on_raw
        self.state: dict | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[int, asyncio.Future] = {}
        self._next_ack = 0
        self._reader: asyncio.Task | None = None
        self._connected = asyncio.Event()
        self._refused: str | None = None

    async def connect(self, timeout: float = 10) -> LightClient:
        # `timeout` bounds the handshake; an idle client then waits for frames as long as
        # it likes (the server's Engine.IO pings keep the socket alive): no receive timeout
        self._ws = await asyncio.wait_for(
            self.session.ws_connect(
                self.url, timeout=aiohttp.ClientWSTimeout(ws_close=timeout), compress=15
            ),
            timeout,
        )
        opening = await self._ws.receive(timeout)
        if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith("0"):
            raise ConnectRefused(f"unexpected Engine.IO opening {opening.data!r}")
        await self._ws.send_str("40" + json.dumps(self.auth))
        self._reader = asyncio.create_task(self._read())
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            await self.close()
            raise ConnectRefused(self._refused or "no CONNECT answer") from None
        if self._refused:
            await self.close()
            raise ConnectRefused(self._refused)
        return self

    async def _read(self) -> None:
        ws = self._ws
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = msg.data
            if data == "2":
                await ws.send_str("3")
            elif data.startswith("40"):
                self._connected.set()
            elif data.startswith("44"):
                self._refused = json.loads(data[2:]).get("message", "refused")
                self._connected.set()
            elif data.startswith("42") and self.on_raw is not None:
                self.on_raw(data)
            elif data.startswith("42"):
                event, *args = json.loads(data[data.index("[") :])
                payload = args[0] if args else None
                if event == "state":
                    self.state = payload
                self.on_event(event, payload)
            elif data.startswith("43"):
                bracket = data.index("[")
                future = self._acks.pop(int(data[2:bracket]), None)
                if future is not None and not future.done():
                    args = json.loads(data[bracket:])
                    future.set_result(args[0] if args else None)
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("socket closed"))

    async def emit(self, event: str, data: Any) -> Any:
        """Send an event and wait for its ack."""
        ack_id = self._next_ack
        self._next_ack += 1
        future = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self._ws.send_str(f"42{ack_id}" + json.dumps([event, data], ensure_ascii=False))
        return await future

    async def send(self, event: str, data: Any) -> None:
        """Send an event without an ack."""
        await self._ws.send_str("42" + json.dumps([event, data], ensure_ascii=False))

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            try:
                await self._ws.send_str("41")
            except ConnectionError:
                pass
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
