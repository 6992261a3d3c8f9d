"""This process's identity and its lease in Redis (see store/processes.py).

The id is made once per start; the lease is renewed every few seconds by a supervised
loop and released at a clean stop. A killed process's lease lapses by itself, and with
it whatever per-process facts were counted under its id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from aiohttp import web
from redis.exceptions import RedisError

from .appkeys import PROCESS_ID, REDIS
from .store import processes

log = logging.getLogger(__name__)

RENEW_EVERY = 5.0


async def lease_loop(r, process_id: str, every: float = RENEW_EVERY) -> None:
    down = False
    while True:
        try:
            await processes.renew(r, process_id)
            if down:
                log.info("process lease renewed again")
                down = False
        except (RedisError, OSError) as exc:
            if not down:
                log.warning("cannot renew the process lease (%s); retrying", type(exc).__name__)
                down = True
            await asyncio.sleep(1)
            continue
        await asyncio.sleep(every)


async def lease_ctx(app: web.Application):
    r, process_id = app[REDIS], app[PROCESS_ID]
    await processes.renew(r, process_id)
    task = asyncio.create_task(lease_loop(r, process_id))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        try:
            await processes.release(r, process_id)
        except (RedisError, OSError):
            pass  # the lease lapses by itself


def setup(app: web.Application) -> None:
    app[PROCESS_ID] = uuid.uuid4().hex[:16]
    app.cleanup_ctx.append(lease_ctx)
