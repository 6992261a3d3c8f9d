"""A real webhook receiver on 127.0.0.1 that records every request and answers as told."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque

import pytest
from aiohttp import web

from livecast.store import keys
from livecast.webhooks import RetryPolicy, WebhookSender

SECRET = "whsec-test-0123456789abcdef"
# fast retries for tests: 20 ms doubling, at most 100 ms apart
FAST = RetryPolicy(first=0.02, cap=0.1)


class Hang:
    """An answer that waits until ``release`` is set, then gives ``status``."""

    def __init__(self, status: int = 500):
        self.status = status
        self.release = asyncio.Event()


class Receiver:
    """Records each request as (event id, headers, raw body). ``plan`` holds the answers
    to the next requests (a status, a number of seconds to sleep before a 500, or a
    Hang); when it is empty, ``fail`` (event ids) get 500 and everything else 200."""

    def __init__(self):
        self.requests: list[tuple[str, dict, bytes]] = []
        self.accepted: list[str] = []
        self.plan: deque = deque()
        self.fail: set[str] = set()
        self.fail_all = False
        self.url = ""
        self._hangs: list[Hang] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        event = request.headers.get("Livecast-Event-Id", "")
        self.requests.append((event, dict(request.headers), body))
        action = self.plan.popleft() if self.plan else None
        if isinstance(action, Hang):
            self._hangs.append(action)
            await action.release.wait()
            return web.Response(status=action.status)
        if isinstance(action, float):
            await asyncio.sleep(action)  # past the sender's timeout
            return web.Response(status=500)
        if isinstance(action, int):
            status = action
        else:
            status = 500 if self.fail_all or event in self.fail else 200
        if 200 <= status < 300:
            self.accepted.append(event)
        return web.Response(status=status)

    def release_all(self) -> None:
        for hang in self._hangs:
            hang.release.set()

    def attempts(self, event_id: str) -> int:
        return sum(1 for event, _, _ in self.requests if event == event_id)


@pytest.fixture
async def receiver():
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/livecast", rec.handle)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec.url = f"http://127.0.0.1:{port}/hooks/livecast"
    yield rec
    rec.release_all()
    await runner.cleanup()


@pytest.fixture
async def senders():
    """Factory: WebhookSender instances, started; all stopped at the end of the test."""
    started: list[WebhookSender] = []

    async def start(r, settings, **options) -> WebhookSender:
        options.setdefault("policy", FAST)
        options.setdefault("lease_ttl", 1.0)
        sender = WebhookSender(r, settings, **options)
        await sender.start()
        started.append(sender)
        return sender

    yield start
    for sender in started:
        await sender.stop()


async def publish(r, type_: str, key: str, data: dict, *, show: str = "s1") -> str:
    """XADD one event to the outbox as the order scripts do; returns its event id."""
    entry = await r.xadd(
        keys.OUTBOX,
        {
            "type": type_,
            "show": show,
            "key": key,
            "data": json.dumps(data, ensure_ascii=False),
            "created_at": int(time.time() * 1000),
        },
    )
    return "evt_" + entry.replace("-", "_")


async def until(predicate, *, what: str, timeout: float = 30.0) -> None:
    """Wait for ``predicate()`` (sync or async); fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settled(r) -> None:
    """Wait until every outbox entry is acknowledged and trimmed (the sender records and
    acknowledges an event just after the receiver has answered it)."""

    async def empty():
        pending = await r.xpending(keys.OUTBOX, keys.OUTBOX_GROUP)
        return pending["pending"] == 0 and await r.xlen(keys.OUTBOX) == 0

    await until(empty, what="every outbox entry acknowledged and trimmed")
