"""Coalesced broadcasts: sales figures, viewer counts and reactions go out at most
``1 / PERIOD`` times a second per show, whatever the number of buys, joins or hearts.

Each process marks shows dirty; every PERIOD a flusher sends what changed. A short Redis
lock per show and kind (``keys.throttle``) makes the rate hold across processes too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import TYPE_CHECKING

from .. import hub
from ..outage import LoopFaults
from ..store import catalog, keys, report, sales

if TYPE_CHECKING:
    from .plane import Realtime

log = logging.getLogger(__name__)

PERIOD = 0.1
LOCK_MS = 95


class Broadcasts:
    def __init__(self, rt: Realtime):
        self._rt = rt
        self._sales: set[str] = set()
        self._viewers: set[str] = set()
        self._reactions: dict[str, Counter] = {}
        self._reactions_pending: set[str] = set()
        self._tallies: dict[str, report.Tally] = {}  # the show report's chat and buys
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.started = asyncio.Event()
        self.exited = asyncio.Event()
        self._faults = LoopFaults("coalesced broadcasts", log)

    def sales_changed(self, show: str) -> None:
        self._sales.add(show)

    def viewers_changed(self, show: str) -> None:
        self._viewers.add(show)

    def react(self, show: str, kind: str) -> None:
        self._reactions.setdefault(show, Counter())[kind] += 1

    def tally(self, show: str) -> report.Tally:
        """The show report's counts for ``show``, written at the next flush."""
        return self._tallies.setdefault(show, report.Tally())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        # the flag ends the loop even if a library swallows the cancellation mid-flush
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        self.started.set()
        try:
            while not self._stopping:
                await asyncio.sleep(PERIOD)
                try:
                    await self.flush()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._faults.failed(exc)  # a traceback, or one line while Redis is down
                else:
                    self._faults.ok()
        finally:
            self.exited.set()

    async def _turn(self, show: str, what: str) -> bool:
        """True if this process may broadcast ``what`` for ``show`` in this period."""
        return bool(await self._rt.r.set(keys.throttle(show, what), 1, px=LOCK_MS, nx=True))

    async def flush(self) -> None:
        rt = self._rt
        for show in list(self._sales):
            if await self._turn(show, "sales"):
                self._sales.discard(show)
                figures = await sales.sales_figures(rt.r, show)
                await rt.publish(show, hub.SALES, figures)  # the recorder first
                await rt.emit("sales", figures, room=rt.show_room(show))
        for show in list(self._viewers):
            if await self._turn(show, "viewers"):
                self._viewers.discard(show)
                count = await catalog.viewer_count(rt.r, show)
                await rt.emit("viewers", {"count": count}, room=rt.show_room(show))
        if self._tallies:
            tallies, self._tallies = self._tallies, {}
            async with rt.r.pipeline(transaction=False) as p:
                for show, tally in tallies.items():
                    report.tally_in(p, show, tally)
                await p.execute()
        if self._reactions:
            counted, self._reactions = self._reactions, {}
            async with rt.r.pipeline(transaction=False) as p:
                for show, counts in counted.items():
                    for kind, n in counts.items():
                        p.hincrby(keys.reactions(show), kind, n)
                    report.count_in(p, show, "hearts", sum(counts.values()))  # show report
                await p.execute()
            self._reactions_pending.update(counted)
        for show in list(self._reactions_pending):
            if await self._turn(show, "reactions"):
                self._reactions_pending.discard(show)
                async with rt.r.pipeline(transaction=True) as tx:
                    tx.hgetall(keys.reactions(show))
                    tx.delete(keys.reactions(show))
                    counts, _ = await tx.execute()
                counts = {kind: int(n) for kind, n in counts.items() if int(n) > 0}
                if counts:
                    await rt.emit("reactions", counts, room=rt.show_room(show))
