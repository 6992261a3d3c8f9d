"""Ends live shows whose host did not come back in time: one loop in every process.

The host's lease and the show's deadline are in Redis (``store/host_lease.py``), so the
deadline holds across a restart and whichever process is running when it passes ends
the show (the claim script hands each due show to one sweep). On start the loop gives a
deadline to live shows that have none (a crash before the host's first lease, or shows
from before leases existed). Redis faults are waited out with backoff, logged once.
"""

from __future__ import annotations

import logging

from aiohttp import web

from . import hub
from .appkeys import HUB, REDIS
from .loops import SupervisedLoop
from .outage import describe
from .store import catalog, host_lease, keys
from .store.errors import StoreError, UnknownShow

log = logging.getLogger(__name__)

INTERVAL = 1.0
LOOP = "show_sweeper"  # its label in livecast_redis_errors / livecast_redis_reconnects


async def adopt_orphans(r) -> int:
    """Live shows without a deadline get one (GRACE_SECONDS from now)."""
    show_ids = await catalog.list_show_ids(r)
    if not show_ids:
        return 0
    async with r.pipeline(transaction=False) as p:
        for show_id in show_ids:
            p.hget(keys.show(show_id), "status")
        statuses = await p.execute()
    live = [s for s, status in zip(show_ids, statuses, strict=True) if status == "live"]
    return await host_lease.adopt(r, live)


async def end_show(app: web.Application, show_id: str) -> bool:
    """End a show whose deadline passed; True if this call ended it."""
    r = app[REDIS]
    previous = None
    # only a live show ends here (a demo show reset to scheduled keeps its old deadline)
    if await r.hget(keys.show(show_id), "status") == "live":
        try:
            previous = await catalog.set_status(r, show_id, "ended")
        except UnknownShow:
            pass
    await host_lease.release(r, show_id)
    if previous == "live":
        log.info("show %s ended: its host did not come back in time", show_id)
        app[HUB].publish(show_id, hub.SHOW_STATUS, {"status": "ended", "reason": "host_lost"})
        return True
    return False


class ShowSweeper(SupervisedLoop):
    name = LOOP

    def __init__(self, app: web.Application, *, interval: float = INTERVAL):
        super().__init__(app, interval=interval)
        self._adopted = False

    async def step(self) -> bool:
        if not self._adopted:
            count = await adopt_orphans(self._app[REDIS])
            if count:
                log.info("%d live shows without a host deadline got one", count)
            self._adopted = True
        await self.sweep_once()
        return False

    async def sweep_once(self) -> int:
        ended = 0
        for show_id in await host_lease.claim_due(self._app[REDIS]):
            try:
                ended += await end_show(self._app, show_id)
            except StoreError as exc:
                log.warning("could not end show %s: %s (retried later)", show_id, describe(exc))
        return ended


def setup(app: web.Application) -> None:
    ShowSweeper.setup(app)
