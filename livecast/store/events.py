"""Sale events (기획전): a title, a time window and a banner that gather shows.

A show joins an event through its ``event`` field (``catalog.patch_show``); the event
keeps the set of its shows (``keys.event_shows``).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from . import catalog, keys
from .errors import Conflict, InvalidInput, UnknownEvent, UnknownShow
from .orders import clean_text
from .product_detail import parse_url

EVENT_FIELDS = ("id", "title", "subtitle", "starts_at", "ends_at", "banner")
MAX_DAYS = 366


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def parse_event(data: Any, *, tz: str | None = None) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput("a sale event must be a JSON object {title, starts_at, ends_at, ...}")
    unknown = sorted(set(data) - set(EVENT_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s) in event: {', '.join(unknown)}")
    event_id = data.get("id")
    if event_id is not None and (
        not isinstance(event_id, str) or not catalog.SHOW_ID_RE.match(event_id)
    ):
        raise InvalidInput("id must be 2-40 lowercase letters, digits or '-'", field="id")
    starts_at = catalog.parse_time(data.get("starts_at"), "starts_at", tz)
    ends_at = catalog.parse_time(data.get("ends_at"), "ends_at", tz)
    if starts_at is None or ends_at is None:
        raise InvalidInput("starts_at and ends_at are required", field="starts_at")
    span = _ms(ends_at) - _ms(starts_at)
    if span <= 0:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")
    if span > MAX_DAYS * 86_400_000:
        raise InvalidInput(f"a sale event lasts at most {MAX_DAYS} days", field="ends_at")
    banner = data.get("banner")
    return {
        "id": event_id,
        "title": clean_text(data.get("title"), "title", max_len=100),
        "subtitle": clean_text(data.get("subtitle"), "subtitle", max_len=200, optional=True),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "banner": None if banner in (None, "") else parse_url(banner, "banner"),
    }


def status_at(event: dict, now_ms: int) -> str:
    """``upcoming``, ``running`` or ``ended``."""
    if now_ms < _ms(event["starts_at"]):
        return "upcoming"
    return "running" if now_ms < _ms(event["ends_at"]) else "ended"


def view(record: dict, now_ms: int | None = None) -> dict:
    event = {
        "id": record["id"],
        "title": record.get("title", ""),
        "subtitle": record.get("subtitle") or None,
        "starts_at": record["starts_at"],
        "ends_at": record["ends_at"],
        "banner": record.get("banner") or None,
    }
    event["status"] = status_at(event, int(time.time() * 1000) if now_ms is None else now_ms)
    return event


async def create_event(r, data: Any, *, tz: str | None = None) -> dict:
    event = parse_event(data, tz=tz)
    event_id = event["id"] or catalog.new_show_id()
    record = {
        **{k: v or "" for k, v in event.items()},
        "id": event_id,
        "created_at": int(time.time() * 1000),
    }
    claimed = await r.hsetnx(keys.event(event_id), "id", event_id)
    if not claimed and await r.hexists(keys.event(event_id), "starts_at"):
        raise Conflict(f"sale event {event_id!r} already exists", code="event_exists")
    async with r.pipeline(transaction=True) as tx:
        tx.hset(keys.event(event_id), mapping=record)
        tx.zadd(keys.EVENTS, {event_id: _ms(event["starts_at"])})
        await tx.execute()
    return view(record)


async def get_record(r, event_id: str) -> dict:
    record = await r.hgetall(keys.event(event_id)) if isinstance(event_id, str) else {}
    if not record.get("starts_at"):
        raise UnknownEvent(f"no sale event {event_id!r}")
    return record


def start_order(show: dict) -> tuple:
    """Shows by start time; shows without one last."""
    return (show.get("starts_at") is None, show.get("starts_at") or "", show["id"])


async def event_shows(r, event_id: str) -> list[dict]:
    views = []
    for show_id in await r.zrange(keys.event_shows(event_id), 0, -1):
        try:
            views.append(await catalog.public_view(r, show_id))
        except UnknownShow:
            continue
    return sorted(views, key=start_order)


async def get_event(r, event_id: str) -> dict:
    """The event with its shows' public views, by start time."""
    event = view(await get_record(r, event_id))
    event["shows"] = await event_shows(r, event_id)
    return event


async def list_events(r) -> list[dict]:
    """Every event by start time, each with the ids of its shows."""
    out = []
    for event_id in await r.zrange(keys.EVENTS, 0, -1):
        try:
            event = view(await get_record(r, event_id))
        except UnknownEvent:
            continue
        event["show_ids"] = await r.zrange(keys.event_shows(event_id), 0, -1)
        out.append(event)
    return out
