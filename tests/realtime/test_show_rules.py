"""The host's deal rules, the end of a show, replay buyers, and moderation at speed."""

from __future__ import annotations

import uuid

from livecast import hub
from livecast.appkeys import HUB
from livecast.store import catalog, host_lease, keys


def order() -> str:
    return uuid.uuid4().hex


async def test_a_deal_must_be_below_the_price(connect, live_show):
    host = await connect({"show": live_show["show"]["id"], "key": live_show["host_key"]})
    for price in (5000, 12000):  # tote costs 5000
        ack = await host.call("deal:start", {"sku": "tote", "price": price, "seconds": 60})
        assert ack["ok"] is False and ack["error"] == "invalid", ack
        assert ack["field"] == "price" and ack["list_price"] == 5000
    assert (await host.call("deal:start", {"sku": "tote", "price": 4999, "seconds": 60}))["ok"]


async def test_a_second_deal_is_refused_not_a_silent_replacement(connect, live_show, r):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "key": live_show["host_key"]})
    first = await host.call("deal:start", {"sku": "tote", "price": 3000, "seconds": 60})
    assert first["ok"]
    for sku, price in (("tote", 2000), ("kimchi-1kg", 9000)):
        ack = await host.call("deal:start", {"sku": sku, "price": price, "seconds": 60})
        assert ack["error"] == "deal_running" and ack["sku"] == "tote", ack
        assert ack["ends_at"] == first["ends_at"]
    assert await catalog.active_deal(r, show) == {
        "sku": "tote",
        "price": 3000,
        "ends_at": first["ends_at"],
    }
    assert (await host.call("deal:end", {"sku": "tote"}))["ended"]
    assert (await host.call("deal:start", {"sku": "kimchi-1kg", "price": 9000, "seconds": 9}))["ok"]


async def test_a_deal_features_its_product(connect, live_show, r):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "key": live_show["host_key"]})
    viewer = await connect({"show": show, "name": "v"})
    assert (await host.call("product:feature", {"sku": "tote"}))["ok"]
    assert (await host.call("deal:start", {"sku": "waffle-10p", "price": 7900, "seconds": 30}))[
        "ok"
    ]
    assert await viewer.wait_for("featured", lambda d: d == {"sku": "waffle-10p"})
    assert (await catalog.public_view(r, show))["featured"] == "waffle-10p"


async def test_deals_run_only_while_live(connect, show, r):
    show_id = show["show"]["id"]
    host = await connect({"show": show_id, "key": show["host_key"]})
    payload = {"sku": "tote", "price": 1000, "seconds": 60}
    assert (await host.call("deal:start", payload))["error"] == "not_live"
    await catalog.set_status(r, show_id, "live")
    await catalog.set_status(r, show_id, "ended")
    assert (await host.call("deal:start", payload))["error"] == "ended"


async def test_the_end_of_a_show_ends_its_deal_for_everyone(connect, live_show, server, r):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "key": live_show["host_key"]})
    viewer = await connect({"show": show, "name": "v"})
    assert (await host.call("deal:start", {"sku": "tote", "price": 100, "seconds": 600}))["ok"]
    await viewer.wait_for("deal", lambda d: d is not None)
    await catalog.set_status(r, show, "ended")
    server.app[HUB].publish(show, hub.SHOW_STATUS, {"status": "ended"})
    assert await viewer.wait_for("show") == {"status": "ended"}
    await viewer.wait_for("deal", lambda d: d is None)
    assert await catalog.active_deal(r, show) is None


async def test_the_host_learns_which_broadcast_is_on_air(connect, live_show, r):
    show = live_show["show"]["id"]
    await host_lease.renew(r, show, "proc", "the-session")
    host = await connect({"show": show, "key": live_show["host_key"]})
    assert host.state["broadcast"]["session"] == "the-session"
    viewer = await connect({"show": show, "name": "v"})
    assert "broadcast" not in viewer.state


async def test_replay_buyers_buy_after_the_end_and_are_not_counted_as_viewers(
    connect, live_show, r
):
    show = live_show["show"]["id"]
    await catalog.set_status(r, show, "ended")
    buyer = await connect({"show": show, "name": "다시보기", "replay": True})
    assert buyer.state["viewers"] == 0
    assert await r.hgetall(keys.viewers(show)) == {}
    ack = await buyer.call("buy", {"sku": "tote", "qty": 1, "order_id": order()})
    assert ack["ok"] and ack["status"] == "reserved"
    await catalog.patch_show(r, show, {"replay_sales": False})
    ack = await buyer.call("buy", {"sku": "tote", "qty": 1, "order_id": order()})
    assert ack["error"] == "not_live"


async def test_a_ban_removes_the_users_recent_messages_and_the_log_names_them(connect, live_show):
    show = live_show["show"]["id"]
    mod = await connect({"show": show, "key": live_show["moderator_key"], "name": "지민"})
    spammer = await connect({"show": show, "name": "스팸러"})
    other = await connect({"show": show, "name": "손님"})
    ids = [(await spammer.call("chat:send", {"text": f"광고 {i}"}))["id"] for i in range(3)]
    kept = (await other.call("chat:send", {"text": "안녕하세요"}))["id"]
    ack = await mod.call("mod:ban", {"user": spammer.you["id"], "reason": "광고"})
    assert ack["ok"] and ack["removed"] == 3
    deleted = await other.wait_for("chat:deleted")
    assert sorted(deleted["ids"]) == sorted(ids)
    log = await mod.wait_for("mod:log", lambda e: e["action"] == "ban")
    assert log["actor"] == "지민" and log["actor_role"] == "moderator"
    assert log["detail"]["name"] == "스팸러" and log["detail"]["removed"] == 3
    late = await connect({"show": show, "name": "late"})
    assert [m["id"] for m in late.state["chat"]] == [kept]

    # a deletion is logged with whose message it was and what it said
    await mod.call("mod:delete", {"id": kept})
    log = await mod.wait_for("mod:log", lambda e: e["action"] == "delete")
    assert log["detail"] == {"user": other.you["id"], "name": "손님", "text": "안녕하세요"}


async def test_a_ban_may_keep_the_messages(connect, live_show):
    show = live_show["show"]["id"]
    mod = await connect({"show": show, "key": live_show["moderator_key"]})
    viewer = await connect({"show": show, "name": "v"})
    await viewer.call("chat:send", {"text": "hello"})
    ack = await mod.call("mod:ban", {"user": viewer.you["id"], "purge": False})
    assert ack["ok"] and ack["removed"] == 0
    assert (await mod.call("mod:ban", {"user": viewer.you["id"], "purge": "yes"}))[
        "error"
    ] == "invalid"


async def test_mod_user_shows_one_viewers_messages_and_what_was_done(connect, live_show):
    show = live_show["show"]["id"]
    mod = await connect({"show": show, "key": live_show["moderator_key"], "name": "지민"})
    viewer = await connect({"show": show, "name": "민수"})
    await viewer.call("chat:send", {"text": "첫 번째"})
    await viewer.call("chat:send", {"text": "두 번째"})
    await mod.call("mod:timeout", {"user": viewer.you["id"], "seconds": 60})
    history = await mod.call("mod:user", {"user": viewer.you["id"]})
    assert history["ok"] and history["user"] == {"id": viewer.you["id"], "name": "민수"}
    assert [m["text"] for m in history["messages"]] == ["첫 번째", "두 번째"]
    assert [a["action"] for a in history["actions"]] == ["timeout"]
    assert history["muted_until"] and history["banned"] is False
    assert (await viewer.call("mod:user", {"user": viewer.you["id"]}))["error"] == "forbidden"


async def test_timeouts_tell_the_viewer_how_long(connect, live_show):
    show = live_show["show"]["id"]
    mod = await connect({"show": show, "key": live_show["moderator_key"]})
    viewer = await connect({"show": show, "name": "v"})
    await mod.call("mod:timeout", {"user": viewer.you["id"], "seconds": 600})
    muted = await viewer.wait_for("muted")
    assert muted["seconds"] == 600 and muted["until"]


async def test_the_host_ends_a_show_without_a_broadcast(connect, live_show, r):
    show = live_show["show"]["id"]
    await host_lease.renew(r, show, "proc", "gone-session")
    host = await connect({"show": show, "key": live_show["host_key"]})
    viewer = await connect({"show": show, "name": "v"})
    assert (await viewer.call("show:end", {}))["error"] == "forbidden"
    ack = await host.call("show:end", {})
    assert ack == {"ok": True, "ended": True}
    assert await viewer.wait_for("show") == {"status": "ended"}
    assert (await catalog.public_view(r, show))["status"] == "ended"
    assert await host_lease.read(r, show) is None  # no deadline left to sweep
    assert (await host.call("show:end", {}))["ended"] is False
