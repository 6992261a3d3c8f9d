"""The JSON API against a real Redis."""

from livecast.store import keys
from tests.support import ADMIN, PRODUCTS, bearer


async def test_create_show_returns_keys_once_and_stores_hashes(client, r):
    res = await client.post(
        "/api/shows", json={"title": "라이브", "products": PRODUCTS}, headers=ADMIN
    )
    assert res.status == 201
    body = await res.json()
    show_id = body["show"]["id"]
    assert body["show"]["currency"] == "KRW"
    assert [p["sku"] for p in body["show"]["products"]] == [p["sku"] for p in PRODUCTS]
    dump = str(await r.hgetall(keys.show(show_id))) + str(
        await r.smembers(keys.moderator_keys(show_id))
    )
    assert body["host_key"] not in dump and body["moderator_key"] not in dump
    res = await client.get(f"/api/shows/{show_id}")
    view = await res.json()
    assert "host_key" not in view and view["status"] == "scheduled"
    assert view["products"][0]["remaining"] == 100 and view["products"][2]["remaining"] is None


async def test_host_key_may_add_products(client, show):
    show_id = show["show"]["id"]
    res = await client.post(
        f"/api/shows/{show_id}/products",
        json={"sku": "new-1", "name": "새 상품", "price": 1000},
        headers=bearer(show["host_key"]),
    )
    assert res.status == 201
    res = await client.post(
        f"/api/shows/{show_id}/products",
        json={"sku": "new-2", "name": "x", "price": 1},
        headers=bearer(show["moderator_key"]),
    )
    assert res.status == 401
    assert (await res.json())["error"] == "bad_key"
