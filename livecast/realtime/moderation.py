"""Moderation events (host and moderators): delete, clear, pin, slow mode, blocked words,
timeouts and bans. Each action is written to the audit stream and sent to the moderators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import hub
from ..store import chat as chat_store
from ..store import moderation as mod_store
from ..tokens import VIEWER_ID_RE
from .chat import TEXT_MAX
from .errors import Invalid
from .members import Member
from .payload import matching, obj, optional_whole, plain_text, text_list, whole

if TYPE_CHECKING:
    from .plane import Realtime

SLOW_MAX_SECONDS = 3600
TIMEOUT_DEFAULT_SECONDS = 300
TIMEOUT_MAX_SECONDS = 7 * 24 * 3600
BAN_MAX_SECONDS = 365 * 24 * 3600
REASON_MAX = 200
WORD_MAX = 50
WORDS_PER_CHANGE = 100
PURGE_SCAN = 300  # a ban removes the user's messages among the show's last PURGE_SCAN
HISTORY_SCAN = 500  # mod:user looks this far back in the chat
HISTORY_MESSAGES = 50
QUOTE_MAX = 100  # the audit log quotes a deleted message up to this many characters


# what the log adds only when there is something to say (the target's name, messages removed)
OPTIONAL_DETAIL = ("name", "removed")


async def record(rt: Realtime, member: Member, action: str, target, **detail) -> None:
    detail = {k: v for k, v in detail.items() if v or k not in OPTIONAL_DETAIL}
    entry = await mod_store.log_action(rt.r, member.show, member.public(), action, target, detail)
    await rt.emit("mod:log", entry, room=rt.mods_room(member.show))


def reason_of(data: dict) -> str | None:
    reason = data.get("reason")
    return None if reason is None else plain_text(reason, "reason", max_len=REASON_MAX).strip()


async def name_of(rt: Realtime, show: str, user: str) -> str | None:
    """A viewer's name as last seen in the chat (for the audit log), or None."""
    recent = await chat_store.recent_by(rt.r, show, user, scan=PURGE_SCAN)
    return recent[-1]["user"]["name"] if recent else None


async def remove_messages(rt: Realtime, show: str, ids: list[str]) -> int:
    if not ids:
        return 0
    removed = await chat_store.delete(rt.r, show, ids)
    await rt.emit("chat:deleted", {"ids": ids}, room=rt.show_room(show))
    await rt.publish(show, hub.CHAT_DELETED, {"ids": ids})
    return removed


# messages
async def delete(rt: Realtime, member: Member, payload: Any) -> dict:
    message_id = matching(obj(payload).get("id"), "id", chat_store.MESSAGE_ID_RE)
    message = await chat_store.get(rt.r, member.show, message_id)
    removed = await remove_messages(rt, member.show, [message_id])
    detail = {}
    if message is not None:  # the log says whose message and what it said
        detail = {"user": message["user"]["id"], "name": message["user"]["name"]}
        detail["text"] = message["text"][:QUOTE_MAX]
    await record(rt, member, "delete", message_id, **detail)
    return {"ok": True, "deleted": removed}


async def clear(rt: Realtime, member: Member, payload: Any) -> dict:
    obj(payload, empty_ok=True)
    await chat_store.clear(rt.r, member.show)
    await rt.emit("chat:cleared", {}, room=rt.show_room(member.show))
    await rt.publish(member.show, hub.CHAT_CLEARED, {})
    await record(rt, member, "clear", None)
    return {"ok": True}


# room settings
async def pin(rt: Realtime, member: Member, payload: Any) -> dict:
    data = obj(payload)
    if "text" not in data:
        raise Invalid("text is required (null to unpin)")
    text = data["text"]
    if text is not None:
        text = plain_text(text, "text", max_len=TEXT_MAX)
    await mod_store.set_pinned(rt.r, member.show, text)
    await rt.emit("pinned", {"text": text}, room=rt.show_room(member.show))
    await record(rt, member, "pin" if text is not None else "unpin", None, text=text)
    return {"ok": True, "text": text}


async def slow(rt: Realtime, member: Member, payload: Any) -> dict:
    seconds = whole(obj(payload).get("seconds"), "seconds", minimum=0, maximum=SLOW_MAX_SECONDS)
    await mod_store.set_slow(rt.r, member.show, seconds)
    await rt.emit("slow", {"seconds": seconds}, room=rt.show_room(member.show))
    await record(rt, member, "slow", None, seconds=seconds)
    return {"ok": True, "seconds": seconds}


async def words(rt: Realtime, member: Member, payload: Any) -> dict:
    data = obj(payload)
    add = text_list(data.get("add"), "add", max_items=WORDS_PER_CHANGE, max_len=WORD_MAX)
    remove = text_list(data.get("remove"), "remove", max_items=WORDS_PER_CHANGE, max_len=WORD_MAX)
    current = await mod_store.change_words(rt.r, member.show, add, remove)
    await record(rt, member, "words", None, add=add, remove=remove)
    return {"ok": True, "words": current}


# people
def target_of(data: dict) -> str:
    return matching(data.get("user"), "user (a viewer's id)", VIEWER_ID_RE)


async def timeout(rt: Realtime, member: Member, payload: Any) -> dict:
    data = obj(payload)
    user = target_of(data)
    seconds = optional_whole(data.get("seconds"), "seconds", minimum=1, maximum=TIMEOUT_MAX_SECONDS)
    seconds = seconds or TIMEOUT_DEFAULT_SECONDS
    reason = reason_of(data)
    until = await mod_store.mute(rt.r, member.show, user, seconds)
    await rt.emit(
        "muted", {"until": until, "seconds": seconds}, room=rt.user_room(member.show, user)
    )
    name = await name_of(rt, member.show, user)
    await record(rt, member, "timeout", user, seconds=seconds, reason=reason, name=name)
    return {"ok": True, "user": user, "until": until}


async def ban(rt: Realtime, member: Member, payload: Any) -> dict:
    """Ban a viewer (and, unless ``purge: false``, remove their recent messages)."""
    data = obj(payload)
    user = target_of(data)
    seconds = optional_whole(data.get("seconds"), "seconds", minimum=1, maximum=BAN_MAX_SECONDS)
    reason = reason_of(data)
    purge = data.get("purge", True)
    if not isinstance(purge, bool):
        raise Invalid("purge must be true or false")
    until = await mod_store.ban(
        rt.r, member.show, user, by=member.id, reason=reason, seconds=seconds
    )
    await rt.emit(
        "banned", {"until": until, "reason": reason}, room=rt.user_room(member.show, user)
    )
    # the messages go first (the banned viewer's screen too), then the connections
    recent = await chat_store.recent_by(rt.r, member.show, user, scan=PURGE_SCAN)
    name = recent[-1]["user"]["name"] if recent else None
    removed = await remove_messages(rt, member.show, [m["id"] for m in recent]) if purge else 0
    for sid in await mod_store.sockets(rt.r, member.show, user):
        await rt.sio.disconnect(sid)  # through the client manager: other processes too
    await record(
        rt, member, "ban", user, seconds=seconds, reason=reason, name=name, removed=removed
    )
    return {"ok": True, "user": user, "until": until, "removed": removed}


async def unban(rt: Realtime, member: Member, payload: Any) -> dict:
    data = obj(payload)
    user = target_of(data)
    await mod_store.unban(rt.r, member.show, user)
    await rt.emit("muted", {"until": None}, room=rt.user_room(member.show, user))
    name = await name_of(rt, member.show, user)
    await record(rt, member, "unban", user, reason=reason_of(data), name=name)
    return {"ok": True, "user": user}


async def user_history(rt: Realtime, member: Member, payload: Any) -> dict:
    """One viewer at a glance: their recent messages, what was done to them, and whether
    they are banned or muted now."""
    user = target_of(obj(payload))
    show = member.show
    messages = await chat_store.recent_by(rt.r, show, user, scan=HISTORY_SCAN)
    actions = [
        entry
        for entry in await mod_store.recent_actions(rt.r, show, count=mod_store.MOD_LOG_CAP)
        if entry.get("target") == user or (entry.get("detail") or {}).get("user") == user
    ]
    banned, muted_until, _, _ = await mod_store.chat_blocks(rt.r, show, user)
    name = messages[-1]["user"]["name"] if messages else None
    for entry in reversed(actions):
        name = name or (entry.get("detail") or {}).get("name")
    return {
        "ok": True,
        "user": {"id": user, "name": name},
        "messages": messages[-HISTORY_MESSAGES:],
        "actions": actions,
        "banned": banned,
        "muted_until": muted_until,
    }
