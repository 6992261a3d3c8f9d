"""Catalog rules (plain functions) and the catalog in a real Redis."""

import pytest

from livecast.store import InvalidInput, catalog, keys
from livecast.store.catalog import parse_product, parse_show
from livecast.store.errors import Conflict
from tests.support import PRODUCTS


def test_product_rules():
    assert parse_product({"sku": "a-1", "name": " 김치 ", "price": 0})["name"] == "김치"
    for bad in (
        {"sku": "a", "name": "x", "price": -1},
        {"sku": "a", "name": "x", "price": 1.5},
        {"sku": "a", "name": "x", "price": True},
        {"sku": "a", "name": "x", "price": "100"},
        {"sku": "a b", "name": "x", "price": 1},
        {"sku": "a", "name": "", "price": 1},
        {"sku": "a", "name": "x", "price": 1, "stock": -5},
        {"sku": "a", "name": "x", "price": 1, "max_per_order": 0},
        {"sku": "a", "name": "x", "price": 1, "image": "javascript:alert(1)"},
        {"sku": "a", "name": "x", "price": 1, "colour": "red"},
        {"name": "x", "price": 1},
        ["not", "an", "object"],
    ):
        with pytest.raises(InvalidInput):
            parse_product(bad)


def test_show_rules():
    show = parse_show({"title": "t", "starts_at": "2026-12-01T19:00:00+09:00"})
    assert show["starts_at"] == "2026-12-01T10:00:00Z" and show["currency"] == "KRW"
    for bad in (
        {},
        {"title": ""},
        {"title": "t", "currency": "won"},
        {"title": "t", "starts_at": "tomorrow"},
        {"title": "t", "products": {"sku": "a"}},
        {"title": "t", "products": [PRODUCTS[0], PRODUCTS[0]]},
    ):
        with pytest.raises(InvalidInput):
            parse_show(bad)


async def test_keys_are_random_hashed_and_checked(r, show):
    show_id = show["show"]["id"]
    assert len(show["host_key"]) >= 22  # >= 128 bits in urlsafe base64
    assert show["host_key"] != show["moderator_key"]
    everything = []
    for key in await r.keys("*"):
        kind = await r.type(key)
        if kind == "hash":
            everything.append(str(await r.hgetall(key)))
        elif kind == "set":
            everything.append(str(await r.smembers(key)))
    assert not any(show["host_key"] in text or show["moderator_key"] in text for text in everything)
    assert await catalog.role_for_key(r, show_id, show["host_key"]) == "host"
    assert await catalog.role_for_key(r, show_id, show["moderator_key"]) == "moderator"
    other = "y" if show["host_key"].endswith("x") else "x"  # one character off, always
    assert await catalog.role_for_key(r, show_id, show["host_key"][:-1] + other) is None
    assert await catalog.role_for_key(r, show_id, None) is None


async def test_status_moves_forward_and_an_ended_show_stays_ended(r, show):
    show_id = show["show"]["id"]
    assert await catalog.set_status(r, show_id, "live") == "scheduled"
    await r.hset(keys.deal(show_id), mapping={"sku": "tote", "price": 1, "ends_at": 2**40})
    assert await catalog.set_status(r, show_id, "ended") == "live"
    assert not await r.exists(keys.deal(show_id))  # ending a show ends its deal
    with pytest.raises(InvalidInput):
        await catalog.set_status(r, show_id, "scheduled")
    with pytest.raises(Conflict) as refused:
        await catalog.set_status(r, show_id, "live")
    assert (refused.value.code, refused.value.status) == ("ended", 409)
    assert await catalog.set_status(r, show_id, "ended") == "ended"  # again: a no-op
    assert (await catalog.public_view(r, show_id))["status"] == "ended"


async def test_replay_sales_is_on_by_default_and_the_only_change_after_the_end(r, show):
    show_id = show["show"]["id"]
    assert (await catalog.public_view(r, show_id))["replay_sales"] is True
    off = await catalog.create_show(r, {"title": "t", "replay_sales": False})
    assert off["show"]["replay_sales"] is False
    with pytest.raises(InvalidInput):
        await catalog.create_show(r, {"title": "t", "replay_sales": "no"})
    await catalog.set_status(r, show_id, "ended")
    view = await catalog.patch_show(r, show_id, {"replay_sales": False})
    assert view["replay_sales"] is False
    with pytest.raises(InvalidInput) as refused:
        await catalog.patch_show(r, show_id, {"title": "new", "replay_sales": True})
    assert refused.value.code == "ended"


async def test_patch_stock_sets_remaining_and_null_is_unlimited(r, show):
    show_id = show["show"]["id"]
    product = await catalog.patch_product(r, show_id, "kimchi-1kg", {"stock": 7, "price": 11000})
    assert (product["remaining"], product["price"]) == (7, 11000)
    product = await catalog.patch_product(r, show_id, "kimchi-1kg", {"stock": None})
    assert product["remaining"] is None
    assert not await r.hexists(keys.stock(show_id), "kimchi-1kg")
