"""Buys over Socket.IO against the real Lua script."""

import asyncio
import uuid

from livecast.store import catalog, keys


def order() -> str:
    return uuid.uuid4().hex


async def test_buy_acks_figures_and_broadcasts_sales(connect, live_show, r, rt):
    show = live_show["show"]["id"]
    buyer = await connect({"show": show, "name": "김민수"})
    watcher = await connect({"show": show, "name": "watcher"})
    ack = await buyer.call("buy", {"sku": "kimchi-1kg", "qty": 2, "order_id": order()})
    assert ack["ok"] is True and ack["sold"] == 2 and ack["remaining"] == 98
    assert ack["price"] == 12900 and ack["total"] == 25800
    sales = await watcher.wait_for("sales", lambda s: s["kimchi-1kg"]["sold"] == 2)
    assert sales["kimchi-1kg"] == {"sold": 2, "remaining": 98}
    toast = await watcher.wait_for("purchase")
    assert toast == {"name": "김*수", "sku": "kimchi-1kg", "qty": 2}
    assert await r.xlen(keys.orders(show)) == 1
    metric = rt.metrics.registry.get_sample_value
    assert metric("livecast_units_sold_total") == 2
    assert metric("livecast_buys_total", {"result": "ok"}) == 1
    assert metric("livecast_socket_clients") == 2


async def test_buy_refusals(connect, show, r):
    show_id = show["show"]["id"]
    viewer = await connect({"show": show_id, "name": "v"})
    ack = await viewer.call("buy", {"sku": "kimchi-1kg", "qty": 1, "order_id": order()})
    assert ack["ok"] is False and ack["error"] == "not_live" and ack["message"]
    await catalog.set_status(r, show_id, "live")
    ack = await viewer.call("buy", {"sku": "kimchi-1kg", "qty": 6, "order_id": order()})
    assert ack["error"] == "limit_exceeded"
    ack = await viewer.call("buy", {"sku": "nope", "qty": 1, "order_id": order()})
    assert ack["error"] == "unknown_product"
    for payload in [{"sku": "tote", "qty": 0, "order_id": order()}, {"sku": "tote"}, [1], None]:
        assert (await viewer.call("buy", payload))["error"] == "invalid"
    host = await connect({"show": show_id, "key": show["host_key"]})
    ack = await host.call("buy", {"sku": "tote", "qty": 1, "order_id": order()})
    assert ack["error"] == "forbidden"


async def test_300_buyers_100_units(connect, live_show, r):
    show = live_show["show"]["id"]
    await catalog.patch_product(r, show, "waffle-10p", {"stock": 100})
    peers = await asyncio.gather(*(connect({"show": show, "name": f"b{i}"}) for i in range(30)))
    watcher = peers[0]
    calls = [
        peers[i % len(peers)].call("buy", {"sku": "waffle-10p", "qty": 1, "order_id": order()})
        for i in range(300)
    ]
    acks = await asyncio.gather(*calls)
    ok = [a for a in acks if a["ok"]]
    refused = [a["error"] for a in acks if not a["ok"]]
    assert len(ok) == 100
    assert len(refused) == 200 and set(refused) <= {"sold_out", "insufficient_stock"}
    assert await r.hget(keys.sold(show), "waffle-10p") == "100"
    assert await r.hget(keys.stock(show), "waffle-10p") == "0"
    assert await r.xlen(keys.orders(show)) == 100
    await watcher.wait_for("soldout", lambda d: d == {"sku": "waffle-10p"})
    await asyncio.sleep(0.3)
    assert watcher.received("soldout") == [{"sku": "waffle-10p"}]


async def test_same_order_id_twice_is_one_order(connect, live_show, r):
    show = live_show["show"]["id"]
    a = await connect({"show": show, "name": "tab1"})
    b = await connect({"show": show, "name": "tab2", "token": a.you["token"]})
    oid = order()
    payload = {"sku": "kimchi-1kg", "qty": 1, "order_id": oid}
    acks = await asyncio.gather(a.call("buy", payload), b.call("buy", payload))
    assert all(ack["ok"] for ack in acks)
    assert {ack["sold"] for ack in acks} == {1}
    assert sum(1 for ack in acks if ack.get("replayed")) == 1
    assert await r.xlen(keys.orders(show)) == 1
