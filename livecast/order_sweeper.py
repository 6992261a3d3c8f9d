"""Expires orders whose hold or payment deadline has passed: one loop in every process.

The claim is the sweep script's (each due order expires in exactly one call, whichever
process makes it); this loop only calls it every second and tells the realtime plane
about the orders it expired. Redis faults are waited out with backoff, logged once.
"""

from __future__ import annotations

from aiohttp import web

from . import hub
from .appkeys import HUB, METRICS, ORDERS, REDIS
from .loops import SupervisedLoop
from .store import report
from .store.orders import SWEEP_BATCH


class Sweeper(SupervisedLoop):
    name = "order_sweeper"

    async def step(self) -> bool:
        return await self.sweep_once() == SWEEP_BATCH  # a full batch: more may be due

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


def setup(app: web.Application) -> None:
    Sweeper.setup(app)
