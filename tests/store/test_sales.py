"""The buy script against a real Redis: exact figures, idempotency, limits, deals."""

import asyncio
import time

import pytest

from livecast.store import InvalidInput, catalog, keys, sales


@pytest.fixture
def buyer(r):
    return sales.Buyer(r)


async def test_buy_updates_stock_sold_revenue_orders(r, live_show, buyer):
    show_id = live_show["show"]["id"]
    answer = await buyer.buy(show_id, "u1", "민수", "kimchi-1kg", 2, "order-0001")
    assert answer["ok"] and answer["sold"] == 2 and answer["remaining"] == 98
    assert answer["total"] == 2 * 12900
    assert await r.hget(keys.stock(show_id), "kimchi-1kg") == "98"
    assert await r.hget(keys.sold(show_id), "kimchi-1kg") == "2"
    entries = await r.xrange(keys.orders(show_id))
    assert [e[1]["order_id"] for e in entries] == ["order-0001"]
    assert {k: entries[0][1][k] for k in ("user", "sku", "qty", "price")} == {
        "user": "u1",
        "sku": "kimchi-1kg",
        "qty": "2",
        "price": "12900",
    }


async def test_retry_with_same_order_id_counts_once(r, live_show, buyer):
    show_id = live_show["show"]["id"]
    answers = await asyncio.gather(
        *(buyer.buy(show_id, "u1", "n", "kimchi-1kg", 1, "order-same") for _ in range(5))
    )
    assert all(a["ok"] for a in answers) and {a["sold"] for a in answers} == {1}
    assert await r.xlen(keys.orders(show_id)) == 1


async def test_concurrent_buyers_never_oversell(r, live_show, buyer):
    show_id = live_show["show"]["id"]  # waffle-10p has 50 units
    answers = await asyncio.gather(
        *(buyer.buy(show_id, f"u{i}", "n", "waffle-10p", 1, f"order-{i:05d}") for i in range(80))
    )
    ok = [a for a in answers if a["ok"]]
    assert len(ok) == 50
    assert {a["error"] for a in answers if not a["ok"]} == {"sold_out"}
    assert await r.hget(keys.stock(show_id), "waffle-10p") == "0"
    assert await r.xlen(keys.orders(show_id)) == 50


async def test_refusals(r, show, buyer):
    show_id = show["show"]["id"]
    assert (await buyer.buy(show_id, "u", "n", "kimchi-1kg", 1, "order-a1"))["error"] == "not_live"
    await catalog.set_status(r, show_id, "live")
    assert (await buyer.buy(show_id, "u", "n", "nope", 1, "order-a2"))["error"] == (
        "unknown_product"
    )
    limit = await buyer.buy(show_id, "u", "n", "kimchi-1kg", 6, "order-a3")
    assert limit["error"] == "limit_exceeded" and limit["max_per_order"] == 5
    short = await buyer.buy(show_id, "u", "n", "waffle-10p", 51, "order-a4")
    assert short["error"] == "insufficient_stock" and short["remaining"] == 50
    unlimited = await buyer.buy(show_id, "u", "n", "tote", 999, "order-a5")
    assert unlimited["ok"] and unlimited["remaining"] is None


async def test_deal_price_inside_the_window_only(r, live_show, buyer):
    show_id = live_show["show"]["id"]
    ends_at = int(time.time() * 1000) + 60_000
    await r.hset(
        keys.deal(show_id), mapping={"sku": "kimchi-1kg", "price": 9900, "ends_at": ends_at}
    )
    inside = await buyer.buy(show_id, "u", "n", "kimchi-1kg", 1, "order-d1")
    assert inside["price"] == 9900 and inside["deal"] is True
    other = await buyer.buy(show_id, "u", "n", "waffle-10p", 1, "order-d2")
    assert other["price"] == 9900 and other["deal"] is False  # waffle's own price
    # the window has closed: the script compares ends_at with Redis' own clock (TIME)
    await r.hset(keys.deal(show_id), "ends_at", ends_at - 60_000)
    after = await buyer.buy(show_id, "u", "n", "kimchi-1kg", 1, "order-d3")
    assert after["price"] == 12900 and after["deal"] is False
    report = await sales.sales_report(r, show_id)
    kimchi = next(row for row in report["products"] if row["sku"] == "kimchi-1kg")
    assert kimchi["revenue"] == 9900 + 12900


def test_parse_buy():
    assert sales.parse_buy({"sku": "a", "qty": 2, "order_id": "abcdefgh"}) == ("a", 2, "abcdefgh")
    for bad in (
        None,
        {"sku": "a", "qty": 0, "order_id": "abcdefgh"},
        {"sku": "a", "qty": "1", "order_id": "abcdefgh"},
        {"sku": "a", "qty": 1, "order_id": "short"},
        {"sku": 5, "qty": 1, "order_id": "abcdefgh"},
    ):
        with pytest.raises(InvalidInput):
            sales.parse_buy(bad)


async def test_batched_buys_survive_a_script_flush(r, live_show, buyer):
    show_id = live_show["show"]["id"]
    await buyer.buy(show_id, "u", "n", "tote", 1, "order-warm")  # script loaded
    await r.script_flush()
    answers = await asyncio.gather(
        *(buyer.buy(show_id, f"u{i}", "n", "tote", 1, f"order-flush-{i}") for i in range(20))
    )
    assert all(a["ok"] and not a.get("replayed") for a in answers)
    assert sorted(a["sold"] for a in answers) == list(range(2, 22))
    assert await r.xlen(keys.orders(show_id)) == 21


async def test_an_ended_show_sells_on_in_its_replay_unless_the_seller_turned_it_off(r, show, buyer):
    show_id = show["show"]["id"]
    await catalog.set_status(r, show_id, "live")
    await catalog.set_status(r, show_id, "ended")
    replayed = await buyer.buy(show_id, "u", "n", "kimchi-1kg", 1, "order-r1")
    assert replayed["ok"] and replayed["price"] == 12900
    await catalog.patch_show(r, show_id, {"replay_sales": False})
    assert (await buyer.buy(show_id, "u", "n", "kimchi-1kg", 1, "order-r2"))["error"] == (
        "not_live"
    )
