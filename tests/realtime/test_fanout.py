"""The broadcast fast path and the python-engineio internals it relies on."""

import json

import pytest
import socketio

from livecast.realtime.fanout import LocalManager, RedisManager, check_internals, encode


def test_installed_engineio_has_the_internals_fanout_uses():
    check_internals(socketio.AsyncServer(async_mode="aiohttp", client_manager=LocalManager()))


def test_check_fails_loudly_when_engineio_changes():
    server = socketio.AsyncServer(async_mode="aiohttp")
    server.eio.sockets = None
    with pytest.raises(RuntimeError, match="AsyncServer.sockets"):
        check_internals(server)


def test_packets_are_encoded_as_python_socketio_would():
    server = socketio.AsyncServer(async_mode="aiohttp")
    [pkt] = encode(server, "chat", {"text": "<b>안녕</b>"}, "/")
    encoded = pkt.encode()
    assert encoded.startswith("42[") and json.loads(encoded[2:]) == [
        "chat",
        {"text": "<b>안녕</b>"},
    ]
    [pkt] = encode(server, "deal", None, "/")
    assert pkt.encode() == '42["deal"]'
    assert issubclass(RedisManager, socketio.AsyncRedisManager)


async def test_websockets_are_answered_without_compression(aiohttp_client, app, show):
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/socket.io/?EIO=4&transport=websocket", compress=15)
    assert ws.compress == 0  # the server declined permessage-deflate
    assert (await ws.receive_str(timeout=5)).startswith("0{")
    await ws.send_str("40" + json.dumps({"show": show["show"]["id"], "name": "raw"}))
    assert (await ws.receive_str(timeout=5)).startswith("40{")
    await ws.send_str("41")  # a clean Socket.IO disconnect, as browsers send
    await ws.close()
