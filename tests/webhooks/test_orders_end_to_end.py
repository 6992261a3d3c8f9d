"""Real orders to a real receiver: a buy, checkout, paid, shipped -> the shop hears every
step, signed, in order, each event once accepted, even while the receiver fails a while."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import socketio

from livecast.app import create_app
from livecast.store import catalog
from livecast.webhooks import SENDER_OPTIONS
from livecast.webhooks.signing import verify
from tests.support import ADMIN, bearer
from tests.webhooks.conftest import FAST, SECRET

BUYER = {"name": "김민수", "phone": "010-1234-5678", "postcode": "04524", "address": "서울"}


async def test_an_order_life_reaches_the_shop(aiohttp_server, settings, r, receiver, show):
    settings = settings.with_(webhook_url=receiver.url, webhook_secret=SECRET)
    app = create_app(settings)
    app[SENDER_OPTIONS] = {"policy": FAST, "lease_ttl": 1.0}
    server = await aiohttp_server(app)
    base = str(server.make_url("/")).rstrip("/")
    show_id = show["show"]["id"]
    await catalog.set_status(r, show_id, "live")
    receiver.plan.extend([500, 503, 500])  # the shop is down for the first tries

    sio = socketio.AsyncClient(reconnection=False)
    states = []
    sio.on("state", states.append)
    await sio.connect(base, auth={"show": show_id, "name": "민수"}, transports=["websocket"])
    try:
        order_id = uuid.uuid4().hex
        ack = await sio.call("buy", {"sku": "tote", "qty": 2, "order_id": order_id}, timeout=10)
        assert ack["ok"]
        while not states:
            await asyncio.sleep(0.05)
        token = bearer(states[0]["you"]["token"])
        async with aiohttp.ClientSession(base_url=base) as http:
            res = await http.post(
                f"/api/orders/{order_id}/checkout",
                json={"buyer": BUYER, "payment": "on_delivery"},
                headers=token,
            )
            assert res.status == 200
            shipped = {"status": "shipped", "carrier": "CJ대한통운", "tracking": "6012345"}
            res = await http.post(f"/api/orders/{order_id}/status", json=shipped, headers=ADMIN)
            assert res.status == 200
    finally:
        await sio.disconnect()

    def order_events():
        """The accepted deliveries of this order, in the order the shop accepted them."""
        last_try = {event_id: (h, body) for event_id, h, body in receiver.requests}
        seen = []
        for event_id in receiver.accepted:
            headers, body = last_try[event_id]
            payload = json.loads(body)
            if payload["data"].get("order_id") == order_id:
                seen.append((payload, headers, body))
        return seen

    for _ in range(200):
        if len(order_events()) == 3:
            break
        await asyncio.sleep(0.05)
    events = order_events()
    assert [e[0]["type"] for e in events] == ["order.reserved", "order.placed", "order.shipped"]
    for payload, headers, body in events:
        assert verify(SECRET, body, headers["Livecast-Signature"])
        assert headers["Livecast-Event-Id"] == payload["id"]
    assert events[1][0]["data"]["buyer"]["name"] == "김민수"
    assert events[2][0]["data"]["tracking"] == "6012345"
    assert len(receiver.accepted) == len(set(receiver.accepted))  # each accepted once
    bodies = {event_id: body for event_id, _, body in receiver.requests}
    accepted = [json.loads(bodies[event_id]) for event_id in receiver.accepted]
    assert [e["data"]["id"] for e in accepted if e["type"] == "show.live"] == [show_id]
