"""A `livecast serve` killed with SIGKILL while events are pending loses none of them."""

import asyncio
import functools

from livecast.store import keys
from livecast.webhooks import verify

from .conftest import SECRET, publish, settled, until


async def test_sigkill_loses_no_event(live_server, redis_server, redis_url, r, receiver):
    env = {
        "REDIS_URL": redis_server.tcp_url,
        "LIVECAST_WEBHOOK_URL": receiver.url,
        "LIVECAST_WEBHOOK_SECRET": SECRET,
    }
    start = functools.partial(live_server, env=env)
    loop = asyncio.get_running_loop()
    expected: dict[str, list[str]] = {}
    for step in ("reserved", "placed", "paid"):
        for order in ("o-1", "o-2", "o-3"):
            event = await publish(r, f"order.{step}", order, {"order_id": order, "status": step})
            expected.setdefault(order, []).append(event)
    receiver.fail_all = True
    first = await loop.run_in_executor(None, start)
    firsts = {events[0] for events in expected.values()}

    async def all_read_and_tried():
        if not firsts <= {event for event, _, _ in receiver.requests}:
            return False  # (the consumer group exists once one was tried)
        return (await r.xpending(keys.OUTBOX, keys.OUTBOX_GROUP))["pending"] == 9

    await until(all_read_and_tried, what="every event read, each order's first one tried")
    first.process.kill()  # SIGKILL: no shutdown, no ack, the lease left to lapse
    await loop.run_in_executor(None, first.process.wait)
    receiver.fail_all = False
    await loop.run_in_executor(None, start)

    await until(lambda: len(set(receiver.accepted)) == 9, what="every event delivered", timeout=60)
    key_of = {event: key for key, events in expected.items() for event in events}
    for key, events in expected.items():
        assert [e for e in receiver.accepted if key_of[e] == key] == events
        tried = [events.index(e) for e, _, _ in receiver.requests if key_of[e] == key]
        assert tried == sorted(tried)
    for _, headers, body in receiver.requests:
        assert verify(SECRET, body, headers["Livecast-Signature"])
    await settled(r)
