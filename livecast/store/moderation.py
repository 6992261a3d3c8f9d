"""Moderation state in Redis: bans, timeouts (mutes), slow mode, pinned text, blocked words,
the audit log, and which sockets a viewer holds (so a ban can close them all)."""

from __future__ import annotations

import json
import time
import unicodedata

from . import keys

MOD_LOG_CAP = 1000
SOCKETS_TTL = 24 * 3600


def now_ms() -> int:
    return int(time.time() * 1000)


def normalize(text: str) -> str:
    """How blocked words are compared: width- and case-insensitive (NFKC + casefold)."""
    return unicodedata.normalize("NFKC", text).casefold()


def find_blocked_word(text: str, words) -> str | None:
    folded = normalize(text)
    for word in words:
        if word and word in folded:
            return word
    return None


# bans and timeouts
async def ban(r, show_id: str, user: str, *, by: str, reason: str | None, seconds: int | None):
    until = now_ms() + seconds * 1000 if seconds else None
    record = json.dumps({"reason": reason, "by": by, "until": until}, ensure_ascii=False)
    await r.set(keys.ban(show_id, user), record, px=seconds * 1000 if seconds else None)
    return until


async def unban(r, show_id: str, user: str) -> None:
    await r.delete(keys.ban(show_id, user), keys.mute(show_id, user))


async def ban_record(r, show_id: str, user: str) -> dict | None:
    record = await r.get(keys.ban(show_id, user))
    return json.loads(record) if record else None


async def mute(r, show_id: str, user: str, seconds: int) -> int:
    until = now_ms() + seconds * 1000
    await r.set(keys.mute(show_id, user), until, px=seconds * 1000)
    return until


async def chat_blocks(r, show_id: str, user: str) -> tuple[bool, int | None, int, list[str]]:
    """(banned, muted until, slow-mode seconds, blocked words) in one round trip."""
    async with r.pipeline(transaction=False) as p:
        p.exists(keys.ban(show_id, user))
        p.get(keys.mute(show_id, user))
        p.hget(keys.moderation(show_id), "slow")
        p.smembers(keys.blocked_words(show_id))
        banned, muted, slow, words = await p.execute()
    until = int(muted) if muted and int(muted) > now_ms() else None
    return bool(banned), until, int(slow or 0), sorted(words)


# room settings
async def settings(r, show_id: str) -> dict:
    record = await r.hgetall(keys.moderation(show_id))
    return {"pinned": record.get("pinned") or None, "slow": int(record.get("slow") or 0)}


async def set_pinned(r, show_id: str, text: str | None) -> None:
    if text is None:
        await r.hdel(keys.moderation(show_id), "pinned")
    else:
        await r.hset(keys.moderation(show_id), "pinned", text)


async def set_slow(r, show_id: str, seconds: int) -> None:
    await r.hset(keys.moderation(show_id), "slow", seconds)


async def blocked_words(r, show_id: str) -> list[str]:
    return sorted(await r.smembers(keys.blocked_words(show_id)))


async def change_words(r, show_id: str, add: list[str], remove: list[str]) -> list[str]:
    async with r.pipeline(transaction=True) as tx:
        if add:
            tx.sadd(keys.blocked_words(show_id), *[normalize(w) for w in add])
        if remove:
            tx.srem(keys.blocked_words(show_id), *[normalize(w) for w in remove])
        tx.smembers(keys.blocked_words(show_id))
        results = await tx.execute()
    return sorted(results[-1])


# audit
async def log_action(r, show_id: str, actor: dict, action: str, target, detail: dict) -> dict:
    entry = {
        "actor": actor["name"],
        "actor_id": actor["id"],
        "actor_role": actor["role"],
        "action": action,
        "target": target,
        "detail": detail,
        "ts": now_ms(),
    }
    fields = {k: json.dumps(v, ensure_ascii=False) for k, v in entry.items()}
    await r.xadd(keys.mod_log(show_id), fields, maxlen=MOD_LOG_CAP, approximate=True)
    return entry


async def recent_actions(r, show_id: str, count: int = 50) -> list[dict]:
    entries = await r.xrevrange(keys.mod_log(show_id), count=count)
    return [{k: json.loads(v) for k, v in fields.items()} for _, fields in reversed(entries)]


# sockets of a viewer across processes
async def add_socket(r, show_id: str, user: str, sid: str) -> None:
    async with r.pipeline(transaction=False) as p:
        p.sadd(keys.user_sockets(show_id, user), sid)
        p.expire(keys.user_sockets(show_id, user), SOCKETS_TTL)
        await p.execute()


async def remove_socket(r, show_id: str, user: str, sid: str) -> None:
    await r.srem(keys.user_sockets(show_id, user), sid)


async def sockets(r, show_id: str, user: str) -> list[str]:
    return sorted(await r.smembers(keys.user_sockets(show_id, user)))
