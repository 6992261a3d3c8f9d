"""Delivery records in Redis: one hash per event, the failed / delivered / skipped
indexes, acknowledging the outbox entry, and re-queueing an event."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import Settings
from ..store import keys
from .events import Event, entry_id, iso

DELIVERED = keys.WEBHOOK_DELIVERED
SKIPPED = keys.WEBHOOK_SKIPPED

STATUSES = ("failed", "pending", "delivered", "skipped")
KEPT = 10_000  # delivered and skipped events listed
DONE_TTL = 7 * 24 * 3600  # seconds a delivered or skipped record is kept

# KEYS: record, failed, delivered, skipped, outbox. ARGV: event id, now (ms).
REQUEUE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'unknown' end
if status == 'pending' or status == 'skipped' then return status end
local f = redis.call('HMGET', KEYS[1], 'type', 'show', 'key', 'data', 'created_at')
if not f[4] or f[4] == '' then return 'unknown' end
local entry = redis.call('XADD', KEYS[5], '*', 'type', f[1] or '', 'show', f[2] or '',
  'key', f[3] or '', 'data', f[4], 'created_at', f[5] or '', 'id', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'pending', 'entry', entry, 'attempts', '0',
  'last_error', '', 'first_at', '', 'next_at', '', 'failed_at', '', 'delivered_at', '',
  'requeued_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'data')
redis.call('PERSIST', KEYS[1])
return 'queued'
"""


@dataclass(frozen=True)
class Destination:
    url: str
    secret: str | None

    @property
    def host(self) -> str:
        """Host and port only: never the URL's credentials, path or query."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:  # not a number: the request fails too, and is recorded
            port = None
        return f"{host}:{port}" if port else host


async def destination(r, settings: Settings, show: str) -> Destination | None:
    """The show's ``webhook_url``/``webhook_secret``, else the global settings; None: no URL."""
    url = secret = None
    if show:
        url, secret = await r.hmget(keys.show(show), "webhook_url", "webhook_secret")
    url = url or settings.webhook_url
    if not url:
        return None
    return Destination(url, secret or settings.webhook_secret)


async def discard(r, entries: list[str]) -> None:
    """Outbox entries with no webhook URL to go to: acknowledged and deleted, no record."""
    async with r.pipeline(transaction=True) as p:
        p.xack(keys.OUTBOX, keys.OUTBOX_GROUP, *entries)
        p.xdel(keys.OUTBOX, *entries)
        await p.execute()


def identity(event: Event, host: str) -> dict:
    return {
        "id": event.id,
        "entry": event.entry,
        "type": event.type,
        "show": event.show,
        "key": event.key,
        "created_at": event.created_at,
        "host": host,
    }


async def load(r, event: Event) -> dict:
    return await r.hgetall(keys.webhook_delivery(event.id))


async def retrying(
    r, event: Event, *, attempts: int, first_at: int, next_at: int, last_error: str, host: str
) -> None:
    """A failed attempt; the next one is due at ``next_at`` (ms)."""
    await r.hset(
        keys.webhook_delivery(event.id),
        mapping={
            **identity(event, host),
            "status": "pending",
            "attempts": attempts,
            "first_at": first_at,
            "next_at": next_at,
            "last_error": last_error,
        },
    )


async def settle(
    r,
    event: Event,
    status: str,
    *,
    at: int,
    attempts: int = 0,
    first_at: int | str = "",
    last_error: str = "",
    host: str = "",
) -> None:
    """``delivered``, ``failed`` or ``skipped``: the record, its index, XACK and XDEL of the
    outbox entry, in one transaction."""
    record = keys.webhook_delivery(event.id)
    fields = {
        **identity(event, host),
        "status": status,
        "attempts": attempts,
        "first_at": first_at,
        "next_at": "",
        "last_error": last_error,
        f"{status}_at": at,
    }
    if status != "skipped":
        fields["data"] = event.data  # what POST .../retry sends again
    async with r.pipeline(transaction=True) as p:
        p.hset(record, mapping=fields)
        if status == "failed":
            p.persist(record)
            p.zadd(keys.WEBHOOK_FAILED, {event.id: at})
        else:
            index = DELIVERED if status == "delivered" else SKIPPED
            p.expire(record, DONE_TTL)
            p.zadd(index, {event.id: at})
            p.zremrangebyrank(index, 0, -KEPT - 1)
        p.xack(keys.OUTBOX, keys.OUTBOX_GROUP, event.entry)
        p.xdel(keys.OUTBOX, event.entry)
        await p.execute()


async def requeue(r, event_id: str, now_ms: int) -> str:
    """Send a failed or delivered event again: ``queued``; or ``pending`` (already queued),
    ``skipped`` (it had no URL, nothing to send again) or ``unknown``."""
    result = await r.eval(
        REQUEUE,
        5,
        keys.webhook_delivery(event_id),
        keys.WEBHOOK_FAILED,
        DELIVERED,
        SKIPPED,
        keys.OUTBOX,
        event_id,
        now_ms,
    )
    entry = entry_id(event_id)
    if result == "unknown" and entry and await r.xrange(keys.OUTBOX, entry, entry, count=1):
        return "pending"  # in the outbox, not tried yet
    return result


async def purge(r, older_than_ms: int) -> int:
    """Forget deliveries settled before the cutoff (their records hold the order, buyer
    details included); returns how many records were removed."""
    removed = 0
    for index in (keys.WEBHOOK_FAILED, DELIVERED, SKIPPED):
        ids = await r.zrangebyscore(index, "-inf", f"({older_than_ms}")
        if not ids:
            continue
        async with r.pipeline(transaction=True) as p:
            p.delete(*(keys.webhook_delivery(event_id) for event_id in ids))
            p.zrem(index, *ids)
            removed += (await p.execute())[0]
    return removed


async def listing(r, status: str, limit: int) -> list[dict]:
    """Deliveries with ``status``: pending oldest first (outbox order), others newest first."""
    if status == "pending":
        entries = await r.xrange(keys.OUTBOX, count=limit)
        events = [Event.from_entry(entry, fields) for entry, fields in entries if fields]
        records = await _records(r, [e.id for e in events])
        return [view(record, e) for record, e in zip(records, events, strict=True)]
    index = {"failed": keys.WEBHOOK_FAILED, "delivered": DELIVERED, "skipped": SKIPPED}[status]
    ids = await r.zrevrange(index, 0, limit - 1)
    return [view(record) for record in await _records(r, ids) if record]


async def _records(r, ids: list[str]) -> list[dict]:
    async with r.pipeline(transaction=False) as p:
        for event_id in ids:
            p.hgetall(keys.webhook_delivery(event_id))
        return await p.execute()


def _time(value) -> str | None:
    return iso(int(value)) if value not in (None, "") else None


def view(record: dict, event: Event | None = None) -> dict:
    """The API's view of one delivery (``event``: an outbox entry not tried yet)."""
    if event is not None:
        record = {**identity(event, ""), "status": "pending", **record}
    return {
        "id": record.get("id"),
        "type": record.get("type"),
        "show": record.get("show") or None,
        "key": record.get("key"),
        "status": record.get("status"),
        "attempts": int(record.get("attempts") or 0),
        "last_error": record.get("last_error") or None,
        "created_at": _time(record.get("created_at")),
        "first_attempt_at": _time(record.get("first_at")),
        "next_at": _time(record.get("next_at")),
        "delivered_at": _time(record.get("delivered_at")),
        "failed_at": _time(record.get("failed_at")),
        "skipped_at": _time(record.get("skipped_at")),
        "host": record.get("host") or None,
    }
