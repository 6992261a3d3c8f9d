"""The benchmarks' lean Socket.IO client stays usable after idling (it once died at 10 s)."""

import asyncio

import aiohttp

from livecast.bench.sioclient import LightClient

IDLE_SECONDS = 12  # longer than the 10 s receive timeout the client used to set


async def test_lean_client_sends_after_idling(aiohttp_server, app, live_show):
    server = await aiohttp_server(app)
    base = str(server.make_url("/")).rstrip("/")
    show = live_show["show"]["id"]
    async with aiohttp.ClientSession() as session:
        client = await LightClient(session, base, {"show": show, "name": "idle"}).connect()
        try:
            await asyncio.sleep(IDLE_SECONDS)
            ack = await asyncio.wait_for(client.emit("chat:send", {"text": "still here"}), 10)
            assert ack["ok"] is True and ack["id"]
        finally:
            await client.close()
