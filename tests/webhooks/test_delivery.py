"""The sender against a real Redis and a real receiver: order per key, retries, restarts."""

import hashlib
import hmac
import json
import logging

from livecast.devtools.processes import RedisProcess
from livecast.metrics import Metrics
from livecast.store import connect, keys
from livecast.webhooks import deliveries, verify
from tests.support import free_port

from .conftest import SECRET, Hang, publish, settled, until


def hmac_of(header: str, body: bytes) -> tuple[str, str]:
    """(expected, received) v1 of a request, computed here without livecast's code."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        SECRET.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return expected, fields["v1"]


async def test_events_arrive_in_order_per_key_through_failures_and_a_timeout(
    r, settings, receiver, senders
):
    settings = settings.with_(webhook_url=receiver.url, webhook_secret=SECRET)
    expected: dict[str, list[str]] = {}
    sent: dict[str, dict] = {}
    for step in ("reserved", "placed", "paid"):  # three orders, their events interleaved
        for order in ("o-1", "o-2", "o-3"):
            data = {"order_id": order, "status": step, "buyer": {"name": "김민수"}}
            event = await publish(r, f"order.{step}", order, data)
            expected.setdefault(order, []).append(event)
            sent[event] = {"type": f"order.{step}", "data": data}
    for status in ("live", "ended"):
        event = await publish(r, f"show.{status}", "show:s1", {"id": "s1", "status": status})
        expected.setdefault("show:s1", []).append(event)
        sent[event] = {"type": f"show.{status}", "data": {"id": "s1", "status": status}}
    # 500 three times, then one answer later than the sender waits, then 200s
    receiver.plan.extend([500, 500, 500, 2.0])
    metrics = Metrics()
    await senders(r, settings, metrics=metrics, timeout=0.5)

    await until(lambda: len(receiver.accepted) == len(sent), what="every event delivered")
    key_of = {event: key for key, events in expected.items() for event in events}
    for key, events in expected.items():
        # exactly once each, in order, and no later event tried while an earlier one failed
        assert [e for e in receiver.accepted if key_of[e] == key] == events
        tried = [events.index(e) for e, _, _ in receiver.requests if key_of[e] == key]
        assert tried == sorted(tried)
    assert len(receiver.requests) == len(sent) + 4
    for event, headers, body in receiver.requests:
        assert headers["Content-Type"] == "application/json"
        assert verify(SECRET, body, headers["Livecast-Signature"])
        expected_mac, received_mac = hmac_of(headers["Livecast-Signature"], body)
        assert hmac.compare_digest(expected_mac, received_mac)
        document = json.loads(body)
        assert document["id"] == event
        assert document["type"] == sent[event]["type"]
        assert document["data"] == sent[event]["data"]
        assert document["created_at"].endswith("+00:00")
    # settled: acknowledged, trimmed, recorded
    await settled(r)
    records = [await r.hgetall(keys.webhook_delivery(e)) for e in sent]
    assert {rec["status"] for rec in records} == {"delivered"}
    assert sum(int(rec["attempts"]) for rec in records) == len(sent) + 4
    assert {rec["last_error"] for rec in records} >= {"HTTP 500", "timeout"}
    assert all(rec["host"] == receiver.url.split("/")[2] for rec in records)
    counted = metrics.webhook_deliveries.labels
    await until(lambda: counted("delivered")._value.get() == len(sent), what="the count")
    assert counted("retried")._value.get() == 4


async def test_a_stopped_leader_leaves_its_event_pending_and_the_other_sends_it(
    r, settings, receiver, senders
):
    settings = settings.with_(webhook_url=receiver.url, webhook_secret=SECRET)
    first = await publish(r, "order.reserved", "o-1", {"order_id": "o-1"})
    second = await publish(r, "order.placed", "o-1", {"order_id": "o-1"})
    hang = Hang()
    receiver.plan.append(hang)  # the first request never gets an answer
    one = await senders(r, settings)
    two = await senders(r, settings)
    await until(lambda: receiver.requests, what="the first attempt")
    assert one.leading != two.leading  # only one of the two delivers
    leader, other = (one, two) if one.leading else (two, one)
    await leader.stop()  # mid-delivery: nothing was acknowledged
    assert (await r.xpending(keys.OUTBOX, keys.OUTBOX_GROUP))["pending"] == 2
    await until(lambda: receiver.accepted == [first, second], what="both events, in order")
    assert other.leading
    assert [event for event, _, _ in receiver.requests] == [first, first, second]
    await settled(r)
    await leader.stop()  # safe twice


async def test_a_restarted_sender_goes_on_counting_attempts(r, settings, receiver, senders):
    settings = settings.with_(webhook_url=receiver.url, webhook_secret=SECRET)
    event = await publish(r, "order.paid", "o-9", {"order_id": "o-9"})
    receiver.fail.add(event)
    sender = await senders(r, settings)
    record = keys.webhook_delivery(event)
    await until(lambda: receiver.attempts(event) >= 3, what="three failed attempts")
    await sender.stop()
    attempts = int(await r.hget(record, "attempts"))
    first_at = await r.hget(record, "first_at")
    receiver.fail.clear()
    await senders(r, settings)
    await until(lambda: receiver.accepted == [event], what="the delivery after a restart")

    async def settled():
        return await r.hget(record, "status") == "delivered"

    await until(settled, what="the record settled")  # written with the ack
    assert int(await r.hget(record, "attempts")) == attempts + 1
    assert await r.hget(record, "first_at") == first_at


async def test_show_webhooks_override_the_global_one_and_no_url_skips(
    r, settings, receiver, senders
):
    # no global URL: show s1 has its own, s2 none
    await r.hset(keys.show("s1"), mapping={"webhook_url": receiver.url, "webhook_secret": SECRET})
    sent = await publish(r, "show.live", "show:s1", {"id": "s1"}, show="s1")
    skipped = await publish(r, "show.live", "show:s2", {"id": "s2"}, show="s2")
    broken = await r.xadd(
        keys.OUTBOX, {"type": "order.paid", "show": "s1", "key": "o-5", "data": "{not json"}
    )
    after_broken = await publish(r, "order.shipped", "o-5", {"order_id": "o-5"})
    await senders(r, settings)
    await until(lambda: sorted(receiver.accepted) == sorted([sent, after_broken]), what="s1")
    for _, headers, body in receiver.requests:  # signed with the show's own secret
        assert verify(SECRET, body, headers["Livecast-Signature"])
    await settled(r)
    # no URL for s2: acknowledged and gone, nothing kept (no record, no outbox entry)
    assert not await r.exists(keys.webhook_delivery(skipped))
    assert await r.xlen(keys.OUTBOX) == 0
    assert await deliveries.requeue(r, skipped, 0) == "unknown"
    broken_id = "evt_" + broken.replace("-", "_")
    record = await r.hgetall(keys.webhook_delivery(broken_id))
    assert record["status"] == "failed" and record["last_error"] == "data is not JSON"
    assert await r.zscore(keys.WEBHOOK_FAILED, broken_id) is not None


async def test_a_redis_outage_is_logged_once_and_delivery_resumes(
    tmp_path, settings, receiver, senders, caplog
):
    caplog.set_level(logging.INFO, logger="livecast.webhooks.sender")
    redis = RedisProcess(tmp_path / "redis")
    r = connect(redis.url)
    metrics = Metrics()
    try:
        settings = settings.with_(webhook_url=receiver.url, webhook_secret=SECRET)
        first = await publish(r, "order.reserved", "o-1", {"order_id": "o-1"})
        sender = await senders(r, settings, metrics=metrics, reconnect=(0.02, 0.1))
        await until(lambda: receiver.accepted == [first], what="the first delivery")
        redis.stop()
        errors = metrics.redis_errors.labels("webhooks")
        await until(lambda: errors._value.get() >= 5, what="several failed reconnects")
        redis = RedisProcess(tmp_path / "redis")  # the same socket, empty
        second = await publish(r, "order.reserved", "o-2", {"order_id": "o-2"})
        await until(lambda: receiver.accepted == [first, second], what="delivery after it")
    finally:
        await sender.stop()
        await r.aclose()
        redis.stop()
    lines = [rec.getMessage() for rec in caplog.records]
    assert sum("paused by Redis" in line for line in lines) == 1
    assert sum("reachable again" in line for line in lines) == 1
    assert not any(rec.exc_info for rec in caplog.records)
    assert not any(receiver.url in line for line in lines)


async def test_an_entry_deleted_while_pending_does_not_stay_pending(r, settings, receiver, senders):
    settings = settings.with_(webhook_url=receiver.url, webhook_secret=SECRET)
    gone = await publish(r, "order.reserved", "o-1", {"order_id": "o-1"})
    kept = await publish(r, "order.placed", "o-1", {"order_id": "o-1"})
    receiver.fail_all = True
    sender = await senders(r, settings)

    async def both_read():
        return sender.leading and (await r.xpending(keys.OUTBOX, keys.OUTBOX_GROUP))["pending"] == 2

    await until(both_read, what="both entries read")
    await sender.stop()
    await r.xdel(keys.OUTBOX, gone[4:].replace("_", "-"))  # as `livecast orders purge` trims
    receiver.fail_all = False
    await senders(r, settings)
    await until(lambda: receiver.accepted == [kept], what="the entry left delivered")
    await settled(r)  # the deleted entry acknowledged too


async def test_a_refused_connection_is_retried_until_the_url_answers(
    r, settings, receiver, senders
):
    closed = free_port()  # nothing listens there
    await r.hset(
        keys.show("s1"),
        mapping={"webhook_url": f"http://shop:pw@127.0.0.1:{closed}/x", "webhook_secret": SECRET},
    )
    event = await publish(r, "order.paid", "o-1", {"order_id": "o-1"})
    record = keys.webhook_delivery(event)
    await senders(r, settings)

    async def refused_twice():
        return int(await r.hget(record, "attempts") or 0) >= 2

    await until(refused_twice, what="two refused attempts")
    found = await r.hgetall(record)
    assert found["status"] == "pending" and found["last_error"] == "ClientConnectorError"
    assert found["host"] == f"127.0.0.1:{closed}"  # never the URL's credentials or path
    assert "pw" not in "".join(found.values())
    await r.hset(keys.show("s1"), "webhook_url", receiver.url)  # each attempt looks it up
    await until(lambda: receiver.accepted == [event], what="the delivery to the new URL")
