"""The show report: per-minute figures counted where things happen, read back after.

The planes call the small writers here as events happen (a viewer joins or leaves,
hearts, chat, a buy, an order moving); each is one round trip to Redis. A minute is
``epoch ms // 60000``; its figures live in ``keys.report_minute`` and the minutes that
have any in ``keys.report_minutes``. :func:`show_report` reads them back with the sales
figures into the contract's shape.

Concurrent viewers: every join and leave records the show's audience at that moment
(``last``) and the minute's peak (``viewers``); a minute without changes carries the
previous minute's ``last``, so a quiet minute of a full show is not a zero.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections import Counter
from collections.abc import Awaitable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from . import catalog, keys, sales

log = logging.getLogger(__name__)

MINUTE_MS = 60_000
MAX_MINUTES = 24 * 60
BEST_MINUTES = 3
MINUTE_FIELDS = (
    "viewers",
    "joins",
    "hearts",
    "chat",
    "units",
    "orders",
    "revenue",
    "placed",
    "paid",
)

# KEYS: viewers hash, minute hash, minutes zset, totals hash, unique-viewers HLL
# ARGV: minute, user ('' when leaving), watch ms (leaving)
AUDIENCE_SCRIPT = """
local now = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do now = now + tonumber(v) end
if now < 0 then now = 0 end
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1])
redis.call('HSET', KEYS[2], 'last', now)
if now > tonumber(redis.call('HGET', KEYS[2], 'viewers') or '-1') then
  redis.call('HSET', KEYS[2], 'viewers', now)
end
if now > tonumber(redis.call('HGET', KEYS[4], 'peak') or '0') then
  redis.call('HSET', KEYS[4], 'peak', now)
end
if ARGV[2] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'joins', 1)
  redis.call('HINCRBY', KEYS[4], 'joins', 1)
  redis.call('PFADD', KEYS[5], ARGV[2])
else
  redis.call('HINCRBY', KEYS[4], 'sessions', 1)
  redis.call('HINCRBY', KEYS[4], 'watch_ms', ARGV[3])
end
return now
"""


def now_ms() -> int:
    return int(time.time() * 1000)


def minute_of(ms: int) -> int:
    return ms // MINUTE_MS


def iso_minute(minute: int) -> str:
    moment = datetime.fromtimestamp(minute * 60, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def quietly(work: Awaitable, what: str) -> None:
    """Run a report writer; a figure that cannot be counted never fails what it counts."""
    try:
        await work
    except (RedisError, OSError) as exc:
        log.warning("show report: %s not counted (%s)", what, type(exc).__name__)


# writers
async def _audience(r, show_id: str, user: str, watch_ms: int, at: int | None) -> None:
    minute = minute_of(now_ms() if at is None else at)
    script = r.register_script(AUDIENCE_SCRIPT)  # EVALSHA, loaded on first use
    await script(
        keys=[
            keys.viewers(show_id),
            keys.report_minute(show_id, minute),
            keys.report_minutes(show_id),
            keys.report_totals(show_id),
            keys.report_viewers(show_id),
        ],
        args=[minute, user, max(0, int(watch_ms))],
    )


async def viewer_joined(r, show_id: str, user: str, *, at: int | None = None) -> None:
    """After the viewer was added to ``keys.viewers``: a join, a unique viewer, the audience."""
    await _audience(r, show_id, user or "?", 0, at)


async def viewer_left(r, show_id: str, watch_ms: int, *, at: int | None = None) -> None:
    """After the viewer was taken off ``keys.viewers``: watch time and the audience."""
    await _audience(r, show_id, "", watch_ms, at)


async def count(r, show_id: str, field: str, n: int = 1, *, at: int | None = None) -> None:
    """Add ``n`` to one figure of the current minute (chat)."""
    async with r.pipeline(transaction=False) as p:
        count_in(p, show_id, field, n, at=at)
        await p.execute()


def count_in(p, show_id: str, field: str, n: int, *, at: int | None = None) -> None:
    """Queue :func:`count` on a pipeline that goes out anyway (coalesced hearts)."""
    minute = minute_of(now_ms() if at is None else at)
    p.hincrby(keys.report_minute(show_id, minute), field, n)
    p.zadd(keys.report_minutes(show_id), {str(minute): minute})


class Tally:
    """Counts made in memory between two flushes of the realtime plane's coalescing loop
    (chat and buys come too fast for a round trip each): :func:`tally_in` writes them."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[int, str]] = Counter()
        self.buyers: set[str] = set()

    def add(self, field: str, n: int = 1, *, at: int | None = None) -> None:
        self.counts[(minute_of(now_ms() if at is None else at), field)] += n

    def bought(self, user: str, qty: int, total: int, *, at: int | None = None) -> None:
        """What :func:`bought` writes, counted here."""
        for field, n in (("units", qty), ("orders", 1), ("revenue", total)):
            self.add(field, n, at=at)
        self.buyers.add(user)


def tally_in(p, show_id: str, tally: Tally) -> None:
    """Queue a tally's counts on a pipeline."""
    minutes = set()
    for (minute, field), n in tally.counts.items():
        p.hincrby(keys.report_minute(show_id, minute), field, n)
        minutes.add(minute)
    if minutes:
        p.zadd(keys.report_minutes(show_id), {str(m): m for m in minutes})
    if tally.buyers:
        p.sadd(keys.report_buyers(show_id), *tally.buyers)


async def bought(
    r, show_id: str, user: str, qty: int, total: int, *, at: int | None = None
) -> None:
    """A successful buy (a reservation): units, an order, revenue, the buyer."""
    minute = minute_of(now_ms() if at is None else at)
    key = keys.report_minute(show_id, minute)
    async with r.pipeline(transaction=False) as p:
        p.hincrby(key, "units", qty)
        p.hincrby(key, "orders", 1)
        p.hincrby(key, "revenue", total)
        p.zadd(keys.report_minutes(show_id), {str(minute): minute})
        p.sadd(keys.report_buyers(show_id), user)
        await p.execute()


async def order_moved(r, order: dict, *, at: int | None = None) -> None:
    """An order changed status: placed and paid count in this minute; a cancelled or
    expired order takes its units and revenue back from the minute it was bought in."""
    await orders_moved(r, [order], at=at)


async def orders_moved(r, orders: list[dict], *, at: int | None = None) -> None:
    """:func:`order_moved` for many orders in one round trip (the expiry sweep)."""
    async with r.pipeline(transaction=False) as p:
        for order in orders:
            order_moved_in(p, order, at=at)
        if len(p):
            await p.execute()


def order_moved_in(p, order: dict, *, at: int | None = None) -> None:
    show_id, status = order["show"], order["status"]
    if status in ("placed", "paid"):
        minute = minute_of(now_ms() if at is None else at)
        key = keys.report_minute(show_id, minute)
        p.hincrby(key, status, 1)
        if status == "paid":
            p.hincrby(key, "paid_revenue", int(order.get("total") or 0))
        p.zadd(keys.report_minutes(show_id), {str(minute): minute})
    elif status in ("cancelled", "expired"):
        key = keys.report_minute(show_id, minute_of(int(order.get("created_at") or now_ms())))
        p.hincrby(key, "units", -int(order.get("qty") or 0))
        p.hincrby(key, "revenue", -int(order.get("total") or 0))


# reading
def minute_rows(stored: dict[int, dict], first: int, last: int) -> list[dict]:
    """One row per minute from ``first`` to ``last``, gaps filled, audience carried over."""
    rows, audience = [], 0
    for minute in range(first, last + 1):
        fig = stored.get(minute) or {}
        viewers = max(audience, int(fig.get("viewers", 0)))
        if "last" in fig:
            audience = int(fig["last"])
        row = {"t": iso_minute(minute), "viewers": viewers}
        for name in MINUTE_FIELDS[1:]:
            row[name] = max(0, int(fig.get(name, 0)))
        rows.append(row)
    return rows


def best_minutes(rows: list[dict], n: int = BEST_MINUTES) -> list[dict]:
    """The minutes that sold most (then the liveliest), best first."""
    ranked = sorted(
        (row for row in rows if row["revenue"] or row["units"] or row["hearts"] or row["chat"]),
        key=lambda row: (row["revenue"], row["units"], row["hearts"] + row["chat"]),
        reverse=True,
    )
    return ranked[:n]


async def show_report(r, show_id: str) -> dict:
    """The contract's report: totals, revenue by product, the minutes and the best ones."""
    record = await catalog.get_show_record(r, show_id)
    figures = await sales.sales_report(r, show_id)
    minutes = [int(m) for m in await r.zrange(keys.report_minutes(show_id), 0, -1)]
    rows: list[dict] = []
    if minutes:
        last = minutes[-1]
        first = max(minutes[0], last - MAX_MINUTES + 1)
        wanted = [m for m in minutes if m >= first]
        async with r.pipeline(transaction=False) as p:
            for minute in wanted:
                p.hgetall(keys.report_minute(show_id, minute))
            stored = dict(zip(wanted, await p.execute(), strict=True))
        rows = minute_rows(stored, first, last)
    async with r.pipeline(transaction=False) as p:
        p.hgetall(keys.report_totals(show_id))
        p.pfcount(keys.report_viewers(show_id))
        p.scard(keys.report_buyers(show_id))
        totals, unique, buyers = await p.execute()
    sessions = int(totals.get("sessions", 0))
    watch_ms = int(totals.get("watch_ms", 0))
    peak = max([int(totals.get("peak", 0))] + [row["viewers"] for row in rows])
    by_product = sorted(
        (
            {
                "sku": p["sku"],
                "name": p["name"],
                "units": p["sold"],
                "paid": p["paid"],
                "revenue": p["revenue"],
            }
            for p in figures["products"]
        ),
        key=lambda row: (-row["revenue"], -row["units"]),
    )
    return {
        "show": show_id,
        "title": record.get("title", ""),
        "status": record.get("status", "scheduled"),
        "currency": record.get("currency", "KRW"),
        "started_at": _iso_ms(record.get("live_at")),
        "ended_at": _iso_ms(record.get("ended_at")),
        "peak_viewers": peak,
        "unique_viewers": unique,
        "joins": int(totals.get("joins", 0)),
        "avg_watch_seconds": round(watch_ms / sessions / 1000, 1) if sessions else 0,
        "buyers": buyers,
        "conversion": round(buyers / unique, 4) if unique else 0,
        "units": figures["total"]["sold"],
        "revenue": figures["total"]["revenue"],
        "orders": {
            "placed": sum(row["placed"] for row in rows),
            "paid": sum(row["paid"] for row in rows),
        },
        "by_product": by_product,
        "best_minutes": best_minutes(rows),
        "minutes": rows,
    }


def _iso_ms(value: str | None) -> str | None:
    if not value:
        return None
    moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


CSV_COLUMNS = (
    ("시각", "time"),
    ("시청자", "viewers"),
    ("입장", "joins"),
    ("하트", "hearts"),
    ("채팅", "chat"),
    ("판매 수량", "units"),
    ("주문", "orders"),
    ("매출", "revenue"),
    ("주문 확정", "placed"),
    ("결제 완료", "paid"),
)


def report_csv(report: dict, *, timezone: str = catalog.DEFAULT_TIMEZONE) -> bytes:
    """The minutes as CSV for Excel: UTF-8 with a BOM, Korean headers with English in
    brackets, times in ``timezone``."""
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"{ko} ({en})" for ko, en in CSV_COLUMNS])
    for row in report["minutes"]:
        moment = datetime.fromisoformat(row["t"].replace("Z", "+00:00")).astimezone(zone)
        cells = {**row, "time": moment.strftime("%Y-%m-%d %H:%M")}
        writer.writerow([cells[en] for _, en in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
