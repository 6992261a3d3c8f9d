"""Moderation: every action, its enforcement, the audit log, and roles."""

import asyncio

import pytest

from livecast.store import keys
from tests.realtime.conftest import refusal

MOD_EVENTS = {
    "mod:delete": {"id": "1-0"},
    "mod:clear": {},
    "mod:pin": {"text": "x"},
    "mod:slow": {"seconds": 5},
    "mod:words": {"add": ["x"]},
    "mod:timeout": {"user": "v" + "a" * 16},
    "mod:ban": {"user": "v" + "a" * 16},
    "mod:unban": {"user": "v" + "a" * 16},
}


@pytest.fixture
async def room(connect, live_show):
    show = live_show["show"]["id"]
    mod = await connect({"show": show, "name": "지킴이", "key": live_show["moderator_key"]})
    viewer = await connect({"show": show, "name": "troll"})
    return show, mod, viewer


async def test_viewer_gets_forbidden_for_staff_events(room, connect, live_show):
    show, mod, viewer = room
    for event, payload in MOD_EVENTS.items():
        ack = await viewer.call(event, payload)
        assert ack["ok"] is False and ack["error"] == "forbidden", event
    for event, payload in [
        ("product:feature", {"sku": "tote"}),
        ("deal:start", {"sku": "tote", "price": 1, "seconds": 5}),
        ("deal:end", {}),
    ]:
        assert (await viewer.call(event, payload))["error"] == "forbidden"
        assert (await mod.call(event, payload))["error"] == "forbidden"
    assert (await viewer.call("no-such-event", {}))["error"] == "invalid"


async def test_delete_removes_for_everyone_and_from_history(room, connect):
    show, mod, viewer = room
    keep = await viewer.call("chat:send", {"text": "안녕하세요"})
    gone = await viewer.call("chat:send", {"text": "spam link"})
    ack = await mod.call("mod:delete", {"id": gone["id"]})
    assert ack["ok"] and ack["deleted"] == 1
    assert await viewer.wait_for("chat:deleted") == {"ids": [gone["id"]]}
    log = await mod.wait_for("mod:log", lambda e: e["action"] == "delete")
    assert log["actor"] == "지킴이" and log["target"] == gone["id"] and log["ts"] > 0
    late = await connect({"show": show, "name": "late"})
    assert [m["id"] for m in late.state["chat"]] == [keep["id"]]
    assert (await mod.call("mod:delete", {"id": "<b>"}))["error"] == "invalid"


async def test_clear(room, connect):
    show, mod, viewer = room
    await viewer.call("chat:send", {"text": "one"})
    assert (await mod.call("mod:clear", {}))["ok"]
    await viewer.wait_for("chat:cleared")
    assert (await connect({"show": show, "name": "x"})).state["chat"] == []


async def test_pin_and_unpin(room, connect):
    show, mod, viewer = room
    assert (await mod.call("mod:pin", {"text": "오늘 무료배송 <b>!</b>"}))["ok"]
    assert await viewer.wait_for("pinned") == {"text": "오늘 무료배송 <b>!</b>"}
    assert (await connect({"show": show, "name": "x"})).state["pinned"] == "오늘 무료배송 <b>!</b>"
    assert (await mod.call("mod:pin", {"text": None}))["ok"]
    await viewer.wait_for("pinned", lambda d: d == {"text": None})
    assert (await connect({"show": show, "name": "y"})).state["pinned"] is None


async def test_slow_mode(room, connect):
    show, mod, viewer = room
    assert (await mod.call("mod:slow", {"seconds": 30}))["ok"]
    assert await viewer.wait_for("slow") == {"seconds": 30}
    assert (await viewer.call("chat:send", {"text": "first"}))["ok"]
    ack = await viewer.call("chat:send", {"text": "second"})
    assert ack["error"] == "slow_mode" and ack["retry_after_ms"] > 0
    assert (await mod.call("chat:send", {"text": "staff are not slowed"}))["ok"]
    assert (await mod.call("chat:send", {"text": "again"}))["ok"]
    assert (await connect({"show": show, "name": "x"})).state["slow"] == 30
    assert (await mod.call("mod:slow", {"seconds": 0}))["ok"]
    assert (await viewer.call("chat:send", {"text": "free again"}))["ok"]
    assert (await mod.call("mod:slow", {"seconds": -1}))["error"] == "invalid"


async def test_blocked_words(room):
    show, mod, viewer = room
    ack = await mod.call("mod:words", {"add": ["SPAM", "바보"]})
    assert ack["ok"] and ack["words"] == ["spam", "바보"]
    assert (await viewer.call("chat:send", {"text": "ＳＰＡＭ here"}))["error"] == "blocked_word"
    assert (await viewer.call("chat:send", {"text": "너 바보"}))["error"] == "blocked_word"
    ack = await mod.call("mod:words", {"remove": ["spam"]})
    assert ack["words"] == ["바보"]
    assert (await viewer.call("chat:send", {"text": "spam is fine now"}))["ok"]


async def test_timeout_blocks_chat_until_it_passes(room, connect, live_show):
    show, mod, viewer = room
    user = viewer.you["id"]
    ack = await mod.call("mod:timeout", {"user": user, "seconds": 1, "reason": "도배"})
    assert ack["ok"] and ack["user"] == user
    muted = await viewer.wait_for("muted")
    assert muted["until"] == ack["until"]
    ack = await viewer.call("chat:send", {"text": "let me talk"})
    assert ack["error"] == "muted" and ack["until"] == muted["until"]
    # another tab of the same person is muted too
    tab = await connect({"show": show, "name": "troll", "token": viewer.you["token"]})
    assert tab.state["muted"]["until"] == muted["until"]
    assert (await tab.call("chat:send", {"text": "sneaky"}))["error"] == "muted"
    await asyncio.sleep(1.2)
    assert (await viewer.call("chat:send", {"text": "behaving now"}))["ok"]
    log = await mod.wait_for("mod:log", lambda e: e["action"] == "timeout")
    assert log["target"] == user and log["detail"] == {"seconds": 1, "reason": "도배"}


async def test_ban_disconnects_and_survives_reconnect(room, url, r, connect):
    show, mod, viewer = room
    user, token = viewer.you["id"], viewer.you["token"]
    tab = await connect({"show": show, "name": "troll", "token": token})
    ack = await mod.call("mod:ban", {"user": user, "reason": "abuse"})
    assert ack["ok"] and ack["until"] is None
    for peer in (viewer, tab):
        await peer.until(lambda p=peer: not p.sio.connected, what="disconnected")
    refused = await refusal(url, {"show": show, "name": "troll", "token": token})
    assert refused["message"] == "banned"
    assert await r.exists(keys.ban(show, user))
    log = await mod.wait_for("mod:log", lambda e: e["action"] == "ban")
    assert log["target"] == user
    assert (await mod.call("mod:unban", {"user": user}))["ok"]
    back = await connect({"show": show, "name": "troll", "token": token})
    assert back.you["id"] == user
    assert (await back.call("chat:send", {"text": "sorry"}))["ok"]


async def test_timed_ban_expires(room, url, connect):
    show, mod, viewer = room
    token = viewer.you["token"]
    assert (await mod.call("mod:ban", {"user": viewer.you["id"], "seconds": 1}))["ok"]
    assert (await refusal(url, {"show": show, "token": token}))["message"] == "banned"
    await asyncio.sleep(1.2)
    assert (await connect({"show": show, "token": token})).you["id"] == viewer.you["id"]


async def test_mod_targets_must_be_viewer_ids(room):
    show, mod, viewer = room
    for payload in [{"user": "host"}, {"user": 5}, {}, {"user": viewer.you["id"], "seconds": 0}]:
        assert (await mod.call("mod:ban", payload))["error"] == "invalid", payload


async def test_moderation_persists_in_redis_and_state_for_mods(room, connect, live_show):
    show, mod, viewer = room
    await mod.call("mod:words", {"add": ["bad"]})
    await mod.call("mod:slow", {"seconds": 3})
    again = await connect({"show": show, "key": live_show["host_key"]})
    assert again.state["mod"]["words"] == ["bad"]
    assert [e["action"] for e in again.state["mod"]["log"]] == ["words", "slow"]
