"""Two `livecast serve` processes on one Redis share rooms, chat, bans and counters."""

import asyncio
import json
import uuid

import pytest

from livecast.store import keys

SECRET = "shared-secret-0123456789abcdef"


@pytest.fixture
def two_servers(live_server, redis_server, redis_url):
    env = {"REDIS_URL": redis_server.tcp_url, "LIVECAST_SECRET": SECRET}
    return live_server(env=env), live_server(env=env)


async def test_two_processes_share_a_room(two_servers, connect, live_show, r):
    one, two = two_servers
    show = live_show["show"]["id"]
    alice = await connect({"show": show, "name": "alice"}, base=one.base_url)
    bob = await connect({"show": show, "name": "bob"}, base=two.base_url)
    mod = await connect({"show": show, "key": live_show["moderator_key"]}, base=two.base_url)
    # chat from one process reaches a client of the other
    ack = await alice.call("chat:send", {"text": "from one <i>to</i> two"})
    message = await bob.wait_chat(ack["id"])
    assert message["text"] == "from one <i>to</i> two"
    # the viewer count is summed over processes
    await alice.wait_for("viewers", lambda d: d["count"] == 2)
    # sales bought through one are broadcast to the other
    buy = {"sku": "kimchi-1kg", "qty": 3, "order_id": uuid.uuid4().hex}
    assert (await bob.call("buy", buy))["ok"]
    await alice.wait_for("sales", lambda s: s["kimchi-1kg"]["sold"] == 3)
    # the token is valid on either process; a ban through two disconnects alice on one
    assert (await mod.call("mod:ban", {"user": alice.you["id"]}))["ok"]
    await alice.until(lambda: not alice.sio.connected, what="alice disconnected")
    again = await connect({"show": show, "name": "x"}, base=one.base_url)
    assert again.you["id"] != alice.you["id"]
    # a process that stops takes its viewer count with it
    assert len(await r.hgetall(keys.viewers(show))) == 2
    await again.close()
    # stop from a thread: the clients in this loop must keep answering the server meanwhile
    assert await asyncio.get_running_loop().run_in_executor(None, one.stop) == 0
    assert list((await r.hgetall(keys.viewers(show))).values()) == ["1"]


async def test_expiry_gives_units_back_once_with_two_processes(two_servers, connect, live_show, r):
    one, two = two_servers
    show = live_show["show"]["id"]
    buyers = [
        await connect({"show": show, "name": f"b{n}"}, base=server.base_url)
        for n, server in enumerate((one, two, one, two))
    ]
    order_ids = []
    for n in range(20):
        order_id = uuid.uuid4().hex
        ack = await buyers[n % 4].call("buy", {"sku": "waffle-10p", "qty": 1, "order_id": order_id})
        assert ack["ok"] and ack["status"] == "reserved"
        order_ids.append(order_id)
    assert await r.hget(keys.stock(show), "waffle-10p") == "30"
    # the holds run out: both processes' sweepers race for the same due orders
    await r.zadd(keys.ORDER_DEADLINES, dict.fromkeys(order_ids, 1))
    for buyer in buyers:
        await buyer.until(
            lambda b=buyer: sum(o["status"] == "expired" for o in b.received("order")) == 5,
            what="the buyer hears each of its orders expire",
        )
    heard = [o["order_id"] for b in buyers for o in b.received("order") if o["status"] == "expired"]
    assert sorted(heard) == sorted(order_ids)  # each expired once, announced once
    for order_id in order_ids:
        order = json.loads(await r.hget(keys.order(order_id), "doc"))
        assert [h["status"] for h in order["history"]] == ["reserved", "expired"]
    assert await r.hget(keys.stock(show), "waffle-10p") == "50"
    assert await r.hget(keys.sold(show), "waffle-10p") == "0"
    assert await r.zcard(keys.ORDER_DEADLINES) == 0
    await buyers[0].wait_for("sales", lambda s: s["waffle-10p"]["remaining"] == 50)


async def test_chat_batches_across_processes_deliver_every_message_once(
    two_servers, connect, live_show
):
    one, two = two_servers
    show = live_show["show"]["id"]
    bases = (one.base_url, two.base_url)
    watchers = [await connect({"show": show, "name": f"w{i}"}, base=b) for i, b in enumerate(bases)]
    senders = [
        await connect({"show": show, "name": f"s{i}"}, base=(one, two)[i % 2].base_url)
        for i in range(4)
    ]
    acks = await asyncio.gather(
        *(
            s.call("chat:send", {"text": f"{i}-{n}"})
            for n in range(5)
            for i, s in enumerate(senders)
        )
    )
    sent = {a["id"] for a in acks if a["ok"]}
    assert len(sent) == 20
    for w in watchers:
        await w.until(lambda w=w: sent <= {m["id"] for m in w.chat_messages()}, what="all")
        got = [m["id"] for m in w.chat_messages()]
        assert sorted(got) == sorted(sent)  # each message once, whichever process sent it
        assert w.received("chat") == [] and len(w.received("chat:batch")) < 20
