"""Orders against a real Redis: every transition, its bad moves, units given back once."""

import asyncio
import csv
import io
import json

import pytest

from livecast.store import InvalidInput, catalog, keys, sales
from livecast.store import orders as rules
from livecast.store.errors import BadTransition, UnknownOrder
from livecast.store.orders import Orders

BUYER = {
    "name": "김민수",
    "phone": "01012345678",
    "postcode": "04524",
    "address": "서울 중구 세종대로 110",
    "address2": "3층",
    "memo": "문 앞에 놓아 주세요",
}


@pytest.fixture
def buyer(r):
    return sales.Buyer(r)


@pytest.fixture
def orders(r):
    return Orders(r)


async def figures(r, show_id, sku):
    stock = await r.hget(keys.stock(show_id), sku)
    sold = await r.hget(keys.sold(show_id), sku)
    revenue = await r.hget(keys.revenue(show_id), sku)
    paid = await r.hget(keys.paid(show_id), sku)
    return {
        "stock": None if stock is None else int(stock),
        "sold": int(sold or 0),
        "revenue": int(revenue or 0),
        "paid": int(paid or 0),
    }


async def outbox_types(r, order_id):
    return [e[1]["type"] for e in await r.xrange(keys.OUTBOX) if e[1]["key"] == order_id]


async def test_a_buy_reserves_an_order(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    ack = await buyer.buy(show_id, "u1", "민수", "kimchi-1kg", 2, "order-r-0001")
    assert ack["ok"] and ack["status"] == "reserved"
    assert ack["total"] == 25800 and ack["shipping_fee"] == 3000 and ack["amount_due"] == 28800
    order = await orders.get("order-r-0001")
    assert order["status"] == "reserved" and order["show"] == show_id
    assert order["expires_at"] == ack["expires_at"] == order["created_at"] + 15 * 60_000
    assert order["name"] == "포기김치 1kg" and order["buyer"] is None
    assert [h["status"] for h in order["history"]] == ["reserved"]
    assert await r.zscore(keys.ORDER_DEADLINES, "order-r-0001") == ack["expires_at"]
    assert await outbox_types(r, "order-r-0001") == ["order.reserved"]
    assert await figures(r, show_id, "kimchi-1kg") == {
        "stock": 98,
        "sold": 2,
        "revenue": 25800,
        "paid": 0,
    }


async def test_free_shipping_over_the_threshold(r, live_show, buyer):
    show_id = live_show["show"]["id"]
    ack = await buyer.buy(show_id, "u1", "n", "kimchi-1kg", 3, "order-free-01")
    assert ack["total"] == 38700 and ack["shipping_fee"] == 0 and ack["amount_due"] == 38700


async def test_order_id_of_another_buyer_is_refused(r, live_show, buyer):
    show_id = live_show["show"]["id"]
    assert (await buyer.buy(show_id, "u1", "n", "tote", 1, "order-shared"))["ok"]
    theirs = await buyer.buy(show_id, "u2", "n", "tote", 1, "order-shared")
    assert theirs["ok"] is False and theirs["error"] == "invalid"
    assert int(await r.hget(keys.sold(show_id), "tote")) == 1


async def test_lifecycle_bank_transfer_to_shipped(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    await buyer.buy(show_id, "u1", "n", "waffle-10p", 2, "order-life-1")
    change = {"buyer": rules.parse_buyer(BUYER), "payment": "bank_transfer"}
    placed, moved = await orders.move(
        "order-life-1", "placed", by="buyer", change=change, user="u1"
    )
    assert moved and placed["status"] == "placed" and placed["buyer"]["phone"] == "010-1234-5678"
    assert placed["expires_at"] == placed["history"][-1]["at"] + 24 * 3_600_000
    again, moved = await orders.move("order-life-1", "placed", by="buyer", change=change, user="u1")
    assert not moved and again == placed  # the same transition twice is a no-op
    paid, _ = await orders.move("order-life-1", "paid", by="host")
    assert paid["expires_at"] is None
    assert await r.zscore(keys.ORDER_DEADLINES, "order-life-1") is None
    assert (await figures(r, show_id, "waffle-10p"))["paid"] == 2
    with pytest.raises(InvalidInput):
        await orders.move("order-life-1", "shipped", by="host")  # no tracking number
    shipped, _ = await orders.move(
        "order-life-1", "shipped", by="shop", change={"carrier": "CJ대한통운", "tracking": "1234"}
    )
    assert (shipped["carrier"], shipped["tracking"]) == ("CJ대한통운", "1234")
    assert [h["status"] for h in shipped["history"]] == ["reserved", "placed", "paid", "shipped"]
    assert [h["by"] for h in shipped["history"]] == ["buyer", "buyer", "host", "shop"]
    assert await outbox_types(r, "order-life-1") == [
        "order.reserved",
        "order.placed",
        "order.paid",
        "order.shipped",
    ]
    with pytest.raises(BadTransition):
        await orders.move("order-life-1", "cancelled", by="host")  # shipped is final


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ([], ["shipped", "expired"]),
        (["placed"], ["reserved"]),
        (["placed", "paid"], ["placed", "expired"]),
        (["cancelled"], ["placed", "paid", "shipped", "reserved"]),
    ],
)
async def test_bad_moves_are_refused(r, live_show, buyer, orders, path, bad):
    show_id = live_show["show"]["id"]
    await buyer.buy(show_id, "u1", "n", "tote", 1, "order-bad-01")
    change = {"buyer": rules.parse_buyer(BUYER), "payment": "bank_transfer"}
    for status in path:
        await orders.move("order-bad-01", status, by="admin", change=change)
    before = await orders.get("order-bad-01")
    for status in bad:
        with pytest.raises(BadTransition):
            await orders.move("order-bad-01", status, by="admin", change=change)
    assert await orders.get("order-bad-01") == before


async def test_placing_needs_buyer_and_shipping_on_delivery(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    await buyer.buy(show_id, "u1", "n", "tote", 1, "order-cod-01")
    with pytest.raises(InvalidInput):
        await orders.move("order-cod-01", "placed", by="shop")
    change = {"buyer": rules.parse_buyer(BUYER), "payment": "on_delivery"}
    placed, _ = await orders.move("order-cod-01", "placed", by="buyer", change=change, user="u1")
    assert placed["expires_at"] is None  # pay on delivery: no payment deadline
    shipped, _ = await orders.move(
        "order-cod-01", "shipped", by="host", change={"carrier": "우체국택배", "tracking": "6071"}
    )
    assert shipped["status"] == "shipped"


async def test_a_buyer_acts_only_on_their_own_order(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    await buyer.buy(show_id, "u1", "n", "tote", 1, "order-own-01")
    with pytest.raises(UnknownOrder):
        await orders.move("order-own-01", "cancelled", by="buyer", user="u2")
    with pytest.raises(UnknownOrder):
        await orders.get("order-nobody")


async def test_cancel_gives_units_back_once(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    await catalog.patch_product(r, show_id, "waffle-10p", {"stock": 50})
    acks = await asyncio.gather(
        *(buyer.buy(show_id, f"u{i}", "n", "waffle-10p", 1, f"order-c-{i:04d}") for i in range(300))
    )
    ok = [a for a in acks if a["ok"]]
    assert len(ok) == 50 and {a["error"] for a in acks if not a["ok"]} == {"sold_out"}
    cancels = [orders.move(a["order_id"], "cancelled", by="host") for a in ok[:10]]
    cancels += [orders.move(a["order_id"], "cancelled", by="admin") for a in ok[:10]]
    results = await asyncio.gather(*cancels)
    assert sum(moved for _, moved in results) == 10
    assert await figures(r, show_id, "waffle-10p") == {
        "stock": 10,
        "sold": 40,
        "revenue": 40 * 9900,
        "paid": 0,
    }
    again = await asyncio.gather(
        *(buyer.buy(show_id, f"w{i}", "n", "waffle-10p", 1, f"order-w-{i:04d}") for i in range(30))
    )
    assert sum(a["ok"] for a in again) == 10
    assert (await figures(r, show_id, "waffle-10p"))["stock"] == 0


async def test_cancelling_a_paid_order_takes_back_paid_units(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    await buyer.buy(show_id, "u1", "n", "kimchi-1kg", 2, "order-pc-01")
    change = {"buyer": rules.parse_buyer(BUYER), "payment": "shop"}
    await orders.move("order-pc-01", "paid", by="shop", change=change)
    assert (await figures(r, show_id, "kimchi-1kg"))["paid"] == 2
    await orders.move("order-pc-01", "cancelled", by="shop")
    assert await figures(r, show_id, "kimchi-1kg") == {
        "stock": 100,
        "sold": 0,
        "revenue": 0,
        "paid": 0,
    }


async def test_sweeps_expire_each_order_exactly_once(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    for i in range(40):
        await buyer.buy(show_id, f"u{i}", "n", "waffle-10p", 1, f"order-x-{i:04d}")
    change = {"buyer": rules.parse_buyer(BUYER), "payment": "bank_transfer"}
    await orders.move("order-x-0000", "placed", by="buyer", change=change, user="u0")
    await orders.move("order-x-0001", "placed", by="buyer", change=change, user="u1")
    await orders.move("order-x-0001", "paid", by="host")
    # the holds run out: move every deadline into the past (Redis TIME decides what is due)
    due = await r.zrange(keys.ORDER_DEADLINES, 0, -1)
    await r.zadd(keys.ORDER_DEADLINES, {order_id: 1 for order_id in due})
    sweepers = [Orders(r) for _ in range(4)]
    results = await asyncio.gather(*(s.sweep(limit=7) for s in sweepers for _ in range(5)))
    expired = [order["order_id"] for batch in results for _, order in batch]
    assert len(expired) == len(set(expired)) == 39  # the paid one stays
    assert "order-x-0001" not in expired
    assert await figures(r, show_id, "waffle-10p") == {
        "stock": 49,
        "sold": 1,
        "revenue": 9900,
        "paid": 1,
    }
    assert (await orders.get("order-x-0000"))["status"] == "expired"
    assert await outbox_types(r, "order-x-0000") == [
        "order.reserved",
        "order.placed",
        "order.expired",
    ]
    with pytest.raises(BadTransition) as refused:
        await orders.move("order-x-0002", "placed", by="buyer", change=change, user="u2")
    assert refused.value.code == "expired"
    assert await orders.sweep() == []


async def test_listing_pages_and_filters(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    for i in range(7):
        await buyer.buy(show_id, "u1", "n", "tote", 1, f"order-l-{i:04d}")
    await orders.move("order-l-0003", "cancelled", by="host")
    page, cursor = await orders.for_show(show_id, limit=3)
    assert [o["order_id"] for o in page] == ["order-l-0000", "order-l-0001", "order-l-0002"]
    rest, end = await orders.for_show(show_id, after=cursor, limit=10)
    assert [o["order_id"] for o in rest][:1] == ["order-l-0003"] and end is None
    cancelled, _ = await orders.for_show(show_id, statuses=("cancelled",))
    assert [o["order_id"] for o in cancelled] == ["order-l-0003"]
    mine = await orders.for_buyer(show_id, "u1")
    assert len(mine) == 7 and all("user" not in o for o in mine)


async def test_purge_removes_buyers_details_of_finished_orders(r, live_show, buyer, orders):
    show_id = live_show["show"]["id"]
    change = {"buyer": rules.parse_buyer(BUYER), "payment": "on_delivery"}
    for n in range(3):
        await buyer.buy(show_id, f"u{n}", "n", "tote", 1, f"order-p-{n:04d}")
        await orders.move(f"order-p-{n:04d}", "placed", by="buyer", change=change, user=f"u{n}")
    # the later events a few ms after the last order (ids are ms: within one ms of it
    # they would count as old as it)
    await asyncio.sleep(0.01)
    await orders.move("order-p-0000", "cancelled", by="host")
    shipping = {"carrier": "CJ대한통운", "tracking": "5555"}
    await orders.move("order-p-0001", "shipped", by="host", change=shipping)
    created = (await orders.get("order-p-0002"))["created_at"]
    assert await orders.purge(created - 60_000) == 0  # none that old
    assert await orders.purge(created + 1) == 2  # the open one keeps its buyer
    assert (await orders.get("order-p-0000"))["buyer"] is None
    assert (await orders.get("order-p-0001"))["purged"] is True
    assert (await orders.get("order-p-0002"))["buyer"]["name"] == "김민수"
    left = [int(entry_id.split("-")[0]) for entry_id, _ in await r.xrange(keys.OUTBOX)]
    assert left and min(left) > created  # older events (buyers' details too) are gone


def test_buyer_rules():
    assert rules.parse_buyer(BUYER)["phone"] == "010-1234-5678"
    assert rules.normalize_phone("02-123-4567") == "02-123-4567"
    assert rules.normalize_phone("+82 10 9876 5432") == "010-9876-5432"
    assert rules.normalize_phone("031 123 4567") == "031-123-4567"
    for phone in ("12345", "010-12", "abc", "011-1234-56789", "080-123-4567"):
        with pytest.raises(InvalidInput) as bad:
            rules.normalize_phone(phone)
        assert bad.value.field == "phone"
    for postcode in ("1234", "123-456", "abcde"):
        with pytest.raises(InvalidInput):
            rules.parse_postcode(postcode)
    for name in ("\u200b\u200b", "\u202eevil", "a\x00b", "   "):
        with pytest.raises(InvalidInput) as bad:
            rules.parse_buyer({**BUYER, "name": name})
        assert bad.value.field == "name"
    with pytest.raises(InvalidInput):
        rules.parse_buyer({**BUYER, "extra": 1})


def test_checkout_rules():
    assert rules.parse_checkout(None)["payment"] == ["on_delivery"]
    bank = {"name": "농협", "account": "302-1234", "holder": "협동조합"}
    full = rules.parse_checkout({"mode": "builtin", "payment": ["bank_transfer"], "bank": bank})
    assert full["bank"] == bank and full["shipping_fee"] == 3000
    with pytest.raises(InvalidInput):
        rules.parse_checkout({"mode": "builtin", "payment": ["bank_transfer"]})  # no account
    with pytest.raises(InvalidInput):
        rules.parse_checkout({"mode": "shop", "url": "https://shop.example/?o={order_id}"})
    with pytest.raises(InvalidInput):
        rules.parse_checkout({"mode": "builtin", "shipping_fee": -1})


def test_shop_url_is_signed():
    order = {"order_id": "order-s-1", "sku": "tote", "qty": 2, "price": 5000, "show": "s"}
    template = (
        "https://shop.example/cart?order={order_id}&sku={sku}&qty={qty}&price={price}&sig={sig}"
    )
    url = rules.shop_url(template, order, "abc")
    sig = rules.shop_signature("abc", order)
    assert url == f"https://shop.example/cart?order=order-s-1&sku=tote&qty=2&price=5000&sig={sig}"
    assert rules.shop_signature("abc", {**order, "price": 1}) != sig
    assert rules.shop_signature("abd", order) != sig


def test_csv_opens_in_excel():
    order = {
        "order_id": "20261130",
        "sku": "tote",
        "name": "=HYPERLINK(1)",
        "qty": 1,
        "price": 5000,
        "total": 5000,
        "shipping_fee": 3000,
        "amount_due": 8000,
        "status": "placed",
        "created_at": 1764500000000,
        "payment": "bank_transfer",
        "buyer": rules.parse_buyer(BUYER),
        "tracking": None,
    }
    body = rules.orders_csv([order])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "주문번호 (order_id)" and rows[0][12] == "연락처 (phone)"
    row = dict(zip([h.split(" (")[1][:-1] for h in rows[0]], rows[1], strict=True))
    assert row["order_id"] == '="20261130"' and row["postcode"] == '="04524"'
    assert row["product"] == "'=HYPERLINK(1)"  # no formula from data
    assert row["status"] == "주문 완료" and row["payment"] == "무통장입금"
    assert row["created_at"] == "2025-11-30 19:53:20"  # Asia/Seoul
    assert json.dumps(row, ensure_ascii=False).count("김민수") == 1
