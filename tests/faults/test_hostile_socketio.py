"""Hostile Socket.IO input against a real server: binary packets, packets that do not
decode, oversized and malformed long-polling POSTs. Each closes the socket (or is
answered) at once, with one counted log line and no traceback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from tests.faults.conftest import create_show, metric, new_log_lines

CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
REFUSED_LINE = "Socket.IO connection closed"


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def joined_websocket(session: aiohttp.ClientSession, base: str, show: str):
    ws = await session.ws_connect(base + "/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str(timeout=5)).startswith("0{")
    await ws.send_str("40" + json.dumps({"show": show, "name": "attacker"}))
    # the show's coalesced broadcasts (viewers) may come before the connect ack: skip them
    for _ in range(20):
        message = await ws.receive_str(timeout=5)
        if not message.startswith("42["):
            break
    assert message.startswith("40{"), message
    return ws


async def closed_within(ws, seconds: float) -> bool:
    """True if the server closes ``ws`` within ``seconds`` (other frames are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            return False
        if msg.type in CLOSED or msg.type == aiohttp.WSMsgType.ERROR:
            return True
    return False


async def send_quietly(ws, frames) -> int:
    """Send until the connection refuses; returns how many went out."""
    sent = 0
    for frame in frames:
        try:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
        except (ConnectionError, aiohttp.ClientError, RuntimeError):
            break
        sent += 1
    return sent


async def test_a_binary_event_claiming_a_million_attachments_is_refused(live_server):
    server = live_server()
    show = create_show(server)
    before = len(server.output().splitlines())
    async with aiohttp.ClientSession() as session:
        # warm up: the server's first connections allocate what every later one reuses
        warm = await joined_websocket(session, server.base_url, show)
        await warm.close()
        rss_before = rss_kb(server.pid)
        sockets = []
        for _ in range(2):
            ws = await joined_websocket(session, server.base_url, show)
            await ws.send_str('451000000-["chat:send",{"_placeholder":true,"num":0}]')
            sockets.append(ws)
        attachment = b"\x00" * 60_000
        for ws in sockets:
            await send_quietly(ws, [attachment] * 100)  # 6 MB each, if anyone listened
        for ws in sockets:
            assert await closed_within(ws, 5), "the socket stayed open after a binary header"
            await ws.close()
        grown = rss_kb(server.pid) - rss_before
    assert grown < 8_000, f"RSS grew by {grown} kB"
    assert metric(server, "livecast_socketio_refused_total", 'reason="binary"') == 2
    text = "\n".join(new_log_lines(server, before))
    assert "Traceback" not in text
    assert 1 <= text.count(REFUSED_LINE) <= 2, text


async def test_a_binary_frame_is_refused_before_it_is_decoded(live_server):
    server = live_server()
    show = create_show(server)
    async with aiohttp.ClientSession() as session:
        ws = await joined_websocket(session, server.base_url, show)
        await ws.send_bytes(b"\x04" + b"x" * 1000)
        assert await closed_within(ws, 5)
        await ws.close()
    assert metric(server, "livecast_socketio_refused_total", 'reason="binary"') == 1


@pytest.mark.parametrize(
    "bad",
    [
        '42["chat:send"',  # JSON cut short
        "42" + "[" * 60_000,  # nested deeper than any decoder should go
        "42" + "9" * 5_000,  # an integer of 5,000 digits
        "42{}",  # an event that is not a list
        "43[1]",  # an ACK: the server never asks for one
        "4x",  # not a Socket.IO packet type
        "9",  # not an Engine.IO packet type
    ],
)
async def test_a_packet_that_does_not_decode_closes_the_socket_with_one_line(live_server, bad):
    server = live_server()
    show = create_show(server)
    before = len(server.output().splitlines())
    async with aiohttp.ClientSession() as session:
        ws = await joined_websocket(session, server.base_url, show)
        await send_quietly(ws, [bad] * 50)  # a flood from one socket
        assert await closed_within(ws, 5)
        await ws.close()
        # the server is fine: a new socket is admitted as before
        again = await joined_websocket(session, server.base_url, show)
        await again.close()
    lines = new_log_lines(server, before)
    text = "\n".join(lines)
    assert "Traceback" not in text and "handler error" not in text, text
    assert sum(REFUSED_LINE in line for line in lines) == 1, text
    assert metric(server, "livecast_socketio_refused_total", 'reason="malformed"') == 1


async def polling_session(http: aiohttp.ClientSession, base: str, show: str) -> str:
    async with http.get(base + "/socket.io/?EIO=4&transport=polling") as res:
        assert res.status == 200
        sid = json.loads((await res.text())[1:])["sid"]
    url = f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}"
    body = "40" + json.dumps({"show": show, "name": "poller"})
    async with http.post(url, data=body.encode()) as res:
        assert res.status == 200
    async with http.get(url) as res:
        assert (await res.text()).startswith("40{")
    return url


async def poll_until(http: aiohttp.ClientSession, url: str, needle: str, tries: int = 5) -> bool:
    for _ in range(tries):
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=30)) as res:
            if res.status != 200:
                return False
            if needle in await res.text():
                return True
    return False


async def test_an_oversized_polling_post_is_413_and_the_session_goes_on(live_server):
    server = live_server()
    show = create_show(server)
    before = len(server.output().splitlines())
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        url = await polling_session(http, server.base_url, show)
        huge = ('42["chat:send",{"text":"' + "가" * 70_000 + '"}]').encode()
        async with http.post(url, data=huge) as res:
            assert res.status == 413
        # the same session still takes events and answers them
        async with http.post(url, data=b'421["chat:send",{"text":"still here"}]') as res:
            assert res.status == 200
        assert await poll_until(http, url, '431[{"ok":true')
    assert metric(server, "livecast_socketio_refused_total", 'reason="too_large"') == 1
    text = "\n".join(new_log_lines(server, before))
    assert "Traceback" not in text


async def test_a_polling_post_that_does_not_decode_closes_the_session(live_server):
    server = live_server()
    show = create_show(server)
    before = len(server.output().splitlines())
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        url = await polling_session(http, server.base_url, show)
        async with http.post(url, data=b"\xff\xfe not utf-8") as res:
            assert res.status == 400
        async with http.get(url) as res:
            assert res.status == 400  # the session is gone
    lines = new_log_lines(server, before)
    assert not any("Traceback" in line for line in lines), lines
    assert sum(REFUSED_LINE in line for line in lines) == 1, lines
    assert metric(server, "livecast_socketio_refused_total", 'reason="malformed"') == 1
