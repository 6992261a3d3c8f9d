"""Host actions (featured product, timed deals) and the hub in both directions."""

import asyncio
import time
import uuid

import aiohttp

from livecast import hub
from livecast.appkeys import HUB
from livecast.store import catalog, keys


def order() -> str:
    return uuid.uuid4().hex


async def test_feature_a_product(connect, live_show, server, r):
    show = live_show["show"]["id"]
    events = []
    server.app[HUB].subscribe(events.append)
    host = await connect({"show": show, "key": live_show["host_key"]})
    viewer = await connect({"show": show, "name": "v"})
    assert (await host.call("product:feature", {"sku": "waffle-10p"}))["ok"]
    assert await viewer.wait_for("featured") == {"sku": "waffle-10p"}
    assert (await connect({"show": show, "name": "w"})).state["featured"] == "waffle-10p"
    assert (await host.call("product:feature", {"sku": "nope"}))["error"] == "unknown_product"
    assert (await host.call("product:feature", {"sku": None}))["ok"]
    await viewer.wait_for("featured", lambda d: d == {"sku": None})
    assert [e.data for e in events if e.kind == hub.FEATURED] == [
        {"sku": "waffle-10p"},
        {"sku": None},
    ]


async def test_deal_price_inside_the_window_only_and_it_ends_by_itself(connect, live_show, r):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "key": live_show["host_key"]})
    viewer = await connect({"show": show, "name": "v"})
    ack = await host.call("deal:start", {"sku": "tote", "price": 3000, "seconds": 1})
    assert ack["ok"] and ack["price"] == 3000
    deal = await viewer.wait_for("deal", lambda d: d is not None)
    assert deal == {"sku": "tote", "price": 3000, "ends_at": ack["ends_at"]}
    assert (await connect({"show": show, "name": "w"})).state["deal"] == deal
    inside = await viewer.call("buy", {"sku": "tote", "qty": 2, "order_id": order()})
    assert inside["price"] == 3000 and inside["total"] == 6000 and inside["deal"] is True
    other = await viewer.call("buy", {"sku": "waffle-10p", "qty": 1, "order_id": order()})
    assert other["price"] == 9900 and other["deal"] is False
    await viewer.wait_for("deal", lambda d: d is None, timeout=5)
    after = await viewer.call("buy", {"sku": "tote", "qty": 1, "order_id": order()})
    assert after["price"] == 5000 and after["deal"] is False
    assert not await r.exists(keys.deal(show))
    assert int(await r.hget(keys.revenue(show), "tote")) == 6000 + 5000


async def test_deal_end_and_bad_deals(connect, live_show):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "key": live_show["host_key"]})
    viewer = await connect({"show": show, "name": "v"})
    assert (await host.call("deal:start", {"sku": "tote", "price": 1, "seconds": 600}))["ok"]
    assert (await host.call("deal:end", {"sku": "kimchi-1kg"}))["error"] == "invalid"
    assert (await host.call("deal:end", {"sku": "tote"}))["ended"] is True
    await viewer.wait_for("deal", lambda d: d is None)
    assert (await host.call("deal:end", {}))["ended"] is False
    for payload in [
        {"sku": "tote", "price": -1, "seconds": 5},
        {"sku": "tote", "price": 1, "seconds": 0},
        {"sku": "tote", "price": "1", "seconds": 5},
        {"sku": "tote", "price": 1},
    ]:
        assert (await host.call("deal:start", payload))["error"] == "invalid", payload
    ack = await host.call("deal:start", {"sku": "ghost", "price": 1, "seconds": 5})
    assert ack["error"] == "unknown_product"


async def test_per_order_limit(connect, live_show):
    viewer = await connect({"show": live_show["show"]["id"], "name": "v"})
    ok = await viewer.call("buy", {"sku": "kimchi-1kg", "qty": 5, "order_id": order()})
    assert ok["ok"]
    over = await viewer.call("buy", {"sku": "kimchi-1kg", "qty": 6, "order_id": order()})
    assert over["error"] == "limit_exceeded" and over["max_per_order"] == 5


async def test_hub_show_status_and_products_reach_clients(connect, show, server, r):
    show_id = show["show"]["id"]
    viewer = await connect({"show": show_id, "name": "v"})
    await catalog.set_status(r, show_id, "live")
    server.app[HUB].publish(show_id, hub.SHOW_STATUS, {"status": "live"})
    assert await viewer.wait_for("show") == {"status": "live"}
    product = await catalog.add_product(r, show_id, {"sku": "new", "name": "새것", "price": 1})
    server.app[HUB].publish(show_id, hub.PRODUCTS, await catalog.products(r, show_id))
    products = await viewer.wait_for("products")
    assert products[-1] == product


async def test_products_added_through_the_api_are_broadcast(connect, show, url):
    show_id = show["show"]["id"]
    viewer = await connect({"show": show_id, "name": "v"})
    async with aiohttp.ClientSession() as http:
        res = await http.post(
            f"{url}/api/shows/{show_id}/products",
            json={"sku": "api-1", "name": "추가", "price": 100},
            headers={"Authorization": f"Bearer {show['host_key']}"},
        )
        assert res.status == 201
    products = await viewer.wait_for("products")
    assert products[-1]["sku"] == "api-1"


async def test_chat_and_sales_are_published_for_the_recorder(connect, live_show, server):
    show = live_show["show"]["id"]
    events = []
    server.app[HUB].subscribe(events.append)
    viewer = await connect({"show": show, "name": "v"})
    mod = await connect({"show": show, "key": live_show["moderator_key"]})
    sent = await viewer.call("chat:send", {"text": "hi"})
    await mod.call("mod:delete", {"id": sent["id"]})
    await mod.call("mod:clear", {})
    await viewer.call("buy", {"sku": "waffle-10p", "qty": 50, "order_id": order()})
    await viewer.wait_for("soldout")
    await viewer.wait_for("sales", lambda s: s["waffle-10p"]["remaining"] == 0)
    kinds = [e.kind for e in events]
    for kind in (hub.CHAT, hub.CHAT_DELETED, hub.CHAT_CLEARED, hub.SALES, hub.SOLDOUT):
        assert kind in kinds
    chat = next(e for e in events if e.kind == hub.CHAT)
    assert chat.data["text"] == "hi" and chat.show == show


async def test_sales_are_coalesced_under_a_storm(connect, live_show):
    show = live_show["show"]["id"]
    buyers = await asyncio.gather(*(connect({"show": show, "name": f"b{i}"}) for i in range(20)))
    watcher = await connect({"show": show, "name": "watcher"})
    loop = asyncio.get_running_loop()
    start = loop.time()
    calls = [
        buyers[i % 20].call("buy", {"sku": "tote", "qty": 1, "order_id": order()})
        for i in range(1000)
    ]
    acks = await asyncio.gather(*calls)
    elapsed = loop.time() - start
    assert all(a["ok"] for a in acks)
    await watcher.wait_for("sales", lambda s: s["tote"]["sold"] == 1000)
    seconds = max(1.0, loop.time() - start)
    count = len(watcher.received("sales"))
    # at most ~10 per second whatever the rate (one extra for the last flush)
    assert count <= 10 * seconds + 2, (count, seconds, elapsed)
    assert len(watcher.received("purchase")) <= 4 * seconds + 2


async def test_a_deal_from_before_a_restart_still_ends(connect, live_show, r):
    show = live_show["show"]["id"]
    ends_at = int(time.time() * 1000) + 800
    await r.hset(keys.deal(show), mapping={"sku": "tote", "price": 10, "ends_at": ends_at})
    await r.pexpireat(keys.deal(show), ends_at)
    viewer = await connect({"show": show, "name": "v"})
    assert viewer.state["deal"] == {"sku": "tote", "price": 10, "ends_at": ends_at}
    await viewer.wait_for("deal", lambda d: d is None, timeout=5)
