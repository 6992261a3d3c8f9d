"""An external Redis (REDIS_URL) stopped, paused and restarted under a running server."""

from __future__ import annotations

import asyncio

import socketio

from tests.faults.conftest import create_show, healthy, http, metric, new_log_lines, wait_until
from tests.support import ADMIN, bearer

PASSWORD = "hunter2-secret-pw"
SDP = {"Content-Type": "application/sdp"}


def hit_every_route(base: str, show: str) -> list[tuple[str, object]]:
    """One request to each kind of route that needs Redis; returns (what, answer)."""
    return [
        ("list", http("GET", f"{base}/api/shows")),
        ("show", http("GET", f"{base}/api/shows/{show}")),
        ("create", http("POST", f"{base}/api/shows", {"title": "t"}, headers=ADMIN)),
        ("page", http("GET", f"{base}/watch/{show}")),
        (
            "whip",
            http("POST", f"{base}/whip/{show}", b"v=0\r\n", headers={**SDP, **bearer("k" * 20)}),
        ),
        ("whep", http("POST", f"{base}/whep/{show}", b"v=0\r\n", headers=SDP)),
    ]


def test_a_stopped_redis_is_503_on_every_route_with_one_log_line(live_server, external_redis):
    store = external_redis(password=PASSWORD)
    server = live_server(env={"REDIS_URL": store.url})
    show = create_show(server)
    before = len(server.output().splitlines())

    store.stop()
    answers = []
    for _ in range(10):
        answers += hit_every_route(server.base_url, show)
    for what, res in answers:
        assert res.status == 503, (what, res.status, res.body[:300])
        assert res.json()["error"] == "unavailable", what
        assert res.headers["Retry-After"] == "2", what
    health = http("GET", server.base_url + "/healthz")
    assert health.status == 503 and health.headers["Retry-After"] == "2"
    assert str(store.port) not in health.body.decode() and "127.0.0.1" not in health.body.decode()

    lines = new_log_lines(server, before)
    text = "\n".join(lines)
    assert "Traceback" not in text and "Task exception was never retrieved" not in text
    assert sum("livecast.outage: Redis unavailable" in line for line in lines) == 1, text
    # 60 failed requests, a handful of lines: one per loop that noticed (and Socket.IO's
    # manager retrying with backoff)
    assert len(lines) <= 15, text
    assert metric(server, "livecast_redis_up") == 0
    assert metric(server, "livecast_redis_errors_total", 'where="http"') >= len(answers)

    store.start()
    wait_until(lambda: healthy(server), timeout=30, what="/healthz 200 after Redis is back")
    # a pooled connection may still meet the old server once: a 503 the client retries
    wait_until(
        lambda: (
            http("POST", server.base_url + "/api/shows", {"title": "t"}, headers=ADMIN).status
            == 201
        ),
        timeout=10,
        what="an API write after Redis is back",
    )
    wait_until(lambda: "Redis is back" in server.output(), timeout=10, what="the 'back' line")
    assert metric(server, "livecast_redis_outages_total") == 1
    assert metric(server, "livecast_redis_up") == 1
    assert PASSWORD not in server.output()


def test_a_paused_redis_is_503_not_a_hang(live_server, external_redis):
    store = external_redis()
    server = live_server(env={"REDIS_URL": store.url})
    show = create_show(server)
    before = len(server.output().splitlines())
    store.pause()
    try:
        res = http("GET", f"{server.base_url}/api/shows/{show}", timeout=60)
        assert res.status == 503 and res.json()["error"] == "unavailable"
        assert res.headers["Retry-After"] == "2"
        res = http("POST", f"{server.base_url}/api/shows", {"title": "t"}, headers=ADMIN)
        assert res.status == 503
    finally:
        store.resume()
    wait_until(lambda: healthy(server), timeout=30, what="/healthz 200 after SIGCONT")
    assert http("GET", f"{server.base_url}/api/shows/{show}").status == 200
    text = "\n".join(new_log_lines(server, before))
    assert "Traceback" not in text
    assert text.count("livecast.outage: Redis unavailable") == 1, text


async def connected_client(base: str, show: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(base, auth={"show": show, "name": "v"}, transports=["websocket"])
    return client


def test_pubsub_loops_resubscribe_after_redis_restarts(live_server, external_redis):
    store = external_redis()
    server = live_server(env={"REDIS_URL": store.url})
    show = create_show(server)
    loop = asyncio.new_event_loop()
    try:
        # the Socket.IO manager subscribes when its first client connects
        client = loop.run_until_complete(connected_client(server.base_url, show))
        wait_until(lambda: store.numsub("livecast:hub") >= 1, what="hub bridge subscribed")
        wait_until(lambda: store.numsub("livecast:socketio") >= 1, what="Socket.IO subscribed")
        before = len(server.output().splitlines())

        store.stop()
        wait_until(
            lambda: "hub bridge lost Redis" in server.output(), what="the bridge's 'lost' line"
        )
        store.start()
        wait_until(lambda: store.numsub("livecast:hub") >= 1, timeout=30, what="hub resubscribed")
        wait_until(
            lambda: store.numsub("livecast:socketio") >= 1, timeout=60, what="Socket.IO again"
        )
        loop.run_until_complete(client.disconnect())
    finally:
        loop.close()
    lines = new_log_lines(server, before)
    assert sum("hub bridge resubscribed" in line for line in lines) == 1, lines
    assert sum("hub bridge lost Redis" in line for line in lines) == 1, lines
    assert not any("Traceback" in line for line in lines), lines
    assert metric(server, "livecast_redis_reconnects_total", 'loop="hub_bridge"') == 1
