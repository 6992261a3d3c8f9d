"""Buys while the real redis-server is frozen (SIGSTOP) or killed (SIGKILL) and restarted.

Each buyer keeps one order_id per intent and sends it again while the answer is
`unavailable` (outcome unknown) or the ack times out, as the watch page does. Afterwards:
every intent has a business answer, Redis holds exactly the orders that were answered ok
(none twice, none that its buyer was told failed), and stock + sold add up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis
import socketio

from livecast.app import create_app
from livecast.store import catalog, connect, find_redis_server, keys
from livecast.store.orders import Orders
from tests.support import PRODUCTS, free_port

BUYERS = 24
INTENTS = 3
STOCK = 40
UNKNOWN = ("unavailable", "timeout")
BUSINESS = ("sold_out", "insufficient_stock", "limit_exceeded", "not_live", "unknown_product")


class FaultyRedis:
    """A redis-server with AOF (fsync always) on a TCP port that tests can freeze or kill."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [find_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.workdir), "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 15
        while True:
            try:
                if client.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError, OSError):
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def signal(self, sig: int) -> None:
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def faulty_redis(tmp_path):
    server = FaultyRedis(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
async def shop(aiohttp_server, settings, faulty_redis):
    settings = settings.with_(redis_url=faulty_redis.url)
    r = connect(faulty_redis.url)
    products = [{**p, "stock": STOCK} if p["sku"] == "waffle-10p" else p for p in PRODUCTS]
    created = await catalog.create_show(r, {"title": "장애 라이브", "products": products})
    show_id = created["show"]["id"]
    await catalog.set_status(r, show_id, "live")
    server = await aiohttp_server(create_app(settings))
    yield str(server.make_url("/")).rstrip("/"), show_id, r
    await r.aclose()


async def buyer(url: str, show: str, n: int, answers: list, ready: list, go: asyncio.Event):
    """One shopper: INTENTS buys in a row, each retried with its order_id until answered."""
    auth = {"show": show, "name": f"buyer{n}"}
    sio = socketio.AsyncClient(reconnection_delay=0.2, reconnection_delay_max=1)
    got_state = asyncio.Event()

    @sio.on("state")
    async def on_state(state):  # the token keeps this buyer the same person on reconnect
        auth["token"] = state["you"]["token"]
        got_state.set()

    await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
    await asyncio.wait_for(got_state.wait(), 10)
    ready.append(n)
    await go.wait()  # every buyer is in before the fault
    loop = asyncio.get_running_loop()
    try:
        for _ in range(INTENTS):
            payload = {"sku": "waffle-10p", "qty": 1, "order_id": uuid.uuid4().hex}
            deadline = loop.time() + 90
            tries = 0
            while True:
                try:
                    ack = await sio.call("buy", payload, timeout=8)
                except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                    ack = {"ok": False, "error": "timeout"}
                tries += 1
                if ack.get("error") not in UNKNOWN:
                    break
                assert loop.time() < deadline, f"no business answer for {payload} in 90 s"
                await asyncio.sleep(min(2.0, 0.2 * tries))
            answers.append((payload["order_id"], ack, tries))
            await asyncio.sleep(0.4)  # a shopper's pace: the fault lands between and during buys
    finally:
        await sio.disconnect()


async def check_books(r, show: str, answers: list) -> None:
    finals = [ack for _, ack, _ in answers]
    assert len(answers) == BUYERS * INTENTS
    assert all(ack["ok"] or ack["error"] in BUSINESS for ack in finals), {
        ack.get("error") for ack in finals
    }
    ok_ids = {order_id for order_id, ack, _ in answers if ack["ok"]}
    stored = await Orders(r).all_for_show(show)
    stored_ids = [o["order_id"] for o in stored]
    assert len(stored_ids) == len(set(stored_ids))  # no order twice
    assert set(stored_ids) == ok_ids  # none committed that its buyer heard refused
    assert len(ok_ids) == STOCK  # demand (72) beyond stock (40): all of it sold, no more
    assert int(await r.hget(keys.sold(show), "waffle-10p")) == STOCK
    assert int(await r.hget(keys.stock(show), "waffle-10p")) == 0
    assert await r.xlen(keys.orders(show)) == STOCK


async def run_buyers(url: str, show: str, fault) -> list:
    answers: list = []
    ready: list = []
    go = asyncio.Event()
    buyers = [asyncio.create_task(buyer(url, show, n, answers, ready, go)) for n in range(BUYERS)]
    while len(ready) < BUYERS:
        assert not any(b.done() for b in buyers), [b.exception() for b in buyers if b.done()]
        await asyncio.sleep(0.05)
    go.set()
    await fault()
    await asyncio.gather(*buyers)
    return answers


async def test_redis_frozen_mid_buy(shop, faulty_redis):
    url, show, r = shop

    async def freeze():
        faulty_redis.signal(signal.SIGSTOP)
        await asyncio.sleep(7)  # past the server's 5 s wait: buyers hear `unavailable`
        faulty_redis.signal(signal.SIGCONT)

    answers = await run_buyers(url, show, freeze)
    assert any(tries > 1 for _, _, tries in answers), "the freeze never made anyone retry"
    await check_books(r, show, answers)


async def test_redis_killed_and_restarted_mid_buy(shop, faulty_redis):
    url, show, r = shop

    async def kill_and_restart():
        await asyncio.sleep(0.05)
        faulty_redis.kill()
        await asyncio.sleep(2)
        await asyncio.get_running_loop().run_in_executor(None, faulty_redis.start)

    answers = await run_buyers(url, show, kill_and_restart)
    assert any(tries > 1 for _, _, tries in answers), "the kill never made anyone retry"
    fresh = connect(faulty_redis.url)  # the test's own pooled connections died with Redis
    try:
        await check_books(fresh, show, answers)
    finally:
        await fresh.aclose()
