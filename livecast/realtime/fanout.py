"""Room broadcasts that cost one queue append per recipient.

python-socketio's ``AsyncManager.emit`` encodes a broadcast once, then creates one task
per recipient to await ``AsyncSocket.send`` and waits for all of them: with a thousand
viewers in a show, every chat message, ``sales`` or ``viewers`` update cost a thousand
tasks. Here the encoded Engine.IO packets are appended straight to each recipient's
send queue, which its writer drains as before.

Websockets are also answered without permessage-deflate: chat and counter frames are a
few hundred bytes, and a zlib context per connection (browsers always ask for one) costs
memory and CPU on every frame of every broadcast.

This is the one module that touches python-engineio's internals (``AsyncServer.sockets``,
``_async['websocket']``, ``AsyncSocket.queue`` and ``closed``), written against the pinned
python-engineio 4.x; ``check_internals`` (tested) fails loudly if an upgrade moves them.
"""

from __future__ import annotations

import asyncio

import socketio
from aiohttp import web
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio import packet


class UncompressedWebSocket(eio_aiohttp.WebSocket):
    """engineio's aiohttp websocket, answering without permessage-deflate."""

    async def __call__(self, environ):
        request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def uncompressed_websockets(server: socketio.AsyncServer) -> None:
    server.eio._async = {**server.eio._async, "websocket": UncompressedWebSocket}


def check_internals(server: socketio.AsyncServer) -> None:
    """Raise RuntimeError naming what moved in python-engineio."""
    if not isinstance(getattr(server.eio, "sockets", None), dict):
        raise RuntimeError("python-engineio: AsyncServer.sockets is no longer a dict")
    driver = getattr(server.eio, "_async", {}).get("websocket")
    if driver is None or not issubclass(driver, eio_aiohttp.WebSocket):
        raise RuntimeError("python-engineio: AsyncServer._async['websocket'] moved")
    if "WebSocketResponse" not in eio_aiohttp.WebSocket.__call__.__code__.co_names:
        raise RuntimeError("python-engineio: the aiohttp WebSocket driver changed")
    for name in ("queue", "closed"):
        if name not in AsyncSocket.__init__.__code__.co_names:
            raise RuntimeError(f"python-engineio: AsyncSocket.{name} moved")


def encode(server: socketio.AsyncServer, event: str, data, namespace: str):
    if isinstance(data, tuple):
        args = list(data)
    elif data is None:
        args = []
    else:
        args = [data]
    encoded = server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
    if not isinstance(encoded, list):
        encoded = [encoded]
    return [eio_packet.Packet(eio_packet.MESSAGE, p) for p in encoded]


def fan_out(manager: socketio.AsyncManager, event, data, namespace, room, skip_sid) -> int:
    """Queue ``event`` for every participant of ``room``; returns how many got it."""
    namespace = namespace or "/"
    if namespace not in manager.rooms:
        return 0
    skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
    packets = encode(manager.server, event, data, namespace)
    sockets = manager.server.eio.sockets
    sent = 0
    for sid, eio_sid in manager.get_participants(namespace, room):
        if sid in skip:
            continue
        socket = sockets.get(eio_sid)
        if socket is None or socket.closed:
            continue
        queue: asyncio.Queue = socket.queue
        for p in packets:
            queue.put_nowait(p)
        sent += 1
    return sent


class LocalManager(socketio.AsyncManager):
    """One process: broadcasts without a task per recipient."""

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None,
                   to=None, **kwargs):  # fmt: skip
        if callback is not None:
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                      callback=callback, to=to, **kwargs)  # fmt: skip
        fan_out(self, event, data, namespace, to or room, skip_sid)


class RedisManager(socketio.AsyncRedisManager):
    """Several processes: what comes in over Redis pub/sub is broadcast the same way."""

    async def _handle_emit(self, message):
        if message.get("callback") is not None or message.get("binary"):
            return await super()._handle_emit(message)
        data = message["data"]
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        fan_out(self, message["event"], data, message.get("namespace"), message.get("room"),
                message.get("skip_sid"))  # fmt: skip
