"""Chat: text as typed, checks, history, rate limit."""

import asyncio

import pytest

from livecast.realtime import broadcast, chat
from livecast.realtime.errors import Invalid
from livecast.realtime.payload import plain_text
from livecast.store import keys
from livecast.store import moderation as mod_store


async def test_chat_reaches_everyone_byte_for_byte(connect, live_show):
    show = live_show["show"]["id"]
    alice = await connect({"show": show, "name": "앨리스"})
    bob = await connect({"show": show, "name": "bob"})
    text = "  <script>alert(1)</script> &amp; \"q\" '김치' 😀  "
    ack = await alice.call("chat:send", {"text": text})
    assert ack["ok"] is True and ack["id"]
    message = await bob.wait_chat(ack["id"])
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


# chat:batch (contract "Chat to many"; livecast/realtime/broadcast.py)
async def send_all(peers_and_texts):
    acks = await asyncio.gather(*(p.call("chat:send", {"text": t}) for p, t in peers_and_texts))
    assert all(a["ok"] for a in acks), acks
    return acks


def ids_of(messages):
    return [m["id"] for m in messages]


def stream_order(ids):
    return sorted(ids, key=lambda i: tuple(int(x) for x in i.split("-")))


async def test_a_burst_reaches_viewers_in_batches_every_message_once(connect, live_show):
    show = live_show["show"]["id"]
    watcher = await connect({"show": show, "name": "watcher"})
    host = await connect({"show": show, "key": live_show["host_key"]})
    senders = [await connect({"show": show, "name": f"s{i}"}) for i in range(4)]
    limit, _ = chat.VIEWER_RATE
    burst = [(s, f"{s.you['name']}-{n}") for n in range(limit) for s in senders]
    burst += [(host, f"host-{n}") for n in range(10)]
    acks = await send_all(burst)  # 30 messages, well under the sampling rate
    sent = {a["id"] for a in acks}
    await watcher.until(lambda: sent <= set(ids_of(watcher.chat_messages())), what="every message")
    got = ids_of(watcher.chat_messages())
    assert sorted(got) == sorted(sent)  # every message once
    assert got == stream_order(got)  # in the chat's order
    batches = watcher.received("chat:batch")
    assert watcher.received("chat") == []  # viewers only get batches
    assert 1 <= len(batches) < len(sent)
    texts = {m["text"] for m in watcher.chat_messages()}
    assert texts == {t for _, t in burst}


async def test_a_storm_is_sampled_for_viewers_but_not_for_staff(connect, live_show, monkeypatch):
    monkeypatch.setattr(broadcast, "SAMPLE_ABOVE", 5)
    monkeypatch.setattr(broadcast, "SAMPLE_PER_BATCH", 1)
    show = live_show["show"]["id"]
    watcher = await connect({"show": show, "name": "watcher"})
    mod = await connect({"show": show, "name": "mod", "key": live_show["moderator_key"]})
    host = await connect({"show": show, "key": live_show["host_key"]})
    senders = [await connect({"show": show, "name": f"s{i}"}) for i in range(4)]
    limit, _ = chat.VIEWER_RATE
    burst = [(s, f"{s.you['name']}-{n}") for n in range(limit) for s in senders]
    burst += [(host, f"host-{n}") for n in range(5)]
    acks = await send_all(burst)
    sent = {a["id"] for a in acks}
    # moderators and the host: every message, once
    for staff in (mod, host):
        await staff.until(lambda s=staff: sent <= set(ids_of(s.chat_messages())), what="all")
        assert sorted(ids_of(staff.chat_messages())) == sorted(sent)
    # every sender sees each of their own messages
    for s in senders:
        mine = {a["id"] for (p, _), a in zip(burst, acks, strict=True) if p is s}
        await s.until(lambda s=s, mine=mine: mine <= set(ids_of(s.chat_messages())), what="own")
    # the watcher: a sample that keeps every host message
    host_ids = {a["id"] for (p, _), a in zip(burst, acks, strict=True) if p is host}
    await watcher.until(lambda: host_ids <= set(ids_of(watcher.chat_messages())), what="host")
    await asyncio.sleep(0.5)  # the last batches
    seen = ids_of(watcher.chat_messages())
    assert len(seen) == len(set(seen)) and set(seen) <= sent
    viewer_seen = [m for m in watcher.chat_messages() if m["user"]["role"] == "viewer"]
    assert len(viewer_seen) < limit * len(senders)  # sampled
    for batch in watcher.received("chat:batch")[1:]:  # the first may predate the storm
        assert sum(m["user"]["role"] == "viewer" for m in batch["messages"]) <= 1


async def test_deleting_a_batched_message_removes_it(connect, live_show):
    show = live_show["show"]["id"]
    mod = await connect({"show": show, "name": "mod", "key": live_show["moderator_key"]})
    viewer = await connect({"show": show, "name": "v"})
    sender = await connect({"show": show, "name": "troll"})
    keep, gone = await send_all([(sender, "hello"), (sender, "spam")])
    await viewer.wait_chat(gone["id"])
    assert (await mod.call("mod:delete", {"id": gone["id"]}))["deleted"] == 1
    assert await viewer.wait_for("chat:deleted") == {"ids": [gone["id"]]}
    late = await connect({"show": show, "name": "late"})
    assert ids_of(late.state["chat"]) == [keep["id"]]


async def test_a_message_deleted_before_its_batch_is_never_sent(connect, live_show, rt):
    show = live_show["show"]["id"]
    viewer = await connect({"show": show, "name": "v"})
    sender = await connect({"show": show, "name": "s"})
    # hold the show's chat turn so the next batch waits, then delete meanwhile
    await rt.r.set(keys.throttle(show, "chat"), 1, px=400)
    gone = await sender.call("chat:send", {"text": "oops"})
    keep = await sender.call("chat:send", {"text": "fine"})
    await rt.r.xdel(keys.chat(show), gone["id"])
    await viewer.wait_chat(keep["id"])
    assert gone["id"] not in ids_of(viewer.chat_messages())


def test_sample_keeps_staff_and_spreads_viewers():
    def m(i, role="viewer"):
        return {"id": f"1-{i}", "user": {"id": f"u{i}", "name": "n", "role": role}}

    messages = [m(i, "host" if i == 3 else "moderator" if i == 7 else "viewer") for i in range(20)]
    shown, left_out = broadcast.sample(messages, 3)
    assert [x["id"] for x in shown if x["user"]["role"] != "viewer"] == ["1-3", "1-7"]
    assert sum(x["user"]["role"] == "viewer" for x in shown) == 3
    assert sorted(shown + left_out, key=lambda x: int(x["id"][2:])) == messages
    assert broadcast.sample(messages[:4], 3) == (messages[:4], [])


def test_counters_slow_down_in_a_big_room_but_not_below_a_few_a_second():
    assert broadcast.counter_period(0) == broadcast.PERIOD
    assert broadcast.counter_period(300) == broadcast.PERIOD
    assert broadcast.counter_period(301) == 0.25
    assert broadcast.counter_period(5000) == 0.5
    periods = [broadcast.counter_period(n) for n in range(0, 20_000, 50)]
    assert periods == sorted(periods), "a bigger room never gets counters more often"
    assert max(periods) <= 0.5
