"""The show report: per-minute writers and the report read back, against a real Redis."""

from __future__ import annotations

import csv
import io

from livecast.store import keys, report

T0 = 29_000_000 * 60_000  # a minute boundary (ms)
MIN = 60_000


async def join(r, show_id, user, at):
    await r.hincrby(keys.viewers(show_id), "p1", 1)
    await report.viewer_joined(r, show_id, user, at=at)


async def leave(r, show_id, watched_ms, at):
    await r.hincrby(keys.viewers(show_id), "p1", -1)
    await report.viewer_left(r, show_id, watched_ms, at=at)


def test_minute_rows_fill_gaps_and_carry_the_audience():
    stored = {10: {"viewers": "3", "last": "2", "chat": "4"}, 13: {"hearts": "7"}}
    rows = report.minute_rows(stored, 10, 13)
    assert [row["viewers"] for row in rows] == [3, 2, 2, 2]
    assert [row["chat"] for row in rows] == [4, 0, 0, 0]
    assert rows[3]["hearts"] == 7 and rows[0]["t"] == "1970-01-01T00:10:00Z"


def test_best_minutes_sell_most():
    rows = [
        {"t": "a", "revenue": 0, "units": 0, "hearts": 9, "chat": 0},
        {"t": "b", "revenue": 500, "units": 1, "hearts": 0, "chat": 0},
        {"t": "c", "revenue": 900, "units": 1, "hearts": 0, "chat": 0},
        {"t": "d", "revenue": 0, "units": 0, "hearts": 0, "chat": 0},
    ]
    assert [row["t"] for row in report.best_minutes(rows)] == ["c", "b", "a"]


async def test_report_of_a_short_show(r, live_show):
    show_id = live_show["show"]["id"]
    await join(r, show_id, "v1", T0)
    await join(r, show_id, "v2", T0 + 10_000)
    await join(r, show_id, "v1", T0 + 20_000)  # v1 again in a second tab: one unique viewer
    await report.count(r, show_id, "chat", at=T0 + 30_000)
    await report.count(r, show_id, "hearts", 5, at=T0 + MIN)
    # a buy: the sales hashes (buy.lua's) and the minute's figures
    await r.hincrby(keys.sold(show_id), "kimchi-1kg", 2)
    await r.hincrby(keys.revenue(show_id), "kimchi-1kg", 25800)
    await report.bought(r, show_id, "v2", 2, 25800, at=T0 + MIN + 5_000)
    await report.order_moved(
        r, {"show": show_id, "status": "placed", "total": 25800}, at=T0 + 2 * MIN
    )
    await leave(r, show_id, 90_000, T0 + 3 * MIN)
    await leave(r, show_id, 30_000, T0 + 3 * MIN + 1)
    figures = await report.show_report(r, show_id)
    assert figures["peak_viewers"] == 3
    assert figures["unique_viewers"] == 2 and figures["joins"] == 3
    assert figures["avg_watch_seconds"] == 60.0
    assert figures["buyers"] == 1 and figures["conversion"] == 0.5
    assert figures["units"] == 2 and figures["revenue"] == 25800
    assert figures["orders"] == {"placed": 1, "paid": 0}
    assert figures["by_product"][0] == {
        "sku": "kimchi-1kg",
        "name": "포기김치 1kg",
        "units": 2,
        "paid": 0,
        "revenue": 25800,
    }
    minutes = figures["minutes"]
    assert [m["viewers"] for m in minutes] == [3, 3, 3, 3]  # carried through quiet minutes
    assert [m["units"] for m in minutes] == [0, 2, 0, 0]
    assert minutes[0]["chat"] == 1 and minutes[1]["hearts"] == 5
    assert figures["best_minutes"][0]["t"] == minutes[1]["t"]
    assert set(minutes[0]) >= {"t", "viewers", "hearts", "chat", "units", "revenue"}


async def test_a_cancelled_order_gives_back_its_minute(r, show):
    show_id = show["show"]["id"]
    await report.bought(r, show_id, "v1", 3, 3000, at=T0)
    await report.order_moved(
        r,
        {"show": show_id, "status": "cancelled", "qty": 3, "total": 3000, "created_at": T0 + 1},
        at=T0 + 5 * MIN,
    )
    figures = await report.show_report(r, show_id)
    assert [(m["units"], m["revenue"]) for m in figures["minutes"]] == [(0, 0)]


async def test_no_figures_yet(r, show):
    figures = await report.show_report(r, show["show"]["id"])
    assert figures["minutes"] == [] and figures["peak_viewers"] == 0
    assert figures["conversion"] == 0 and figures["avg_watch_seconds"] == 0


async def test_csv_is_excel_ready(r, show):
    show_id = show["show"]["id"]
    await report.count(r, show_id, "chat", 2, at=T0)
    body = report.report_csv(await report.show_report(r, show_id), timezone="Asia/Seoul")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "시각 (time)" and rows[0][4] == "채팅 (chat)"
    assert rows[1][0] == "2025-02-20 06:20" and rows[1][4] == "2"  # 21:20 UTC, in Seoul
