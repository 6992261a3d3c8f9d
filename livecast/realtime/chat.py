"""Chat and reactions: who may send what, and when."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import hub
from ..store import chat as chat_store
from ..store import moderation as mod_store
from .errors import Banned, BlockedWord, Invalid, Muted, RateLimited, SlowMode
from .members import Member
from .payload import obj, plain_text

if TYPE_CHECKING:
    from .plane import Realtime

TEXT_MAX = 300
# messages per window, per person (all tabs and processes together)
VIEWER_RATE = (5, 10_000)
STAFF_RATE = (20, 10_000)
REACTION_KINDS = ("heart", "clap", "fire", "laugh", "wow")


def rate_for(member: Member) -> tuple[int, int]:
    return STAFF_RATE if member.staff else VIEWER_RATE


async def check_can_send(rt: Realtime, member: Member, text: str) -> None:
    """Raise the contract's error when ``member`` may not send ``text`` now."""
    banned, muted_until, slow, words = await mod_store.chat_blocks(rt.r, member.show, member.id)
    if banned:
        raise Banned("you are banned from this show's chat")
    if muted_until:
        raise Muted("you are timed out", until=muted_until)
    if not member.staff and mod_store.find_blocked_word(text, words):
        raise BlockedWord("the message contains a blocked word")
    limit, window_ms = rate_for(member)
    if await rt.limits.over_rate(member.show, member.id, limit, window_ms):
        raise RateLimited(f"at most {limit} messages every {window_ms // 1000} seconds")
    if not member.staff and slow:
        wait_ms = await rt.limits.slow_wait_ms(member.show, member.id, slow)
        if wait_ms:
            raise SlowMode(f"slow mode: one message every {slow} seconds", retry_after_ms=wait_ms)


async def send(rt: Realtime, member: Member, payload: Any) -> dict:
    text = plain_text(obj(payload).get("text"), "text", max_len=TEXT_MAX)
    await check_can_send(rt, member, text)
    message = await chat_store.append(rt.r, member.show, member.public(), text)
    rt.broadcasts.chat_added(member.show)  # out in the next chat:batch (≤ 10 a second)
    await rt.publish(member.show, hub.CHAT, message)
    rt.metrics.chat_messages.inc()
    rt.broadcasts.tally(member.show).add("chat")  # the show report
    return {"ok": True, "id": message["id"], "ts": message["ts"]}


async def react(rt: Realtime, member: Member, payload: Any) -> dict:
    kind = obj(payload).get("kind")
    if not isinstance(kind, str) or kind not in REACTION_KINDS:
        raise Invalid(f"kind must be one of {', '.join(REACTION_KINDS)}")
    rt.broadcasts.react(member.show, kind)
    return {"ok": True}
