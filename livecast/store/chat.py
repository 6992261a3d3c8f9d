"""Chat history in a capped Redis stream, and the per-viewer send limits."""

from __future__ import annotations

import re
import time

from . import keys

HISTORY_CAP = 500  # messages kept per show (approximately: XADD MAXLEN ~)
MESSAGE_ID_RE = re.compile(r"^\d{1,20}-\d{1,20}$")

# INCR a window counter; the first hit starts the window's expiry
RATE_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""

# chat:batch: the messages appended since the last batch (any process), in stream order,
# and how many arrived in the last WINDOW (to decide whether viewers get a sample).
# One round trip: it first takes the show's turn (the throttle key, NX) and answers nil
# when another process holds it.
# KEYS: stream, cursor, throttle; ARGV: fallback start id, max count, cursor ttl ms,
# window start id, recent cap, turn ms
BATCH_SCRIPT = """
if not redis.call('SET', KEYS[3], 1, 'PX', ARGV[6], 'NX') then return false end
local cursor = redis.call('GET', KEYS[2]) or ARGV[1]
local entries = redis.call('XRANGE', KEYS[1], '(' .. cursor, '+', 'COUNT', ARGV[2])
if #entries > 0 then
  redis.call('SET', KEYS[2], entries[#entries][1], 'PX', ARGV[3])
end
local recent = redis.call('XRANGE', KEYS[1], ARGV[4], '+', 'COUNT', ARGV[5])
return {entries, #recent}
"""
BATCH_MAX = 1000  # messages in one batch at most (the stream keeps ~HISTORY_CAP anyway)
CURSOR_TTL_MS = 86_400_000
CURSOR_FALLBACK_MS = 5_000  # no cursor yet: what a first batch may reach back


def now_ms() -> int:
    return int(time.time() * 1000)


def message_from_entry(entry_id: str, fields: dict) -> dict:
    """A stream entry as the ``chat`` event carries it."""
    return {
        "id": entry_id,
        "user": {
            "id": fields.get("uid", ""),
            "name": fields.get("name", ""),
            "role": fields.get("role", "viewer"),
        },
        "text": fields.get("text", ""),
        "ts": int(fields.get("ts", 0)),
    }


async def append(r, show_id: str, user: dict, text: str) -> dict:
    """Store a message as typed; returns it with its id (the stream entry id)."""
    ts = now_ms()
    fields = {"uid": user["id"], "name": user["name"], "role": user["role"], "text": text, "ts": ts}
    entry_id = await r.xadd(keys.chat(show_id), fields, maxlen=HISTORY_CAP, approximate=True)
    return message_from_entry(entry_id, fields)


async def history(r, show_id: str, count: int = 50) -> list[dict]:
    """The last ``count`` messages, oldest first."""
    entries = await r.xrevrange(keys.chat(show_id), count=count)
    return [message_from_entry(entry_id, fields) for entry_id, fields in reversed(entries)]


async def delete(r, show_id: str, ids: list[str]) -> int:
    return await r.xdel(keys.chat(show_id), *ids) if ids else 0


async def clear(r, show_id: str) -> None:
    await r.delete(keys.chat(show_id))


async def take_batch(
    r, show_id: str, *, window_ms: int, recent_cap: int, turn_ms: int
) -> tuple[list[dict], int] | None:
    """None if another process has the show's batch turn (held ``turn_ms``); else the
    messages not yet sent in a batch (oldest first) and how many messages arrived in the
    last ``window_ms`` (at most ``recent_cap``). Messages deleted before their batch are
    not in it."""
    now = now_ms()
    script = r.register_script(BATCH_SCRIPT)  # EVALSHA, loaded once per Redis
    answer = await script(
        keys=[keys.chat(show_id), keys.chat_cursor(show_id), keys.throttle(show_id, "chat")],
        args=[
            f"{now - CURSOR_FALLBACK_MS}-0",
            BATCH_MAX,
            CURSOR_TTL_MS,
            f"{now - window_ms}-0",
            recent_cap,
            turn_ms,
        ],
    )
    if answer is None:
        return None
    entries, recent = answer
    messages = [
        message_from_entry(entry_id, dict(zip(flat[::2], flat[1::2], strict=True)))
        for entry_id, flat in entries
    ]
    return messages, int(recent)


class SendLimits:
    """Rate limit and slow mode, counted in Redis so every process and tab shares them."""

    def __init__(self, r):
        self._r = r
        self._rate = r.register_script(RATE_SCRIPT)

    async def over_rate(self, show_id: str, user: str, limit: int, window_ms: int) -> bool:
        count = await self._rate(keys=[keys.chat_rate(show_id, user)], args=[window_ms])
        return int(count) > limit

    async def slow_wait_ms(self, show_id: str, user: str, seconds: int) -> int:
        """0 if the viewer may send now (and starts its wait), else ms left to wait."""
        if seconds <= 0:
            return 0
        key = keys.chat_slow(show_id, user)
        if await self._r.set(key, 1, px=seconds * 1000, nx=True):
            return 0
        return max(1, int(await self._r.pttl(key)))


async def get(r, show_id: str, message_id: str) -> dict | None:
    """One message by id (None once deleted or trimmed)."""
    entries = await r.xrange(keys.chat(show_id), message_id, message_id)
    return message_from_entry(*entries[0]) if entries else None


async def recent_by(r, show_id: str, user: str, *, scan: int = 300) -> list[dict]:
    """``user``'s messages among the last ``scan`` of the show, oldest first."""
    entries = await r.xrevrange(keys.chat(show_id), count=scan)
    mine = [message_from_entry(i, f) for i, f in reversed(entries) if f.get("uid") == user]
    return mine
