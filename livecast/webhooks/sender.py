"""The webhook sender: reads the outbox with a consumer group and POSTs each event, in
order per key, while this process holds the delivery lease (one sender in a cluster)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable

import aiohttp
from redis.exceptions import RedisError, ResponseError

from .. import __version__
from ..config import Settings
from ..metrics import Metrics
from ..outage import describe
from ..store import keys
from . import deliveries
from .events import Event, MalformedEntry
from .lease import Lease
from .retry import RetryPolicy
from .signing import EVENT_ID_HEADER, HEADER, sign

log = logging.getLogger(__name__)

DESTINATION_TTL = 1.0  # seconds a show's "has a webhook URL" answer is reused

BATCH = 100  # entries read or claimed per Redis call
BLOCK_MS = 2000  # XREADGROUP waits this long for new entries
IDLE_POLL = 1.0  # seconds between looks for an outbox while there is none
REDIS_SLOTS = 4  # events whose records are being read or written at once


class Attempts:
    """Where one event's delivery stands: attempts made, first and next attempt (seconds)."""

    def __init__(self):
        self.count = 0
        self.first_at: float | None = None
        self.next_at = 0.0
        self.last_error = ""

    def resume(self, record: dict, event: Event) -> None:
        """Go on from the record a previous leader left for this very outbox entry."""
        if record.get("status") != "pending" or record.get("entry") != event.entry:
            return
        self.count = int(record.get("attempts") or 0)
        self.last_error = record.get("last_error") or ""
        if record.get("first_at"):
            self.first_at = int(record["first_at"]) / 1000
        if record.get("next_at"):
            self.next_at = int(record["next_at"]) / 1000


class LeaseLost(Exception):
    """Another process holds the delivery lease, or this one could not renew it in time."""


def ms(seconds: float) -> int:
    return int(seconds * 1000)


class WebhookSender:
    """Delivers the outbox: at least once, in order per ``key``, retried with backoff.

    Every process runs one; the one holding the lease delivers (several keys at once,
    one event at a time per key), the others wait to take over. ``clock`` (seconds since
    the epoch), ``timeout``, ``policy`` and ``lease_ttl`` are there for tests.
    """

    def __init__(
        self,
        r,
        settings: Settings,
        metrics: Metrics | None = None,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        policy: RetryPolicy | None = None,
        lease_ttl: float = 10.0,
        reconnect: tuple[float, float] = (0.5, 30.0),
        concurrency: int = 16,
        max_held: int = 1000,
    ):
        self._r = r
        self._settings = settings
        self._metrics = metrics or Metrics()
        self._clock = clock
        self._timeout = timeout
        self.policy = policy or RetryPolicy()
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lease = Lease(r, self.consumer, lease_ttl)
        self._reconnect = reconnect
        # a burst of events must not take every connection of the Redis pool the buys need
        self._redis_slots = asyncio.Semaphore(REDIS_SLOTS)
        self._destinations: dict[str, tuple[float, bool]] = {}  # show -> (until, has URL)
        self._http_slots = asyncio.Semaphore(concurrency)
        self._max_held = max_held
        self._queues: dict[str, deque[Event]] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._held = 0
        self._room = asyncio.Event()
        self._failure: asyncio.Future | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None
        self._redis_down = False
        self._leading = False
        # loops also end on these flags, in case a cancellation gets swallowed on the way
        self._stopping = False
        self._halted = True
        self._warned_unsigned = False
        self.started = asyncio.Event()
        self.exited = asyncio.Event()

    @property
    def leading(self) -> bool:
        """True while this process delivers."""
        return self._leading

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self._timeout),
            headers={"User-Agent": f"livecast/{__version__} webhooks"},
        )
        self._task = asyncio.create_task(self._run(), name="webhook sender")

    async def stop(self) -> None:
        """Cancel the loop and wait for it (in-flight events stay pending, unacknowledged),
        hand the lease back, close the HTTP client. Safe to call twice."""
        self._stopping = self._halted = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if self._lease.valid:
                try:
                    async with asyncio.timeout(1.0):
                        await self._lease.release()
                except (RedisError, OSError, TimeoutError):
                    pass  # it lapses by itself within lease_ttl
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # supervision: reconnect with backoff, one log line per state change
    async def _run(self) -> None:
        self.started.set()
        pause = self._reconnect[0]
        try:
            while not self._stopping:
                try:
                    # nothing is written to Redis until there is an outbox to deliver
                    outbox = await self._r.exists(keys.OUTBOX)
                    if outbox and await self._lease.claim():
                        self._redis_up()
                        pause = self._reconnect[0]
                        await self._lead()  # until the lease is lost or Redis fails
                    self._redis_up()
                    await asyncio.sleep(self._lease.ttl / 3 if outbox else IDLE_POLL)
                    continue
                except (RedisError, OSError, TimeoutError) as exc:
                    self._redis_fails(exc)
                except LeaseLost as exc:
                    log.warning("webhook sender: stopped delivering (%s)", exc)
                except Exception:
                    log.exception("webhook sender failed; starting over")
                await asyncio.sleep(pause)
                pause = min(pause * 2, self._reconnect[1])
        finally:
            self._set_leading(False)
            self.exited.set()

    def _redis_fails(self, exc: BaseException) -> None:
        self._metrics.redis_errors.labels("webhooks").inc()
        if not self._redis_down:
            self._redis_down = True
            log.warning("webhook sender paused by Redis (%s); retrying with backoff", describe(exc))

    def _redis_up(self) -> None:
        if self._redis_down:
            self._redis_down = False
            self._metrics.redis_reconnects.labels("webhooks").inc()
            log.info("webhook sender: Redis reachable again")

    def _set_leading(self, leading: bool) -> None:
        if leading and not self._leading:
            log.info("webhook sender: delivering from this process (%s)", self.consumer)
        self._leading = leading
        self._metrics.webhook_leader.set(1 if leading else 0)

    # leading: the lease keeper, the reader and one worker per key with events
    async def _lead(self) -> None:
        self._failure = asyncio.get_running_loop().create_future()
        self._halted = False
        tasks: list[asyncio.Task] = []
        try:
            await self._ensure_group()
            self._set_leading(True)
            tasks = [asyncio.create_task(self._keep_lease()), asyncio.create_task(self._read())]
            done, _ = await asyncio.wait(
                [*tasks, self._failure], return_when=asyncio.FIRST_COMPLETED
            )
            for finished in done:
                finished.result()
        finally:
            self._halted = True
            self._set_leading(False)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._drop_queues()
            failure, self._failure = self._failure, None
            if failure.done() and not failure.cancelled():
                failure.exception()  # retrieved: raised above, or lost in the teardown
            failure.cancel()

    async def _ensure_group(self) -> None:
        try:
            await self._r.xgroup_create(keys.OUTBOX, keys.OUTBOX_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _keep_lease(self) -> None:
        while not self._halted:
            await asyncio.sleep(self._lease.ttl / 4)
            try:
                async with asyncio.timeout(max(self._lease.remaining, 0.01)):
                    held = await self._lease.claim()
            except (RedisError, OSError, TimeoutError):
                if self._lease.valid:
                    continue  # try again while the lease still runs
                raise
            if not held:
                raise LeaseLost("another process holds the delivery lease")

    async def _read(self) -> None:
        # first what earlier leaders (or this process, before a failure) read and left pending
        start, claimed, deleted = "0-0", set(), False
        while not self._halted:
            await self._wait_for_room()
            reply = await self._r.xautoclaim(
                keys.OUTBOX, keys.OUTBOX_GROUP, self.consumer, 0, start_id=start, count=BATCH
            )
            start = reply[0]
            claimed.update(entry for entry, _ in reply[1] if entry)
            deleted = deleted or any(entry is None for entry, _ in reply[1])
            await self._dispatch(reply[1], claimed=True)
            if start == "0-0":
                break
        if deleted:
            await self._ack_deleted(claimed)
        await self._forget_idle_consumers()
        while not self._halted:
            await self._wait_for_room()
            reply = await self._r.xreadgroup(
                keys.OUTBOX_GROUP, self.consumer, {keys.OUTBOX: ">"}, count=BATCH, block=BLOCK_MS
            )
            for _stream, entries in reply or []:  # RESP2, as store.connect() speaks
                await self._dispatch(entries)

    async def _ack_deleted(self, claimed: set[str]) -> None:
        """Entries deleted while pending (``orders purge`` trims the outbox): Redis 7 drops
        them from the pending list itself, Redis 6.2 claims them without their id."""
        start = "-"
        while True:
            page = await self._r.xpending_range(
                keys.OUTBOX,
                keys.OUTBOX_GROUP,
                min=start,
                max="+",
                count=BATCH,
                consumername=self.consumer,
            )
            gone = [p["message_id"] for p in page if p["message_id"] not in claimed]
            if gone:
                await self._r.xack(keys.OUTBOX, keys.OUTBOX_GROUP, *gone)
            if len(page) < BATCH:
                return
            start = "(" + page[-1]["message_id"]

    async def _forget_idle_consumers(self) -> None:
        """Consumers left by stopped processes (only the leader reads; theirs are claimed)."""
        for consumer in await self._r.xinfo_consumers(keys.OUTBOX, keys.OUTBOX_GROUP):
            if consumer["name"] != self.consumer and consumer["pending"] == 0:
                await self._r.xgroup_delconsumer(keys.OUTBOX, keys.OUTBOX_GROUP, consumer["name"])

    async def _wait_for_room(self) -> None:
        while self._held >= self._max_held and not self._halted:
            self._room.clear()
            await self._room.wait()

    async def _dispatch(self, entries, *, claimed: bool = False) -> None:
        nowhere = []
        for entry, fields in entries:
            if not fields:
                continue  # deleted while pending
            event = Event.from_entry(entry, fields, claimed=claimed)
            if event.key not in self._queues and not await self._has_destination(event.show):
                nowhere.append(event)  # no URL: nothing to send, nothing to keep
                continue
            self._queues.setdefault(event.key, deque()).append(event)
            self._held += 1
            if event.key not in self._workers:
                self._workers[event.key] = asyncio.create_task(self._work(event.key))
        self._metrics.webhook_backlog.set(self._held)
        if nowhere:
            async with self._redis_slots:
                await deliveries.discard(self._r, [event.entry for event in nowhere])
            self._metrics.webhook_deliveries.labels("skipped").inc(len(nowhere))

    async def _has_destination(self, show: str) -> bool:
        """Whether the show's events go anywhere; looked up at most once a second per show
        (thousands of order events a second must not cost a lookup each)."""
        now = time.monotonic()
        cached = self._destinations.get(show)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._redis_slots:
            found = await deliveries.destination(self._r, self._settings, show) is not None
        if len(self._destinations) > 10_000:
            self._destinations.clear()
        self._destinations[show] = (now + DESTINATION_TTL, found)
        return found

    async def _drop_queues(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        self._held = 0
        self._metrics.webhook_backlog.set(0)
        self._room.set()

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                if self._halted:
                    raise LeaseLost("this lead has ended")
                await self._deliver(queue[0])
                queue.popleft()
                self._held -= 1
                self._metrics.webhook_backlog.set(self._held)
                self._room.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # ends this lead: everything restarts from the pending list
            if self._failure is not None and not self._failure.done():
                self._failure.set_exception(exc)
            return
        del self._workers[key]
        del self._queues[key]

    # one event: try until a 2xx, a skip or the end of the retry window
    async def _deliver(self, event: Event) -> None:
        state = Attempts()
        if event.claimed:  # maybe tried before a restart: go on from its record
            async with self._redis_slots:
                state.resume(await deliveries.load(self._r, event), event)
        try:
            body = event.body()
        except MalformedEntry as exc:
            async with self._redis_slots:
                await self._settle(event, "failed", attempts=state.count, last_error=str(exc))
            return
        while True:
            await self._sleep_until(state.next_at)
            if self._halted or not self._lease.valid:
                raise LeaseLost("the delivery lease ended")
            if await self._attempt(event, body, state):
                return

    async def _attempt(self, event: Event, body: bytes, state: Attempts) -> bool:
        """One attempt; True once the event is settled (delivered, skipped or failed)."""
        async with self._redis_slots:
            target = await deliveries.destination(self._r, self._settings, event.show)
            if target is None:
                await self._settle(event, "skipped", attempts=state.count)
                return True
        async with self._http_slots:
            if self._halted or not self._lease.valid:
                raise LeaseLost("the delivery lease ended")
            state.count += 1
            if state.first_at is None:
                state.first_at = self._clock()
            error = await self._post(target, event, body)
        now = self._clock()
        async with self._redis_slots:
            return await self._record(event, state, error, now, target.host)

    async def _record(
        self, event: Event, state: Attempts, error: str | None, now: float, host: str
    ) -> bool:
        assert state.first_at is not None
        done = dict(attempts=state.count, first_at=ms(state.first_at), host=host)
        if error is None:  # the error of the attempt before, if any, stays on record
            await self._settle(event, "delivered", last_error=state.last_error, **done)
            return True
        state.last_error = error
        retry_at = self.policy.next_at(now, state.first_at, state.count)
        if retry_at is None:
            await self._settle(event, "failed", last_error=error, **done)
            log.warning(
                "webhook %s (%s) to %s given up after %d attempts: %s",
                event.id,
                event.type,
                host,
                state.count,
                error,
            )
            return True
        await deliveries.retrying(self._r, event, next_at=ms(retry_at), last_error=error, **done)
        self._metrics.webhook_deliveries.labels("retried").inc()
        state.next_at = retry_at
        return False

    async def _settle(self, event: Event, status: str, **fields) -> None:
        await deliveries.settle(self._r, event, status, at=ms(self._clock()), **fields)
        self._metrics.webhook_deliveries.labels(status).inc()

    async def _sleep_until(self, at: float) -> None:
        # in slices, so a clock that jumps (tests) is noticed
        while (left := at - self._clock()) > 0 and not self._halted:
            await asyncio.sleep(min(left, 1.0))

    async def _post(self, target: deliveries.Destination, event: Event, body: bytes) -> str | None:
        """None on a 2xx; else what went wrong (status code or error class, never the URL)."""
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: event.id}
        if target.secret:
            headers[HEADER] = sign(target.secret, body, int(self._clock()))
        elif not self._warned_unsigned:
            self._warned_unsigned = True
            log.warning("webhooks to %s go unsigned: set LIVECAST_WEBHOOK_SECRET", target.host)
        assert self._session is not None
        try:
            async with self._session.post(
                target.url, data=body, headers=headers, allow_redirects=False
            ) as res:
                return None if 200 <= res.status < 300 else f"HTTP {res.status}"
        except TimeoutError:
            return "timeout"
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            return type(exc).__name__
