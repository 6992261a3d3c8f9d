"""Sale events (기획전): the API, joining shows to them, and the event page."""

from __future__ import annotations

import pytest

from livecast.store import InvalidInput, keys
from livecast.store.events import parse_event, status_at
from tests.support import ADMIN, bearer

CHUSEOK = {
    "id": "chuseok-2026",
    "title": "추석 선물 기획전",
    "subtitle": "산지 직송 선물세트",
    "starts_at": "2026-09-20T00:00",
    "ends_at": "2026-09-27T00:00",
    "banner": "/media/" + "c" * 32 + ".webp",
}


def test_event_rules():
    event = parse_event(CHUSEOK)
    assert (
        event["starts_at"] == "2026-09-19T15:00:00Z" and event["ends_at"] == "2026-09-26T15:00:00Z"
    )
    assert status_at(event, 0) == "upcoming"
    for bad in (
        {**CHUSEOK, "ends_at": "2026-09-19T00:00"},
        {**CHUSEOK, "ends_at": "2028-09-19T00:00"},
        {**CHUSEOK, "starts_at": None},
        {**CHUSEOK, "starts_at": "1999-01-01T00:00"},
        {**CHUSEOK, "title": "\u202e기획전"},
        {**CHUSEOK, "title": "\u3164"},
        {**CHUSEOK, "banner": "javascript:alert(1)"},
        {**CHUSEOK, "id": "Not An Id"},
        {**CHUSEOK, "colour": "red"},
    ):
        with pytest.raises(InvalidInput):
            parse_event(bad)


async def create(client, body=CHUSEOK) -> dict:
    res = await client.post("/api/events", json=body, headers=ADMIN)
    assert res.status == 201, await res.text()
    return await res.json()


async def test_admin_creates_events_everyone_reads_them(client):
    event = await create(client)
    assert event["id"] == "chuseok-2026" and event["link"].endswith("/events/chuseok-2026")
    assert event["status"] in ("upcoming", "running", "ended")
    listed = await (await client.get("/api/events")).json()
    assert [(e["id"], e["show_ids"]) for e in listed] == [("chuseok-2026", [])]
    one = await (await client.get("/api/events/chuseok-2026")).json()
    assert one["title"] == "추석 선물 기획전" and one["shows"] == []
    res = await client.post("/api/events", json=CHUSEOK, headers=ADMIN)
    assert res.status == 409 and (await res.json())["error"] == "event_exists"
    res = await client.get("/api/events/nope")
    assert res.status == 404 and (await res.json())["error"] == "unknown_event"


async def test_only_the_admin_creates_events(client, show, r):
    for headers in ({}, bearer(show["host_key"])):
        res = await client.post("/api/events", json=CHUSEOK, headers=headers)
        assert res.status == 401
    res = await client.post("/api/events", json={**CHUSEOK, "ends_at": "x"}, headers=ADMIN)
    assert res.status == 400 and (await res.json())["error"] == "invalid"
    assert await r.zcard(keys.EVENTS) == 0


async def test_shows_join_and_leave_an_event(client, r):
    await create(client)
    await create(client, {**CHUSEOK, "id": "korea-sale", "title": "코리아세일페스타"})
    ids = []
    for title, starts in (("저녁 방송", "2026-09-21T19:00"), ("아침 방송", "2026-09-21T09:00")):
        res = await client.post(
            "/api/shows",
            json={"title": title, "starts_at": starts, "event": "chuseok-2026"},
            headers=ADMIN,
        )
        assert res.status == 201
        ids.append((await res.json())["show"]["id"])
    res = await client.post("/api/shows", json={"title": "미정"}, headers=ADMIN)
    undated = (await res.json())["show"]["id"]
    res = await client.patch(f"/api/shows/{undated}", json={"event": "chuseok-2026"}, headers=ADMIN)
    assert res.status == 200 and (await res.json())["event"] == "chuseok-2026"
    event = await (await client.get("/api/events/chuseok-2026")).json()
    # by start time, the show without one last
    assert [s["id"] for s in event["shows"]] == [ids[1], ids[0], undated]
    res = await client.patch(f"/api/shows/{undated}", json={"event": "korea-sale"}, headers=ADMIN)
    assert res.status == 200
    assert undated not in await r.zrange(keys.event_shows("chuseok-2026"), 0, -1)
    assert await r.zrange(keys.event_shows("korea-sale"), 0, -1) == [undated]
    res = await client.patch(f"/api/shows/{undated}", json={"event": None}, headers=ADMIN)
    assert (await res.json())["event"] is None
    assert await r.zcard(keys.event_shows("korea-sale")) == 0
    res = await client.post("/api/shows", json={"title": "t", "event": "nope"}, headers=ADMIN)
    assert res.status == 400 and (await res.json())["error"] == "unknown_event"


async def test_event_page_and_console_page(client):
    await create(client)
    res = await client.get("/events/chuseok-2026")
    assert res.status == 200 and "text/html" in res.content_type
    assert (await client.get("/events/nope")).status == 404
    assert (await client.get("/events/..%2f..%2fetc")).status == 404
    res = await client.get("/console")
    assert res.status == 200 and "console.js" in await res.text()
