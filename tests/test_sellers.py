"""Sellers, seller keys and what they may do to shows, against a real Redis."""

from __future__ import annotations

import pytest

from livecast.app import create_app
from livecast.store import catalog, keys
from livecast.store.sellers import parse_seller, valid_registration_no
from tests.support import ADMIN, PRODUCTS, bearer

BUSINESS = {
    "registration_no": "2208162517",
    "mail_order_no": "제2026-서울중구-0001호",
    "address": "서울 중구 세종대로 110",
    "phone": "02 123 4567",
}


async def new_seller(client, seller_id: str, name: str = "우리동네 협동조합") -> dict:
    res = await client.post(
        "/api/sellers", json={"id": seller_id, "name": name, "business": BUSINESS}, headers=ADMIN
    )
    assert res.status == 201, await res.text()
    return await res.json()


async def seller_show(client, key: str, **fields) -> dict:
    body = {"title": "김장 라이브", "products": PRODUCTS[:2], **fields}
    res = await client.post("/api/shows", json=body, headers=bearer(key))
    assert res.status == 201, await res.text()
    return await res.json()


# rules
def test_registration_number_check_digit():
    assert valid_registration_no("2208162517")  # a real one
    assert valid_registration_no("1248100998")
    assert not valid_registration_no("2208162518")
    assert not valid_registration_no("220816251")


def test_seller_rules_name_what_to_fix():
    seller = parse_seller({"name": " 가게 ", "business": BUSINESS})
    assert seller["name"] == "가게"
    assert seller["business"]["registration_no"] == "220-81-62517"
    assert seller["business"]["phone"] == "02-123-4567"
    assert parse_seller({"name": "x", "business": {"phone": "1588 1234"}})["business"] == {
        "phone": "1588-1234"
    }
    for bad, field in (
        ({"name": "x", "business": {"registration_no": "123-45-67890"}}, "registration_no"),
        ({"name": "x", "business": {"phone": "call me"}}, "phone"),
        ({"name": "x", "business": {"fax": "1"}}, "business"),
        ({"name": "\u202eevil"}, "name"),
        ({"name": "\u200b\u200b"}, "name"),
        ({"name": "x", "id": "Bad Id"}, "id"),
        ({"name": "x", "colour": "red"}, "colour"),
    ):
        with pytest.raises(catalog.InvalidInput) as info:
            parse_seller(bad)
        assert field in info.value.message or field == (info.value.field or "")


# sellers API
async def test_admin_creates_sellers_and_the_key_is_shown_once(client, r):
    created = await new_seller(client, "coop")
    assert created["seller"]["business"]["registration_no"] == "220-81-62517"
    dump = str(await r.hgetall(keys.seller("coop"))) + str(await r.hgetall(keys.SELLER_KEYS))
    assert created["key"] not in dump and catalog.hash_key(created["key"]) in dump
    listed = await (await client.get("/api/sellers", headers=ADMIN)).json()
    assert [(s["id"], s["shows"]) for s in listed] == [("coop", 0)]
    assert "key" not in listed[0] and "key_hash" not in listed[0]
    res = await client.post("/api/sellers", json={"id": "coop", "name": "again"}, headers=ADMIN)
    assert res.status == 409 and (await res.json())["error"] == "seller_exists"


async def test_sellers_are_the_admins(client):
    seller = await new_seller(client, "coop")
    for method, path in (("POST", "/api/sellers"), ("GET", "/api/sellers")):
        res = await client.request(method, path, json={"name": "x"})
        assert res.status == 401 and (await res.json())["error"] == "unauthorized"
        res = await client.request(method, path, json={"name": "x"}, headers=bearer(seller["key"]))
        assert res.status == 401 and (await res.json())["error"] == "bad_key"
    res = await client.post("/api/sellers/coop/key", headers=bearer(seller["key"]))
    assert res.status == 401


async def test_bad_seller_input_is_refused_and_nothing_is_stored(client, r):
    for body in (
        {"name": "\u202egpj.exe"},
        {"name": "\u200b\u2060"},
        {"name": "가게", "business": {"registration_no": "1234567890"}},
        {"name": "가게", "business": "nope"},
        ["not", "an", "object"],
    ):
        res = await client.post("/api/sellers", json=body, headers=ADMIN)
        assert res.status == 400, body
        assert (await res.json())["error"] == "invalid"
    assert await r.zcard(keys.SELLERS) == 0 and await r.hlen(keys.SELLER_KEYS) == 0


async def test_rotating_a_seller_key(client):
    seller = await new_seller(client, "coop")
    res = await client.post("/api/sellers/coop/key", headers=ADMIN)
    assert res.status == 201
    new_key = (await res.json())["key"]
    assert (await client.get("/api/me", headers=bearer(seller["key"]))).status == 401
    me = await (await client.get("/api/me", headers=bearer(new_key))).json()
    assert me["role"] == "seller" and me["seller"]["id"] == "coop"
    assert (await client.post("/api/sellers/nobody/key", headers=ADMIN)).status == 404


async def test_me_tells_the_console_who_and_where(client):
    me = await (await client.get("/api/me", headers=ADMIN)).json()
    assert me == {
        "role": "admin",
        "seller": None,
        "base_url": "http://127.0.0.1:8080",
        "timezone": "Asia/Seoul",
    }
    assert (await client.get("/api/me")).status == 401


# shows of a seller
async def test_a_seller_key_creates_shows_of_its_seller(client):
    seller = await new_seller(client, "coop")
    created = await seller_show(client, seller["key"])
    show = created["show"]
    assert show["seller_id"] == "coop" and show["seller"] == "우리동네 협동조합"
    assert show["business"] == {
        "name": "우리동네 협동조합",
        "registration_no": "220-81-62517",
        "mail_order_no": "제2026-서울중구-0001호",
        "address": "서울 중구 세종대로 110",
        "phone": "02-123-4567",
    }
    links = created["links"]
    assert links["studio"] == f"http://127.0.0.1:8080/studio/{show['id']}#key={created['host_key']}"
    assert links["orders"].endswith(f"/orders/{show['id']}#key={created['host_key']}")
    public = await (await client.get(f"/api/shows/{show['id']}")).json()
    assert public["business"]["registration_no"] == "220-81-62517"
    # another seller's id in the body: refused
    await new_seller(client, "other", "다른 가게")
    res = await client.post(
        "/api/shows", json={"title": "t", "seller_id": "other"}, headers=bearer(seller["key"])
    )
    assert res.status == 403 and (await res.json())["error"] == "forbidden"


async def test_admin_may_create_a_show_for_a_seller(client):
    await new_seller(client, "coop")
    res = await client.post("/api/shows", json={"title": "t", "seller_id": "coop"}, headers=ADMIN)
    assert res.status == 201 and (await res.json())["show"]["seller_id"] == "coop"
    res = await client.post("/api/shows", json={"title": "t", "seller_id": "nobody"}, headers=ADMIN)
    assert res.status == 400 and (await res.json())["error"] == "unknown_seller"


async def test_listing_by_seller(client, show):
    coop = await new_seller(client, "coop")
    other = await new_seller(client, "other", "다른 가게")
    mine = (await seller_show(client, coop["key"]))["show"]["id"]
    await seller_show(client, other["key"])
    everyone = await (await client.get("/api/shows")).json()
    assert len(everyone) == 3
    only = await (await client.get("/api/shows?seller=coop")).json()
    assert [s["id"] for s in only] == [mine]
    assert await (await client.get("/api/shows?seller=nobody")).json() == []


async def test_a_seller_key_on_another_sellers_show_is_forbidden(client, r):
    coop = await new_seller(client, "coop")
    other = await new_seller(client, "other", "다른 가게")
    theirs = (await seller_show(client, other["key"]))["show"]["id"]
    before = await r.hgetall(keys.show(theirs))
    products_before = await r.hgetall(keys.products(theirs))
    as_coop = bearer(coop["key"])
    for method, path, body in (
        ("PATCH", f"/api/shows/{theirs}", {"title": "가로채기"}),
        ("POST", f"/api/shows/{theirs}/products", {"sku": "x", "name": "x", "price": 1}),
        ("PATCH", f"/api/shows/{theirs}/products/kimchi-1kg", {"price": 1}),
        ("DELETE", f"/api/shows/{theirs}/products/kimchi-1kg", None),
        ("POST", f"/api/shows/{theirs}/keys/host", None),
        ("GET", f"/api/shows/{theirs}/report", None),
        ("GET", f"/api/shows/{theirs}/sales", None),
    ):
        res = await client.request(method, path, json=body, headers=as_coop)
        assert res.status == 403, (method, path)
        assert (await res.json())["error"] == "forbidden"
    assert await r.hgetall(keys.show(theirs)) == before
    assert await r.hgetall(keys.products(theirs)) == products_before


async def test_a_seller_edits_its_show_and_may_not_move_it(client, r):
    coop = await new_seller(client, "coop")
    show_id = (await seller_show(client, coop["key"]))["show"]["id"]
    as_coop = bearer(coop["key"])
    res = await client.patch(
        f"/api/shows/{show_id}",
        json={"title": "새 제목", "starts_at": "2026-12-01T19:00", "cover": "/media/" + "a" * 32},
        headers=as_coop,
    )
    assert res.status == 200, await res.text()
    view = await res.json()
    assert view["title"] == "새 제목" and view["starts_at"] == "2026-12-01T10:00:00Z"
    res = await client.patch(f"/api/shows/{show_id}", json={"seller_id": "x"}, headers=as_coop)
    assert res.status == 403
    for bad in (
        {"title": "\u202eevil"},
        {"title": "\u200b\u200c"},
        {"starts_at": "1999-12-31T23:00"},
        {"starts_at": "9999-12-31T23:59:59-14:00"},
        {"starts_at": "next friday"},
        {"cover": "javascript:alert(1)"},
        {"event": "no-such-event"},
    ):
        res = await client.patch(f"/api/shows/{show_id}", json=bad, headers=as_coop)
        assert res.status == 400, bad
    assert (await r.hget(keys.show(show_id), "title")) == "새 제목"


async def test_admin_moves_a_show_to_a_seller(client, show):
    await new_seller(client, "coop")
    show_id = show["show"]["id"]
    res = await client.patch(f"/api/shows/{show_id}", json={"seller_id": "coop"}, headers=ADMIN)
    assert res.status == 200
    assert (await res.json())["seller"] == "우리동네 협동조합"
    only = await (await client.get("/api/shows?seller=coop")).json()
    assert [s["id"] for s in only] == [show_id]


async def test_an_ended_show_is_not_edited(client, r):
    coop = await new_seller(client, "coop")
    show_id = (await seller_show(client, coop["key"]))["show"]["id"]
    await catalog.set_status(r, show_id, "ended")
    res = await client.patch(
        f"/api/shows/{show_id}", json={"title": "x"}, headers=bearer(coop["key"])
    )
    assert res.status == 400 and (await res.json())["error"] == "ended"


async def test_products_by_the_seller_and_deleting_before_live(client, r):
    coop = await new_seller(client, "coop")
    show_id = (await seller_show(client, coop["key"]))["show"]["id"]
    as_coop = bearer(coop["key"])
    res = await client.post(
        f"/api/shows/{show_id}/products",
        json={"sku": "pear", "name": "신고배 5kg", "price": 30000, "list_price": 39000},
        headers=as_coop,
    )
    assert res.status == 201 and (await res.json())["list_price"] == 39000
    res = await client.delete(f"/api/shows/{show_id}/products/pear", headers=as_coop)
    assert res.status == 200
    assert not await r.hexists(keys.products(show_id), "pear")
    assert "pear" not in await r.zrange(keys.skus(show_id), 0, -1)
    res = await client.delete(f"/api/shows/{show_id}/products/pear", headers=as_coop)
    assert res.status == 404 and (await res.json())["error"] == "unknown_product"
    await catalog.set_status(r, show_id, "live")
    res = await client.delete(f"/api/shows/{show_id}/products/kimchi-1kg", headers=as_coop)
    assert res.status == 409 and (await res.json())["error"] == "started"
    assert await r.hexists(keys.products(show_id), "kimchi-1kg")


async def test_key_rotation_by_the_seller(client, r):
    coop = await new_seller(client, "coop")
    created = await seller_show(client, coop["key"])
    show_id = created["show"]["id"]
    for role in ("host", "moderator", "shop"):
        res = await client.post(f"/api/shows/{show_id}/keys/{role}", headers=bearer(coop["key"]))
        assert res.status == 201
        body = await res.json()
        assert body["role"] == role and len(body["key"]) >= 22
        if role == "host":
            assert body["link"] == f"http://127.0.0.1:8080/studio/{show_id}#key={body['key']}"
            assert await catalog.role_for_key(r, show_id, body["key"]) == "host"
            assert await catalog.role_for_key(r, show_id, created["host_key"]) is None
        if role == "moderator":
            assert body["link"].endswith(f"/moderate/{show_id}#key={body['key']}")
            assert await catalog.role_for_key(r, show_id, created["moderator_key"]) is None
    # a host key does not rotate keys
    res = await client.post(f"/api/shows/{show_id}/keys/host", headers=bearer(created["host_key"]))
    assert res.status == 401
    res = await client.post(f"/api/shows/{show_id}/keys/owner", headers=ADMIN)
    assert res.status == 404


async def test_links_use_the_public_url(aiohttp_client, settings, r):
    app = create_app(settings.with_(public_url="https://live.example.kr"))
    client = await aiohttp_client(app)
    res = await client.post("/api/shows", json={"title": "t"}, headers=ADMIN)
    created = await res.json()
    assert created["links"]["watch"] == f"https://live.example.kr/watch/{created['show']['id']}"
    me = await (await client.get("/api/me", headers=ADMIN)).json()
    assert me["base_url"] == "https://live.example.kr"
    res = await client.get("/api/qr", params={"text": created["links"]["watch"]})
    assert res.status == 200
    res = await client.get("/api/qr", params={"text": "http://127.0.0.1:8080/watch/x"})
    assert res.status == 400


# times
async def test_a_time_without_offset_is_read_in_the_configured_zone(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    res = await client.post(
        "/api/shows", json={"title": "t", "starts_at": "2026-12-01T19:00"}, headers=ADMIN
    )
    assert (await res.json())["show"]["starts_at"] == "2026-12-01T10:00:00Z"
    utc = await aiohttp_client(create_app(settings.with_(timezone="Europe/Berlin")))
    res = await utc.post(
        "/api/shows", json={"title": "t", "starts_at": "2026-12-01T19:00"}, headers=ADMIN
    )
    assert (await res.json())["show"]["starts_at"] == "2026-12-01T18:00:00Z"
    res = await utc.post(
        "/api/shows", json={"title": "t", "starts_at": "2026-12-01T19:00+09:00"}, headers=ADMIN
    )
    assert (await res.json())["show"]["starts_at"] == "2026-12-01T10:00:00Z"


# product detail pages
async def test_products_carry_a_detail_page(client, show):
    show_id = show["show"]["id"]
    product = {
        "sku": "pear",
        "name": "신고배 5kg 선물세트",
        "price": 30000,
        "list_price": 39000,
        "images": ["/media/" + "a" * 32 + ".webp", "https://cdn.example.kr/pear2.jpg"],
        "detail": {
            "text": "아삭한 신고배.\n\n당일 수확.",
            "images": ["/media/" + "b" * 32 + ".webp"],
        },
        "notice": {"품목 또는 명칭": "신고배", "원산지": "국내산(나주)", "제조연월일": "2026-09"},
    }
    res = await client.post(f"/api/shows/{show_id}/products", json=product, headers=ADMIN)
    assert res.status == 201, await res.text()
    view = await (await client.get(f"/api/shows/{show_id}")).json()
    pear = next(p for p in view["products"] if p["sku"] == "pear")
    assert pear["image"] == product["images"][0] and pear["images"] == product["images"]
    assert pear["detail"] == product["detail"] and pear["list_price"] == 39000
    assert list(pear["notice"]) == ["품목 또는 명칭", "원산지", "제조연월일"]
    # image alone becomes the first photo; images replaces them
    res = await client.patch(
        f"/api/shows/{show_id}/products/pear", json={"image": "/x.png"}, headers=ADMIN
    )
    assert (await res.json())["images"] == ["/x.png", *product["images"]]
    res = await client.patch(
        f"/api/shows/{show_id}/products/pear", json={"images": ["/y.png"]}, headers=ADMIN
    )
    body = await res.json()
    assert (body["image"], body["images"]) == ("/y.png", ["/y.png"])
    # old products (image only) still read with images
    kimchi = next(p for p in view["products"] if p["sku"] == "kimchi-1kg")
    assert kimchi["images"] == [] and kimchi["detail"] is None and kimchi["notice"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"name": "가" * 101},
        {"images": ["/p.png"] * 11},
        {"images": "/p.png"},
        {"images": ["javascript:alert(1)"]},
        {"images": ["//evil.example/x.png"]},
        {"list_price": -1},
        {"list_price": "39000"},
        {"detail": {"text": "x", "video": "y"}},
        {"detail": {"text": "\u202eevil"}},
        {"notice": {"원산지": ""}},
        {"notice": [["원산지", "국내"], ["원산지", "중국"]]},
        {"notice": {"\u200b": "x"}},
        {"notice": "원산지: 국내"},
    ],
)
async def test_bad_detail_fields_are_refused(client, show, r, change):
    show_id = show["show"]["id"]
    before = await r.hget(keys.products(show_id), "kimchi-1kg")
    res = await client.patch(
        f"/api/shows/{show_id}/products/kimchi-1kg", json=change, headers=ADMIN
    )
    assert res.status == 400 and (await res.json())["error"] == "invalid"
    assert await r.hget(keys.products(show_id), "kimchi-1kg") == before


# calendar and QR
async def test_calendar_file_for_a_scheduled_show(client):
    res = await client.post(
        "/api/shows",
        json={"title": "추석, 선물; 특가", "starts_at": "2026-09-20T19:00"},
        headers=ADMIN,
    )
    show_id = (await res.json())["show"]["id"]
    res = await client.get(f"/api/shows/{show_id}/calendar.ics")
    assert res.status == 200 and res.content_type == "text/calendar"
    text = await res.text()
    assert "DTSTART:20260920T100000Z\r\n" in text and "DTEND:20260920T110000Z" in text
    assert "SUMMARY:추석\\, 선물\\; 특가" in text
    assert f"URL:http://127.0.0.1:8080/watch/{show_id}" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    res = await client.post("/api/shows", json={"title": "t"}, headers=ADMIN)
    no_start = (await res.json())["show"]["id"]
    res = await client.get(f"/api/shows/{no_start}/calendar.ics")
    assert res.status == 404 and (await res.json())["error"] == "no_start"


async def test_qr_codes_only_for_this_servers_links(client):
    res = await client.get("/api/qr", params={"text": "http://127.0.0.1:8080/watch/demo"})
    assert res.status == 200 and res.content_type == "image/svg+xml"
    svg = await res.read()
    assert svg.startswith(b"<svg") and b"<script" not in svg
    res = await client.post(
        "/api/qr", json={"text": "http://127.0.0.1:8080/studio/demo#key=secret"}
    )
    assert res.status == 200 and res.headers["Cache-Control"] == "no-store"
    for text in ("https://evil.example/phish", "http://127.0.0.1:8080.evil.example/x", ""):
        res = await client.get("/api/qr", params={"text": text})
        assert res.status == 400
    res = await client.get("/api/qr", params={"text": "http://127.0.0.1:8080/" + "a" * 1000})
    assert res.status == 400


async def test_settings_hold_the_whole_checkout_for_its_managers(client):
    coop = await new_seller(client, "coop")
    other = await new_seller(client, "other", "다른 가게")
    checkout = {
        "mode": "builtin",
        "payment": ["bank_transfer"],
        "bank": {"name": "농협은행", "account": "302-1234-5678-91", "holder": "우리동네"},
        "shipping_fee": 3000,
        "free_shipping_over": 50000,
    }
    created = await seller_show(client, coop["key"], checkout=checkout)
    show_id = created["show"]["id"]
    assert "bank" not in created["show"]["checkout"]  # the public view
    res = await client.get(f"/api/shows/{show_id}/settings", headers=bearer(coop["key"]))
    assert res.status == 200
    assert await res.json() == {"show": show_id, "checkout": checkout, "webhook": None}
    res = await client.get(f"/api/shows/{show_id}/settings", headers=bearer(other["key"]))
    assert res.status == 403
    res = await client.get(f"/api/shows/{show_id}/settings", headers=bearer(created["host_key"]))
    assert res.status == 401


def test_the_cli_reads_a_start_time_in_the_configured_zone(redis_url, tmp_path):
    import json

    from tests.support import run_cli

    env = {"REDIS_URL": redis_url, "LIVECAST_DATA_DIR": str(tmp_path)}
    args = ("show", "create", "--title", "김장 라이브", "--starts-at", "2026-12-01T19:00", "--json")
    made = run_cli(*args, env=env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["show"]["starts_at"] == "2026-12-01T10:00:00Z"
    made = run_cli(*args, env={**env, "LIVECAST_PUBLIC_URL": "https://live.example.kr"})
    urls = json.loads(made.stdout)["urls"]
    assert urls["watch"].startswith("https://live.example.kr/watch/")
