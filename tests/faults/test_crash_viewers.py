"""A `livecast serve` SIGKILLed under viewers: once its lease lapses, the viewers it held
stop counting, so the count is not doubled when they come back through a new process."""

from __future__ import annotations

import asyncio
import signal

import socketio

from livecast.store.processes import LEASE_SECONDS
from tests.faults.conftest import create_show, http, wait_until

VIEWERS = 6


async def connect_viewers(base_url: str, show: str, n: int) -> list[socketio.AsyncClient]:
    clients = []
    for i in range(n):
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(base_url, auth={"show": show, "name": f"v{i}"}, transports=["websocket"])
        clients.append(sio)
    return clients


def viewers(server, show: str) -> int:
    return http("GET", f"{server.base_url}/api/shows/{show}").json()["viewers"]


async def test_killed_process_stops_counting_its_viewers(live_server, external_redis):
    redis_server = external_redis()
    env = {"REDIS_URL": redis_server.url, "LIVECAST_SECRET": "crash-secret-0123456789abcdef"}
    first = live_server(env=env)
    show = create_show(first)
    clients = await connect_viewers(first.base_url, show, VIEWERS)
    await asyncio.to_thread(wait_until, lambda: viewers(first, show) == VIEWERS, what="counted")
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    for sio in clients:
        await sio.disconnect()
    second = live_server(env=env)
    back = await connect_viewers(second.base_url, show, VIEWERS)
    try:
        # right after the restart the dead process's viewers may still count; never beyond
        assert VIEWERS <= viewers(second, show) <= 2 * VIEWERS
        await asyncio.to_thread(
            wait_until,
            lambda: viewers(second, show) == VIEWERS,
            timeout=LEASE_SECONDS + 15,
            what="the dead process's viewers dropped",
        )
    finally:
        for sio in back:
            await sio.disconnect()
    await asyncio.to_thread(wait_until, lambda: viewers(second, show) == 0, what="all gone")
