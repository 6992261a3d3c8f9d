"""Expires orders whose hold or payment deadline has passed: one loop in every process.

The claim is the sweep script's (each due order expires in exactly one call, whichever
process makes it); this loop only calls it every second and tells the realtime plane
about the orders it expired. Redis faults are waited out with backoff, logged once.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.exceptions import RedisError

from . import hub
from .appkeys import HUB, METRICS, ORDERS, REDIS
from .outage import describe
from .store import report
from .store.orders import SWEEP_BATCH

log = logging.getLogger(__name__)

INTERVAL = 1.0
MAX_BACKOFF = 10.0


class Sweeper:
    def __init__(self, app: web.Application, *, interval: float = INTERVAL):
        self._app = app
        self._interval = interval
        self._task: asyncio.Task | None = None
        self.started = asyncio.Event()
        self.exited = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def sweep_once(self) -> int:
        orders, hub_, metrics = self._app[ORDERS], self._app[HUB], self._app[METRICS]
        expired = await orders.sweep()
        for user, order in expired:
            metrics.order_moves.labels("expired").inc()
            hub_.publish(order["show"], hub.ORDER, {"user": user, "order": order})
        if expired:
            moved = report.orders_moved(self._app[REDIS], [order for _, order in expired])
            await report.quietly(moved, "expired orders")
        return len(expired)

    async def _run(self) -> None:
        self.started.set()
        backoff, down = self._interval, False
        try:
            while True:
                try:
                    count = await self.sweep_once()
                except (RedisError, OSError) as exc:
                    if not down:
                        log.warning(
                            "order sweeper: Redis unavailable (%s), retrying", describe(exc)
                        )
                        down = True
                    backoff = min(MAX_BACKOFF, backoff * 2)
                    await asyncio.sleep(backoff)
                    continue
                if down:
                    log.info("order sweeper: Redis back, sweeping again")
                    down, backoff = False, self._interval
                if count < SWEEP_BATCH:
                    await asyncio.sleep(self._interval)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("order sweeper stopped")
        finally:
            self.exited.set()


async def sweeper_ctx(app: web.Application):
    sweeper = Sweeper(app)
    sweeper.start()
    try:
        yield
    finally:
        await sweeper.stop()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(sweeper_ctx)
