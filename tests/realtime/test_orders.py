"""A buy becomes an order: the reservation ack, checkout over HTTP with the viewer token,
`order` events to the buyer and the host only, `my:orders`, the order desk routes."""

import asyncio
import csv
import hashlib
import hmac
import importlib.util
import io
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from livecast.store import catalog, keys
from tests.support import ADMIN, bearer

BUYER = {
    "name": "김민수",
    "phone": "010-1234-5678",
    "postcode": "04524",
    "address": "서울 중구 세종대로 110",
    "address2": "3층",
    "memo": "",
}
BANK = {"name": "농협은행", "account": "302-0000-0000-00", "holder": "우리 협동조합"}


def load_example(name: str):
    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def new_order_id() -> str:
    return uuid.uuid4().hex


@pytest.fixture
async def http(url):
    async with aiohttp.ClientSession(base_url=url) as session:
        yield session


@pytest.fixture
async def bank_show(r, live_show):
    show_id = live_show["show"]["id"]
    checkout = {"mode": "builtin", "payment": ["bank_transfer", "on_delivery"], "bank": BANK}
    await r.hset(keys.show(show_id), "status", "scheduled")
    await catalog.patch_show(r, show_id, {"checkout": checkout})
    await catalog.set_status(r, show_id, "live")
    return live_show


async def test_buy_checkout_and_order_events(connect, bank_show, http, r):
    show_id = bank_show["show"]["id"]
    buyer = await connect({"show": show_id, "name": "김민수"})
    stranger = await connect({"show": show_id, "name": "구경꾼"})
    host = await connect({"show": show_id, "key": bank_show["host_key"]})
    moderator = await connect({"show": show_id, "key": bank_show["moderator_key"]})
    order_id = new_order_id()
    ack = await buyer.call("buy", {"sku": "kimchi-1kg", "qty": 2, "order_id": order_id})
    assert ack["ok"] and ack["status"] == "reserved"
    assert ack["checkout_url"] == f"/checkout/{order_id}" and ack["expires_at"] > ack["ts"]
    # the ack is the reservation's notice: no `order` storm while buys pour in
    await host.wait_for("sales", lambda s: s["kimchi-1kg"]["sold"] == 2)
    assert buyer.received("order") == [] and host.received("order") == []

    token = bearer(buyer.you["token"])
    res = await http.get(f"/api/orders/{order_id}", headers=token)
    view = await res.json()
    assert res.status == 200 and view["status"] == "reserved" and view["show_title"]
    assert view["checkout"]["bank"] == BANK and view["checkout"]["payment_hours"] == 24
    bad = await http.post(
        f"/api/orders/{order_id}/checkout",
        json={"buyer": {**BUYER, "phone": "12"}, "payment": "bank_transfer"},
        headers=token,
    )
    assert bad.status == 400 and (await bad.json())["field"] == "phone"
    res = await http.post(
        f"/api/orders/{order_id}/checkout",
        json={"buyer": BUYER, "payment": "bank_transfer"},
        headers=token,
    )
    placed = await res.json()
    assert res.status == 200 and placed["status"] == "placed"
    assert placed["buyer"]["name"] == "김민수" and placed["expires_at"] > ack["expires_at"]
    await buyer.wait_for("order", lambda o: o["status"] == "placed")
    await host.wait_for("order", lambda o: o["status"] == "placed" and o["buyer"])

    # the host marks it paid, then shipped; the buyer hears each step
    host_key = bearer(bank_show["host_key"])
    res = await http.post(
        f"/api/orders/{order_id}/status", json={"status": "paid"}, headers=host_key
    )
    assert res.status == 200
    shipped = {"status": "shipped", "carrier": "CJ대한통운", "tracking": "612345678901"}
    res = await http.post(f"/api/orders/{order_id}/status", json=shipped, headers=host_key)
    assert res.status == 200
    done = await buyer.wait_for("order", lambda o: o["status"] == "shipped")
    assert done["tracking"] == "612345678901"
    mine = await buyer.call("my:orders", {})
    assert mine["ok"] and [o["order_id"] for o in mine["orders"]] == [order_id]

    # personal data: other viewers and moderators never get orders
    assert stranger.received("order") == [] and moderator.received("order") == []
    assert (await stranger.call("my:orders", {}))["orders"] == []
    res = await http.get(f"/api/orders/{order_id}", headers=bearer(stranger.you["token"]))
    assert res.status == 404
    assert (await host.call("my:orders", {}))["error"] == "forbidden"


async def test_status_route_rules(connect, live_show, http):
    show_id = live_show["show"]["id"]
    buyer = await connect({"show": show_id, "name": "b"})
    order_id = new_order_id()
    assert (await buyer.call("buy", {"sku": "tote", "qty": 1, "order_id": order_id}))["ok"]
    path = f"/api/orders/{order_id}/status"
    shop = bearer(live_show["shop_key"])
    token = bearer(buyer.you["token"])
    cases = [
        ({}, {"status": "paid"}, 401, "unauthorized"),
        (bearer("x" * 32), {"status": "paid"}, 404, "unknown_order"),
        (
            shop,
            {"status": "shipped", "carrier": "한진택배", "tracking": "1234"},
            409,
            "bad_transition",
        ),
        (shop, {"status": "placed"}, 400, "invalid"),  # a shop must say who and how
        (shop, {"status": "lost"}, 400, "invalid"),
        (token, {"status": "paid"}, 403, "forbidden"),
    ]
    for headers, body, status, code in cases:
        res = await http.post(path, json=body, headers=headers)
        assert (res.status, (await res.json())["error"]) == (status, code), body
    placed = {"status": "placed", "buyer": BUYER, "payment": "shop", "ref": "SHOP-1001"}
    res = await http.post(path, json=placed, headers=shop)
    assert res.status == 200 and (await res.json())["ref"] == "SHOP-1001"
    res = await http.post(path, json=placed, headers=shop)  # the same again: a no-op
    assert res.status == 200 and len((await res.json())["history"]) == 2
    res = await http.post(path, json={"status": "cancelled"}, headers=token)
    assert res.status == 200 and (await res.json())["status"] == "cancelled"
    res = await http.post(path, json={"status": "paid"}, headers=ADMIN)
    assert res.status == 409 and (await res.json())["error"] == "bad_transition"


async def test_order_desk_listing_and_csv(connect, live_show, http):
    show_id = live_show["show"]["id"]
    buyer = await connect({"show": show_id, "name": "b"})
    ids = [new_order_id() for _ in range(5)]
    for order_id in ids:
        assert (await buyer.call("buy", {"sku": "tote", "qty": 1, "order_id": order_id}))["ok"]
    host = bearer(live_show["host_key"])
    await http.post(f"/api/orders/{ids[1]}/status", json={"status": "cancelled"}, headers=host)
    res = await http.get(f"/api/shows/{show_id}/orders?limit=2", headers=host)
    page = await res.json()
    assert [o["order_id"] for o in page["orders"]] == ids[:2] and page["next"]
    res = await http.get(f"/api/shows/{show_id}/orders?after={page['next']}", headers=host)
    rest = await res.json()
    assert [o["order_id"] for o in rest["orders"]] == ids[2:] and rest["next"] is None
    res = await http.get(f"/api/shows/{show_id}/orders?status=cancelled", headers=ADMIN)
    assert [o["order_id"] for o in (await res.json())["orders"]] == [ids[1]]
    res = await http.get(f"/api/shows/{show_id}/orders?format=csv", headers=host)
    body = await res.read()
    assert res.status == 200 and body.startswith("\ufeff".encode())
    assert res.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 6 and rows[0][0] == "주문번호 (order_id)"
    for query, status in [("?status=nope", 400), ("?limit=0", 400), ("?after=x", 400)]:
        res = await http.get(f"/api/shows/{show_id}/orders{query}", headers=host)
        assert res.status == status
    res = await http.get(f"/api/shows/{show_id}/orders", headers=bearer(live_show["moderator_key"]))
    assert res.status == 401


async def test_shop_checkout_url_is_signed(r, show, connect, http, url):
    show_id = show["show"]["id"]
    template = "https://shop.example/live-cart?order={order_id}&sku={sku}&qty={qty}&price={price}&sig={sig}"
    res = await http.patch(
        f"/api/shows/{show_id}", json={"checkout": {"mode": "shop", "url": template}}, headers=ADMIN
    )
    assert res.status == 200 and (await res.json())["checkout"] == {"mode": "shop"}
    await catalog.set_status(r, show_id, "live")
    buyer = await connect({"show": show_id, "name": "b"})
    order_id = new_order_id()
    ack = await buyer.call("buy", {"sku": "kimchi-1kg", "qty": 1, "order_id": order_id})
    assert ack["shipping_fee"] == 0  # the shop charges shipping itself
    res = await http.get(f"/api/orders/{order_id}", headers=bearer(buyer.you["token"]))
    view = await res.json()
    signing_key = hashlib.sha256(show["shop_key"].encode()).hexdigest().encode()
    sig = hmac.new(signing_key, f"{order_id}|kimchi-1kg|1|12900".encode(), "sha256").hexdigest()
    assert view["checkout"] == {
        "mode": "shop",
        "url": f"https://shop.example/live-cart?order={order_id}&sku=kimchi-1kg&qty=1&price=12900&sig={sig}",
    }
    res = await http.post(
        f"/api/orders/{order_id}/checkout",
        json={"buyer": BUYER, "payment": "on_delivery"},
        headers=bearer(buyer.you["token"]),
    )
    assert res.status == 409

    # the README's shop receiver trusts the link and reports the order placed, then paid
    receiver = load_example("shop_receiver")
    receiver.LIVECAST, receiver.SHOP_KEY = url, show["shop_key"]
    query = dict(parse_qsl(urlsplit(view["checkout"]["url"]).query))
    assert receiver.link_is_genuine(query)
    assert not receiver.link_is_genuine({**query, "price": "100"})
    loop = asyncio.get_running_loop()
    placed = await loop.run_in_executor(
        None, lambda: receiver.report(order_id, "placed", buyer=BUYER, payment="shop", ref="A-1")
    )
    paid = await loop.run_in_executor(None, lambda: receiver.report(order_id, "paid"))
    assert (placed["status"], paid["status"], paid["ref"]) == ("placed", "paid", "A-1")
    await buyer.wait_for("order", lambda o: o["status"] == "paid")
    res = await http.patch(f"/api/shows/{show_id}", json={"checkout": None}, headers=ADMIN)
    assert res.status == 400 and (await res.json())["error"] == "live"


async def test_rotating_the_shop_key(show, http):
    show_id = show["show"]["id"]
    res = await http.post(f"/api/shows/{show_id}/keys/shop", headers=ADMIN)
    new = (await res.json())["key"]
    assert res.status == 201 and new != show["shop_key"]
    old = await http.get(f"/api/shows/{show_id}/orders", headers=bearer(show["shop_key"]))
    assert old.status == 401
    assert (await http.get(f"/api/shows/{show_id}/orders", headers=bearer(new))).status == 200
    res = await http.post(f"/api/shows/{show_id}/keys/admin", headers=ADMIN)
    assert res.status == 404
    res = await http.post(f"/api/shows/{show_id}/keys/host", headers=bearer(new))
    assert res.status == 401
