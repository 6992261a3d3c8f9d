"""The JSON API against a real Redis."""

import csv
import io

import pytest

from livecast.app import create_app
from livecast.store import keys, sales
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


async def test_list_and_get(client, show):
    shows = await (await client.get("/api/shows")).json()
    assert [s["id"] for s in shows] == [show["show"]["id"]]
    res = await client.get("/api/shows/nope")
    assert res.status == 404 and (await res.json())["error"] == "unknown_show"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid"),
        (b"", 400, "invalid"),
        (b"[]", 400, "invalid"),
        (b'{"seller": "x"}', 400, "invalid"),
        (b'{"title": 5}', 400, "invalid"),
        (b'{"title": "t", "products": [{"sku": "a", "name": "x", "price": -1}]}', 400, "invalid"),
        (b'{"title": "t", "products": [{"sku": "a", "name": "x", "stock": 1}]}', 400, "invalid"),
        (b'{"title": "t", "currency": "dollars"}', 400, "invalid"),
        (b'{"title": "t", "unknown": 1}', 400, "invalid"),
    ],
)
async def test_create_show_rejects_bad_bodies_and_writes_nothing(client, r, body, status, code):
    res = await client.post(
        "/api/shows", data=body, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert res.status == status
    answer = await res.json()
    assert answer["error"] == code and answer["message"]
    assert await r.keys("livecast:show*") == []  # never a half-written show


async def test_create_show_needs_the_admin_token(client, r):
    res = await client.post("/api/shows", json={"title": "t"})
    assert res.status == 401 and (await res.json())["error"] == "unauthorized"
    res = await client.post("/api/shows", json={"title": "t"}, headers=bearer("wrong-token"))
    assert res.status == 401 and (await res.json())["error"] == "bad_key"
    assert await r.keys("livecast:show*") == []


async def test_product_routes_validate(client, show):
    show_id, host = show["show"]["id"], bearer(show["host_key"])
    cases = [
        ("post", f"/api/shows/{show_id}/products", {"sku": "kimchi-1kg", "name": "x", "price": 1},
         409, "duplicate_sku"),
        ("post", f"/api/shows/{show_id}/products", {"sku": "z", "name": "x", "price": -5},
         400, "invalid"),
        ("post", "/api/shows/nope/products", {"sku": "z", "name": "x", "price": 5},
         404, "unknown_show"),
        ("patch", f"/api/shows/{show_id}/products/nope", {"price": 5}, 404, "unknown_product"),
        ("patch", f"/api/shows/{show_id}/products/tote", {"stock": -1}, 400, "invalid"),
        ("patch", f"/api/shows/{show_id}/products/tote", {"sku": "other"}, 400, "invalid"),
        ("patch", f"/api/shows/{show_id}/products/tote", {}, 400, "invalid"),
    ]  # fmt: skip
    for method, path, body, status, code in cases:
        res = await getattr(client, method)(
            path, json=body, headers={**ADMIN} if "nope/" in path else host
        )
        assert (res.status, (await res.json())["error"]) == (status, code), (method, path, body)
    res = await client.patch(f"/api/shows/{show_id}/products/tote", json={"price": 4500})
    assert res.status == 401
    res = await client.patch(
        f"/api/shows/{show_id}/products/tote", json={"price": 4500, "stock": 3}, headers=host
    )
    assert res.status == 200
    assert {k: (await res.json())[k] for k in ("price", "remaining")} == {
        "price": 4500,
        "remaining": 3,
    }


async def test_sales_csv_matches_json(client, r, live_show):
    show_id = live_show["show"]["id"]
    buyer = sales.Buyer(r)
    await buyer.buy(show_id, "u1", "n", "kimchi-1kg", 3, "order-csv-1")
    await buyer.buy(show_id, "u2", "n", "tote", 2, "order-csv-2")
    host = bearer(live_show["host_key"])
    report = await (await client.get(f"/api/shows/{show_id}/sales", headers=host)).json()
    res = await client.get(f"/api/shows/{show_id}/sales?format=csv", headers=ADMIN)
    assert res.status == 200 and res.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await res.text())))
    assert [
        {k: row[k] for k in ("sku", "sold", "revenue", "remaining")} for row in rows
    ] == [
        {"sku": p["sku"], "sold": str(p["sold"]), "revenue": str(p["revenue"]),
         "remaining": "" if p["remaining"] is None else str(p["remaining"])}
        for p in report["products"]
    ]  # fmt: skip
    assert report["total"] == {"sold": 5, "paid": 0, "revenue": 3 * 12900 + 2 * 5000, "orders": 2}
    assert (await client.get(f"/api/shows/{show_id}/sales")).status == 401
    res = await client.get(f"/api/shows/{show_id}/sales?format=xml", headers=host)
    assert res.status == 400


async def test_health_and_metrics(client):
    res = await client.get("/healthz")
    assert res.status == 200 and (await res.json())["ok"] is True
    res = await client.get("/metrics")
    text = await res.text()
    assert res.status == 200 and "livecast_http_requests_total" in text


async def test_unknown_api_route_is_json_404(client):
    res = await client.get("/api/nothing-here")
    assert res.status == 404 and (await res.json())["error"] == "not_found"


async def test_pages_are_served(client, show):
    assert (await client.get("/")).status == 200
    for page in ("studio", "watch", "moderate", "replay"):
        assert (await client.get(f"/{page}/{show['show']['id']}")).status == 200
        assert (await client.get(f"/{page}/unknown-show")).status == 404


async def test_cors_only_for_configured_origins(aiohttp_client, settings, show):
    client = await aiohttp_client(
        create_app(settings.with_(cors_origins=("https://shop.example",)))
    )
    path = f"/api/shows/{show['show']['id']}"
    res = await client.get(path, headers={"Origin": "https://shop.example"})
    assert res.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Location" in res.headers["Access-Control-Expose-Headers"]
    res = await client.options(
        path,
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "PATCH"},
    )
    assert res.status == 204 and "PATCH" in res.headers["Access-Control-Allow-Methods"]
    res = await client.get(path, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in res.headers


async def test_same_origin_by_default(client, show):
    res = await client.get("/api/shows", headers={"Origin": "https://shop.example"})
    assert res.status == 200 and "Access-Control-Allow-Origin" not in res.headers
