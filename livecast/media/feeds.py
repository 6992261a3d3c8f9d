"""Feeds: a show's frames for this process's viewers when its host is elsewhere.

The process holding a show's host renews the host's lease in Redis with its process id
(store/host_lease.py); every process publishes its card (livecast/node.py). A process
with viewers of a show whose host it does not hold connects ONE feed for the show:

- from a process of the same node (``serve --workers``): the frames as packetized once
  by the host's process, over unix datagrams (media/worker_link.py);
- from another node: a WHEP session to that node's URL, whose frames are forwarded here
  like a host's (media/edge.py). One process of the node holds it (a lease in Redis,
  ``keys.edge``); the node's other processes take the frames from that process like from
  a host's, so each node subscribes once per show.

:class:`Feeds` keeps them right: before a viewer's answer (the codec must be known), and
every ``CHECK_EVERY`` seconds (the host moved, went live, or the feed broke). A feed
without viewers closes after ``IDLE_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from redis.exceptions import RedisError

from ..appkeys import PROCESS_CARD, REDIS
from ..node import Card
from ..outage import describe
from ..store import host_lease, keys, processes
from .worker_link import Links, WorkerFeed

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0
IDLE_SECONDS = 5.0
START_TIMEOUT = 10.0


EDGE_LEASE = 6  # seconds; renewed every check while this process holds the edge


class Feed(Protocol):
    owner: str  # the process the frames come from
    origin: str  # the process holding the host (owner, or behind the node's edge)
    private: bool  # a rehearsal: frames for the host's own players only
    video_codec: str | None  # known once start() returned
    closed: bool

    async def start(self) -> None: ...

    async def request_keyframe(self) -> bool: ...

    async def close(self) -> None: ...


class Feeds:
    def __init__(self, plane) -> None:
        self.plane = plane
        self._idle_since: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.links = Links(plane)  # this node's other processes (media/worker_link.py)

    @property
    def card(self) -> Card:
        return self.plane.app[PROCESS_CARD]

    async def owner(self, show: str) -> tuple[str | None, bool]:
        """The process holding the show's host if its host is on air, and whether that is
        a private rehearsal (only the host's own players get its frames)."""
        r = self.plane.app[REDIS]
        record = await host_lease.read(r, show)
        if record is not None and record.get("state") == "connected":
            return record.get("owner"), False
        rehearsing = await host_lease.rehearsal_owner(r, show)
        return rehearsing, rehearsing is not None

    async def ensure(self, relay) -> None:
        """Connect (or fix) the show's feed if its host is in another process."""
        lock = self._locks.setdefault(relay.show, asyncio.Lock())
        async with lock:
            await self._ensure(relay)

    async def _ensure(self, relay) -> None:
        if relay.host is not None:
            await self.drop(relay)
            return
        try:
            owner, private = await self.owner(relay.show)
        except (RedisError, OSError) as exc:
            log.warning("cannot find the host of %s: %s", relay.show, describe(exc))
            return
        feed = relay.feed
        if feed is not None and not feed.closed and (feed.origin, feed.private) == (owner, private):
            return
        await self.drop(relay)
        if owner is None or owner == self.plane.process_id:
            return
        r = self.plane.app[REDIS]
        data = await processes.card(r, owner)
        if data is None:
            return  # that process is gone: its host comes back somewhere, or the show ends
        card = Card.from_dict(owner, data)
        if card.node != self.card.node:
            if private:
                return  # a rehearsal stays on its node (an edge is not the host's own player)
            card = await self._edge_source(relay.show, card)
            if card is None:
                return
        feed = self._make(relay, card)
        feed.origin = owner
        feed.private = private
        try:
            await asyncio.wait_for(feed.start(), START_TIMEOUT)
        except Exception as exc:  # unreachable, refused: tried again on the next check
            log.warning("no feed of %s from %s: %r", relay.show, owner, exc)
            await feed.close()
            return
        if relay.host is not None:  # a host went live here meanwhile: it feeds the show
            await feed.close()
            return
        relay.feed = feed
        relay.private = private  # a rehearsal's frames go to the host's players only
        log.info("feeding %s from process %s (%s)", relay.show, owner,
                 "same node" if card.node == self.card.node else card.url)  # fmt: skip
        if feed.video_codec:
            relay.video_codec = feed.video_codec
        for viewer in list(relay.viewers):  # a new source: resume at its next keyframe
            viewer.host_changed(relay.video_codec)

    async def _edge_source(self, show: str, origin: Card) -> Card | None:
        """Where this process gets a show hosted on another node: ``origin`` itself if it
        holds (or takes) the node's edge lease, else the process of this node that holds
        it (None: that process is gone; its lease lapses, and a later check takes it)."""
        r, me = self.plane.app[REDIS], self.plane.process_id
        key = keys.edge(show, self.card.node)
        holder = await r.set(key, me, ex=EDGE_LEASE, nx=True) and me or await r.get(key)
        if holder in (None, me):
            await r.set(key, me, ex=EDGE_LEASE)
            return origin
        data = await processes.card(r, holder)
        return Card.from_dict(holder, data) if data is not None else None

    async def _renew_edges(self) -> None:
        r, me = self.plane.app[REDIS], self.plane.process_id
        for relay in list(self.plane.relays.values()):
            if relay.feed is not None and getattr(relay.feed, "edge", False):
                await r.set(keys.edge(relay.show, self.card.node), me, ex=EDGE_LEASE)

    def _make(self, relay, card: Card) -> Feed:
        if card.node == self.card.node:
            return WorkerFeed(self.plane, relay, card)
        from .edge import EdgeFeed

        return EdgeFeed(self.plane, relay, card)

    async def drop(self, relay) -> None:
        feed, relay.feed = relay.feed, None
        if feed is not None:
            if relay.host is None:
                relay.private = False
            if getattr(feed, "edge", False):
                self.links.host_left(relay)  # the node's processes fed from it look again
                await self._release_edge(relay.show)
            await feed.close()

    async def _release_edge(self, show: str) -> None:
        r, key = self.plane.app[REDIS], keys.edge(show, self.card.node)
        try:
            if await r.get(key) == self.plane.process_id:
                await r.delete(key)
        except (RedisError, OSError):
            pass  # the lease lapses by itself

    async def check(self) -> None:
        """One pass over the shows this process has viewers of, or a feed for."""
        now = time.monotonic()
        for relay in list(self.plane.relays.values()):
            if relay.viewers:
                self._idle_since.pop(relay.show, None)
                if relay.host is None:
                    await self.ensure(relay)
            elif relay.feed is not None and not relay.remote:
                since = self._idle_since.setdefault(relay.show, now)
                if now - since >= IDLE_SECONDS:
                    self._idle_since.pop(relay.show, None)
                    await self.drop(relay)
                    await self.plane._forget_if_idle(relay.show)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await self._renew_edges()
                await self.check()
            except (RedisError, OSError) as exc:
                log.warning("feed check failed: %s", describe(exc))

    async def close(self) -> None:
        for relay in list(self.plane.relays.values()):
            await self.drop(relay)
        await self.links.close()
