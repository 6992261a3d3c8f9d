"""The broadcast fast path, the guards, and the python-engineio/socketio internals they use."""

import json

import engineio
import pytest
import socketio

from livecast.errors import InternalsMoved
from livecast.realtime import fanout
from livecast.realtime.fanout import LocalManager, check_internals, encode


def test_installed_engineio_and_socketio_have_the_internals_fanout_uses():
    check_internals(socketio.AsyncServer(async_mode="aiohttp", client_manager=LocalManager()))


def test_check_fails_loudly_naming_engineio_and_its_version():
    server = socketio.AsyncServer(async_mode="aiohttp")
    server.eio.sockets = None
    with pytest.raises(InternalsMoved) as raised:
        check_internals(server)
    message = str(raised.value)
    assert message.startswith("python-engineio 4.") and "AsyncServer.sockets" in message


def test_check_notices_a_socket_whose_send_no_longer_queues(monkeypatch):
    async def send(self, pkt):
        return None

    monkeypatch.setattr(engineio.async_socket.AsyncSocket, "send", send)
    with pytest.raises(InternalsMoved, match="python-engineio .*AsyncSocket.send"):
        check_internals(socketio.AsyncServer(async_mode="aiohttp"))


def test_check_runs_before_the_swap_so_a_moved_driver_fails(monkeypatch):
    monkeypatch.setitem(engineio.async_drivers.aiohttp._async, "websocket", object)
    with pytest.raises(InternalsMoved, match="_async\\['websocket'\\]"):
        fanout.create_server(async_mode="aiohttp")


def test_socketio_without_disconnect_reasons_is_named(monkeypatch):
    monkeypatch.delattr(socketio.base_server.BaseServer, "reason")
    with pytest.raises(InternalsMoved, match="^python-socketio .*reason"):
        check_internals(socketio.AsyncServer(async_mode="aiohttp"))


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


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        ('42["chat:send",{"text":"hi"}]', None),
        ("2probe", None),
        ('451-["chat:send",{"_placeholder":true,"num":0}]', "binary"),
        ("461-[]", "binary"),
        (b"\x04raw", "binary"),
        ("bAAEC", "binary"),
        ("", "malformed"),
        ("x", "malformed"),
    ],
)
def test_frames_are_judged_before_anything_is_decoded(frame, problem):
    assert fanout.frame_problem(frame) == problem


@pytest.mark.parametrize(
    "packet",
    ['2["a"', "2{}", "2[]", "2[1]", '2/admin,["a"]', '0"x"', "2" + "[" * 100_000, "2" + "9" * 5000],
)
def test_packets_that_do_not_decode_are_malformed(packet):
    with pytest.raises(fanout.MalformedPacket):
        fanout.CheckedPacket(encoded_packet=packet)


async def test_what_comes_over_redis_pub_sub_reaches_the_room(connect, rt, show):
    assert isinstance(rt.sio.manager, fanout.RedisManager)  # tests' settings share a Redis
    show_id = show["show"]["id"]
    a = await connect({"show": show_id, "name": "a"})
    b = await connect({"show": show_id, "name": "b"})
    other = await connect({"show": show_id, "name": "c"})
    await rt.sio.manager._handle_emit(
        {
            "method": "emit",
            "event": "pinned",
            "data": [{"text": "공지"}],
            "namespace": "/",
            "room": rt.show_room(show_id),
            "skip_sid": other.sio.get_sid("/"),
        }
    )
    assert await a.wait_for("pinned", lambda d: d == {"text": "공지"})
    assert await b.wait_for("pinned", lambda d: d == {"text": "공지"})
    await a.sio.sleep(0.2)  # as long again as a and b took: c was skipped
    assert other.received("pinned") == []


async def test_websockets_are_answered_without_compression(aiohttp_client, app, show):
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/socket.io/?EIO=4&transport=websocket", compress=15)
    assert ws.compress == 0  # the server declined permessage-deflate
    assert (await ws.receive_str(timeout=5)).startswith("0{")
    await ws.send_str("40" + json.dumps({"show": show["show"]["id"], "name": "raw"}))
    assert (await ws.receive_str(timeout=5)).startswith("40{")
    await ws.send_str("41")  # a clean Socket.IO disconnect, as browsers send
    await ws.close()
