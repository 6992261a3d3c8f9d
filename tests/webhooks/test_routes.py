"""The deliveries API on the whole app: the 24 h give-up, the failed list, a retry."""

import time

import pytest

from livecast.app import create_app
from livecast.store import keys
from livecast.webhooks import SENDER_OPTIONS, WEBHOOKS, RetryPolicy, verify
from tests.support import ADMIN, bearer

from .conftest import SECRET, publish, until

DAY = 24 * 3600


class Clock:
    """Wall time plus an offset the test moves forward."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def webhook_client(aiohttp_client, settings, receiver):
    clock = Clock()
    app = create_app(settings.with_(webhook_url=receiver.url, webhook_secret=SECRET))
    app[SENDER_OPTIONS] = {
        "clock": clock,
        "policy": RetryPolicy(first=0.02, cap=0.1),
        "lease_ttl": 1.0,
    }
    client = await aiohttp_client(app)
    return client, clock


async def deliveries(client, status: str) -> list[dict]:
    res = await client.get(f"/api/webhooks/deliveries?status={status}", headers=ADMIN)
    assert res.status == 200
    return (await res.json())["deliveries"]


async def test_given_up_after_24_hours_listed_and_sent_again(webhook_client, r, receiver):
    client, clock = webhook_client
    first = await publish(r, "order.reserved", "o-1", {"order_id": "o-1"})
    then = await publish(r, "order.placed", "o-1", {"order_id": "o-1"})
    other = await publish(r, "order.reserved", "o-2", {"order_id": "o-2"})
    receiver.fail.add(first)
    # other orders are not held up by o-1's failing event; o-1's next event is
    await until(lambda: receiver.accepted == [other], what="the other order's event")
    await until(lambda: receiver.attempts(first) >= 3, what="retries of the failing event")

    async def two_pending():
        return [d["id"] for d in await deliveries(client, "pending")] == [first, then]

    await until(two_pending, what="o-1's two events pending")
    pending = await deliveries(client, "pending")
    assert pending[0]["attempts"] >= 1 and pending[0]["last_error"] == "HTTP 500"
    assert pending[0]["next_at"] is not None and pending[1]["attempts"] == 0
    assert receiver.attempts(then) == 0
    # a pending event is queued already: a retry changes nothing
    res = await client.post(f"/api/webhooks/deliveries/{then}/retry", headers=ADMIN)
    assert res.status == 202 and (await res.json())["requeued"] is False
    assert [d["id"] for d in await deliveries(client, "pending")] == [first, then]

    clock.offset += DAY  # a day of failures later
    await until(lambda: receiver.accepted == [other, then], what="o-1's next event")
    [failed] = await deliveries(client, "failed")
    assert failed["id"] == first and failed["status"] == "failed"
    assert failed["type"] == "order.reserved" and failed["key"] == "o-1"
    assert failed["show"] == "s1" and failed["last_error"] == "HTTP 500"
    assert failed["attempts"] == receiver.attempts(first)
    assert failed["host"] == receiver.url.split("/")[2]
    assert failed["next_at"] is None and failed["failed_at"].endswith("+00:00")
    assert await r.zscore(keys.WEBHOOK_FAILED, first) is not None

    receiver.fail.clear()
    res = await client.post(f"/api/webhooks/deliveries/{first}/retry", headers=ADMIN)
    assert res.status == 202 and (await res.json())["requeued"] is True
    await until(lambda: receiver.accepted == [other, then, first], what="the retried event")
    event, headers, body = receiver.requests[-1]
    assert event == first  # the same event id: a receiver can tell it is the same event
    assert verify(SECRET, body, headers["Livecast-Signature"], now=clock())

    async def settled():
        return not await deliveries(client, "failed") and not await deliveries(client, "pending")

    await until(settled, what="nothing failed or pending")
    delivered = await deliveries(client, "delivered")
    assert {d["id"] for d in delivered} == {first, then, other}
    assert delivered[0]["id"] == first and delivered[0]["attempts"] == 1

    async def counted():
        metrics = await (await client.get("/metrics")).text()
        return 'livecast_webhook_deliveries_total{outcome="delivered"} 3.0' in metrics

    await until(counted, what="the deliveries counted")
    metrics = await (await client.get("/metrics")).text()
    assert 'livecast_webhook_deliveries_total{outcome="failed"} 1.0' in metrics
    assert "livecast_webhook_leader 1.0" in metrics
    assert client.app[WEBHOOKS].leading


async def test_the_deliveries_api_checks_its_input(webhook_client, r):
    client, _ = webhook_client
    url = "/api/webhooks/deliveries"
    assert (await client.get(url)).status == 401
    assert (await client.get(url, headers=bearer("not-the-admin-token"))).status == 401
    res = await client.get(url + "?status=lost", headers=ADMIN)
    assert res.status == 400 and (await res.json())["error"] == "invalid"
    assert (await client.get(url + "?status=failed&limit=0", headers=ADMIN)).status == 400
    assert await deliveries(client, "failed") == []
    retry = url + "/evt_1764500000000_0/retry"
    assert (await client.post(retry)).status == 401
    res = await client.post(retry, headers=ADMIN)
    assert res.status == 404 and (await res.json())["error"] == "unknown_delivery"
    res = await client.post(url + "/anything/retry", headers=ADMIN)
    assert res.status == 404
