"""Chat: text as typed, checks, history, rate limit."""

import pytest

from livecast.realtime import chat
from livecast.realtime.errors import Invalid
from livecast.realtime.payload import plain_text
from livecast.store import moderation as mod_store


async def test_chat_reaches_everyone_byte_for_byte(connect, live_show):
    show = live_show["show"]["id"]
    alice = await connect({"show": show, "name": "앨리스"})
    bob = await connect({"show": show, "name": "bob"})
    text = "  <script>alert(1)</script> &amp; \"q\" '김치' 😀  "
    ack = await alice.call("chat:send", {"text": text})
    assert ack["ok"] is True and ack["id"]
    message = await bob.wait_for("chat", lambda m: m["id"] == ack["id"])
    assert message["text"] == text
    assert message["user"] == {"id": alice.you["id"], "name": "앨리스", "role": "viewer"}
    late = await connect({"show": show, "name": "carol"})
    assert [m["text"] for m in late.state["chat"]] == [text]


async def test_history_holds_the_last_50(connect, live_show, rt):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "key": live_show["host_key"]})
    for i in range(55):
        await rt.r.xadd(
            f"livecast:show:{show}:chat",
            {"uid": "x", "name": "n", "role": "viewer", "text": str(i), "ts": 1},
        )
    peer = await connect({"show": show, "name": "late"})
    assert [m["text"] for m in peer.state["chat"]] == [str(i) for i in range(5, 55)]
    assert host.state["you"]["role"] == "host"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "x" * 301, "bell\x07", "new\nline", "\u202eevil", 5, None, ["a"], "\ud800"],
)
def test_plain_text_refuses(text):
    with pytest.raises(Invalid):
        plain_text(text, "text", max_len=chat.TEXT_MAX)


def test_plain_text_keeps_text_as_typed():
    assert plain_text("  " + "가" * 300 + "  ", "text", max_len=300) == "  " + "가" * 300 + "  "
    assert plain_text("👨‍👩‍👧", "text", max_len=300) == "👨‍👩‍👧"


async def test_bad_chat_payloads_get_invalid(connect, live_show):
    peer = await connect({"show": live_show["show"]["id"], "name": "a"})
    for payload in [None, "hi", {"text": ""}, {"text": "x" * 301}, {"text": "a\x1bb"}, {}]:
        ack = await peer.call("chat:send", payload)
        assert ack["ok"] is False and ack["error"] == "invalid", payload
    assert (await peer.call("chat:send", {"text": "still here"}))["ok"] is True


async def test_rate_limit(connect, live_show):
    peer = await connect({"show": live_show["show"]["id"], "name": "spammer"})
    limit, _ = chat.VIEWER_RATE
    acks = [await peer.call("chat:send", {"text": f"m{i}"}) for i in range(limit + 2)]
    assert all(a["ok"] for a in acks[:limit])
    assert [a["error"] for a in acks[limit:]] == ["rate_limited", "rate_limited"]


def test_blocked_words_ignore_case_and_width():
    words = [mod_store.normalize(w) for w in ["SPAM", "바보"]]
    assert mod_store.find_blocked_word("buy ｓｐａｍ now", words) == "spam"
    assert mod_store.find_blocked_word("Spam!", words) == "spam"
    assert mod_store.find_blocked_word("너 바보야", words) == "바보"
    assert mod_store.find_blocked_word("맛있어요", words) is None


async def test_reactions_are_counted_and_coalesced(connect, live_show):
    show = live_show["show"]["id"]
    peer = await connect({"show": show, "name": "fan"})
    for _ in range(30):
        assert (await peer.call("react", {"kind": "heart"}))["ok"]

    def hearts():
        return sum(data.get("heart", 0) for data in peer.received("reactions"))

    await peer.until(lambda: hearts() >= 30, what="30 hearts")
    assert hearts() == 30
    assert len(peer.received("reactions")) < 30
    assert (await peer.call("react", {"kind": "<b>"}))["error"] == "invalid"
