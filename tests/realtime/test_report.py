"""The show report's figures, counted by the realtime plane as things happen, and its route."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

from livecast.store import report
from tests.support import ADMIN, bearer


async def eventually(r, show_id, check, timeout=5.0):
    """The report once ``check(report)`` holds (writers run as background tasks)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        figures = await report.show_report(r, show_id)
        if check(figures) or asyncio.get_running_loop().time() > deadline:
            return figures
        await asyncio.sleep(0.05)


async def test_joins_chat_hearts_buys_and_leaving_are_counted(connect, live_show, r):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "key": live_show["host_key"]})
    alice = await connect({"show": show, "name": "앨리스"})
    bob = await connect({"show": show, "name": "bob"})
    assert (await alice.call("chat:send", {"text": "안녕하세요"}))["ok"]
    assert (await host.call("chat:send", {"text": "어서 오세요"}))["ok"]
    for _ in range(3):
        assert (await bob.call("react", {"kind": "heart"}))["ok"]
    ack = await alice.call("buy", {"sku": "kimchi-1kg", "qty": 2, "order_id": uuid.uuid4().hex})
    assert ack["ok"] is True
    figures = await eventually(
        r,
        show,
        lambda f: (
            f["minutes"]
            and sum(m["hearts"] for m in f["minutes"]) == 3
            and sum(m["units"] for m in f["minutes"]) == 2
            and sum(m["chat"] for m in f["minutes"]) == 2
        ),
    )
    assert figures["unique_viewers"] == 2 and figures["joins"] == 2  # the host is no viewer
    assert figures["peak_viewers"] == 2
    assert sum(m["revenue"] for m in figures["minutes"]) == 25800 == figures["revenue"]
    assert figures["buyers"] == 1 and figures["conversion"] == 0.5
    await bob.close()
    figures = await eventually(r, show, lambda f: f["avg_watch_seconds"] > 0)
    assert 0 < figures["avg_watch_seconds"] < 60


async def test_report_route_is_for_admin_seller_and_host(client, live_show, r):
    show = live_show["show"]["id"]
    await report.count(r, show, "chat", 3)
    for headers in (ADMIN, bearer(live_show["host_key"])):
        res = await client.get(f"/api/shows/{show}/report", headers=headers)
        assert res.status == 200
        body = await res.json()
        assert body["minutes"][0]["chat"] == 3
        assert body["replay_url"] == f"http://127.0.0.1:8080/replay/{show}"
    res = await client.get(f"/api/shows/{show}/report", headers=bearer(live_show["moderator_key"]))
    assert res.status == 401
    assert (await client.get(f"/api/shows/{show}/report")).status == 401
    res = await client.get(f"/api/shows/{show}/report?format=csv", headers=ADMIN)
    assert res.status == 200 and res.content_type == "text/csv"
    raw = await res.read()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][4] == "채팅 (chat)" and rows[1][4] == "3"
    res = await client.get(f"/api/shows/{show}/report?format=xml", headers=ADMIN)
    assert res.status == 400
    assert (await client.get("/api/shows/nope/report", headers=ADMIN)).status == 404
