"""Coalesced broadcasts: chat, sales figures, viewer counts and reactions go out at most
``1 / PERIOD`` times a second per show, whatever the number of messages, buys, joins or
hearts.

Chat goes out as ``chat:batch {messages}``: the process holding the show's turn takes
every message appended since the last batch (by any process) from the chat stream. When
more than ``SAMPLE_ABOVE`` messages arrived in the last second, the viewers' batch is a
sample (every host/moderator message plus at most ``SAMPLE_PER_BATCH`` viewers'
messages, evenly spread); moderators and the host get every message, and a viewer whose
message was left out of the sample gets it in a batch of their own.

Each process marks shows dirty; every PERIOD a flusher sends what changed. A short Redis
lock per show and kind (``keys.throttle``) makes the rate hold across processes too.

In a big room the counters (sales, viewers, reactions) go out less often
(:func:`counter_period`): every frame goes to every viewer, and a sold counter that
moves 4 times a second in front of 2,000 people still climbs, for a fraction of the
frames. Chat keeps its 10 batches a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING

from .. import hub
from ..outage import LoopFaults
from ..store import catalog, keys, report, sales
from ..store import chat as chat_store

if TYPE_CHECKING:
    from .plane import Realtime

log = logging.getLogger(__name__)

PERIOD = 0.1
LOCK_MS = 95
SAMPLE_WINDOW_MS = 1000
SAMPLE_ABOVE = 100  # messages in the last second beyond which viewers see a sample
SAMPLE_PER_BATCH = 10  # viewers' messages per sampled batch (~100/s at 10 batches/s)
STAFF_ROLES = ("host", "moderator")
# audience above which the counters go out every so many seconds (the biggest first)
COUNTER_PERIODS = ((1000, 0.5), (300, 0.25))
AUDIENCE_EVERY = 2.0  # seconds a process goes by its last count of a show's viewers


def counter_period(audience: int) -> float:
    """Seconds between two broadcasts of a counter to an audience of that size."""
    for above, period in COUNTER_PERIODS:
        if audience > above:
            return period
    return PERIOD


def sample(messages: list[dict], limit: int) -> tuple[list[dict], list[dict]]:
    """(shown, left out): every staff message, and at most ``limit`` of the others spread
    evenly over the batch; both in stream order."""
    others = [i for i, m in enumerate(messages) if m["user"]["role"] not in STAFF_ROLES]
    if len(others) <= limit:
        return list(messages), []
    step = len(others) / limit if limit > 0 else 0
    keep = {others[int(k * step + step / 2)] for k in range(limit)}
    shown, left_out = [], []
    for i, m in enumerate(messages):
        staff = m["user"]["role"] in STAFF_ROLES
        (shown if staff or i in keep else left_out).append(m)
    return shown, left_out


class Broadcasts:
    def __init__(self, rt: Realtime):
        self._rt = rt
        self._chat: set[str] = set()
        self._sales: set[str] = set()
        self._viewers: set[str] = set()
        self._reactions: dict[str, Counter] = {}
        self._reactions_pending: set[str] = set()
        self._tallies: dict[str, report.Tally] = {}  # the show report's chat and buys
        # viewers of each show at its last count, and when (every process counts)
        self._audience: dict[str, tuple[int, float]] = {}
        self._task: asyncio.Task | None = None
        self._chat_task: asyncio.Task | None = None
        self._stopping = False
        self.started = asyncio.Event()
        self.exited = asyncio.Event()
        self._faults = LoopFaults("coalesced broadcasts", log)

    def chat_added(self, show: str) -> None:
        """A message was appended to ``show``'s chat: it goes out in the next batch."""
        self._chat.add(show)

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
        # chat has its own loop: its batches do not wait behind the counters' round trips
        self._chat_task = asyncio.create_task(self._run(self.flush_chats))

    async def stop(self) -> None:
        # the flag ends the loop even if a library swallows the cancellation mid-flush
        self._stopping = True
        tasks = [t for t in (self._task, self._chat_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = self._chat_task = None

    async def _run(self, flush=None) -> None:
        flush = flush or self.flush
        self.started.set()
        try:
            while not self._stopping:
                await asyncio.sleep(PERIOD)
                try:
                    await flush()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._faults.failed(exc)  # a traceback, or one line while Redis is down
                else:
                    self._faults.ok()
        finally:
            self.exited.set()

    async def flush_chats(self) -> None:
        for show in list(self._chat):
            await self.flush_chat(show)

    async def flush_chat(self, show: str) -> None:
        """Send ``show``'s new messages as one ``chat:batch`` if it is this process's turn
        (one Redis round trip decides and takes them)."""
        rt = self._rt
        self._chat.discard(show)  # before the await: a message added meanwhile marks it again
        try:
            taken = await chat_store.take_batch(
                rt.r, show, window_ms=SAMPLE_WINDOW_MS, recent_cap=SAMPLE_ABOVE + 1, turn_ms=LOCK_MS
            )
        except BaseException:
            self._chat.add(show)  # Redis down: try again next period
            raise
        if taken is None:  # another process's turn: it sends them, or we do next time
            self._chat.add(show)
            return
        messages, recent = taken
        if not messages:
            return
        if recent <= SAMPLE_ABOVE:
            await rt.emit("chat:batch", {"messages": messages}, room=rt.show_room(show))
            return
        shown, left_out = sample(messages, SAMPLE_PER_BATCH)
        rt.metrics.chat_sampled_out.inc(len(left_out))
        await rt.emit("chat:batch", {"messages": messages}, room=rt.mods_room(show))
        await rt.emit("chat:batch", {"messages": shown}, room=rt.audience_room(show))
        own: dict[str, list[dict]] = {}
        for m in left_out:  # a sender always sees their own message
            own.setdefault(m["user"]["id"], []).append(m)
        for user, mine in own.items():
            await rt.emit("chat:batch", {"messages": mine}, room=rt.user_room(show, user))

    async def _audience_of(self, show: str) -> int:
        """The show's viewers, counted at most every AUDIENCE_EVERY seconds."""
        count, at = self._audience.get(show, (0, -AUDIENCE_EVERY))
        now = time.monotonic()
        if now - at >= AUDIENCE_EVERY:
            count = await catalog.viewer_count(self._rt.r, show)
            self._audience[show] = (count, now)
        return count

    async def _turn(self, show: str, what: str) -> bool:
        """True if this process may broadcast ``what`` for ``show`` in this period."""
        period = counter_period(await self._audience_of(show))
        px = LOCK_MS if period <= PERIOD else int(period * 1000) - (PERIOD * 1000 - LOCK_MS)
        return bool(await self._rt.r.set(keys.throttle(show, what), 1, px=int(px), nx=True))

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
                self._audience[show] = (count, time.monotonic())
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
