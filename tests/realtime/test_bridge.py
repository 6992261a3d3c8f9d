"""Two apps on one Redis: the recorder's hub events reach the other process's hub."""

import asyncio

import pytest

from livecast import hub
from livecast.app import create_app
from livecast.appkeys import HUB


@pytest.fixture
async def second(aiohttp_server, settings):
    return await aiohttp_server(create_app(settings))


async def test_chat_through_one_process_reaches_the_others_hub(connect, live_show, second, rt):
    events = []
    second.app[HUB].subscribe(events.append)
    mine = []
    rt.hub.subscribe(mine.append)
    viewer = await connect({"show": live_show["show"]["id"], "name": "v"})
    ack = await viewer.call("chat:send", {"text": "녹화에 남겨줘"})
    await viewer.wait_chat(ack["id"])
    for _ in range(250):
        if any(e.kind == hub.CHAT for e in events):
            break
        await asyncio.sleep(0.02)
    chat = next(e for e in events if e.kind == hub.CHAT)
    assert chat.show == live_show["show"]["id"] and chat.data["text"] == "녹화에 남겨줘"
    # published once on the local hub, not echoed back from Redis
    assert [e.kind for e in mine].count(hub.CHAT) == 1


async def test_a_deal_ends_even_if_its_process_is_gone(
    connect, live_show, aiohttp_server, settings
):
    show = live_show["show"]["id"]
    first = await aiohttp_server(create_app(settings))
    second = await aiohttp_server(create_app(settings))
    base = str(first.make_url("/")).rstrip("/")
    other = str(second.make_url("/")).rstrip("/")
    host = await connect({"show": show, "key": live_show["host_key"]}, base=base)
    viewer = await connect({"show": show, "name": "v"}, base=other)
    watcher = await connect({"show": show, "name": "w"})
    ack = await host.call("deal:start", {"sku": "tote", "price": 100, "seconds": 1})
    assert ack["ok"]
    await viewer.wait_for("deal", lambda d: d is not None)
    await host.close()
    await first.close()
    await viewer.wait_for("deal", lambda d: d is None, timeout=5)
    await watcher.wait_for("deal", lambda d: d is None, timeout=5)
    await asyncio.sleep(0.3)
    assert viewer.received("deal").count(None) == 1
    assert watcher.received("deal").count(None) == 1
