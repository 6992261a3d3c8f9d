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

from .appkeys import PROCESS_CARD, PROCESS_ID, REDIS, SETTINGS
from .node import card_for
from .store import processes

log = logging.getLogger(__name__)

RENEW_EVERY = 5.0


async def lease_loop(r, process_id: str, card: dict, every: float = RENEW_EVERY) -> None:
    down = False
    while True:
        try:
            await processes.renew(r, process_id, card)
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
    card = app[PROCESS_CARD].as_dict()
    await processes.renew(r, process_id, card)
    task = asyncio.create_task(lease_loop(r, process_id, card))
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
    app[PROCESS_CARD] = card_for(app[SETTINGS], app[PROCESS_ID])
    app.cleanup_ctx.append(lease_ctx)
