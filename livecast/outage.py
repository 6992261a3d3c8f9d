"""Redis faults: which errors mean "the store is unavailable", and the up/down state.

Every plane lets Redis errors propagate; the HTTP errors middleware (``app.py``) turns
them into ``503 {"error": "unavailable"}`` with ``Retry-After`` and tells
:class:`RedisHealth`, which logs one line when Redis goes away and one when it is back
(never a traceback per request, never the server's address) and counts both in
``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from aiohttp import web
from redis import exceptions as rx

from .errors import error_response
from .metrics import Metrics
from .store.errors import RedisUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER = 2  # seconds, the Retry-After of a 503
UNAVAILABLE = "unavailable"
UNAVAILABLE_MESSAGE = "the store is unavailable for a moment; try again shortly"
PROBE_INTERVAL = 1.0  # seconds between PINGs while Redis is down

# replies that mean "not now" rather than "wrong command"
_TRANSIENT_REPLIES = ("LOADING", "MISCONF", "MASTERDOWN", "NOREPLICAS", "BUSY ", "TRYAGAIN")
_TRANSIENT_CLASSES = (
    rx.ConnectionError,  # also BusyLoadingError, MaxConnectionsError, AuthenticationError
    rx.TimeoutError,
    rx.ReadOnlyError,
    rx.OutOfMemoryError,
    rx.TryAgainError,
    rx.ClusterDownError,
    RedisUnavailable,
)


def _raised_in_redis_py(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module == "redis" or module.startswith("redis."):
            return True
        tb = tb.tb_next
    return False


def is_redis_error(exc: BaseException) -> bool:
    """True when ``exc`` means Redis cannot answer now (down, stopped, loading, full...)."""
    if isinstance(exc, _TRANSIENT_CLASSES):
        return True
    if isinstance(exc, rx.ResponseError):
        return str(exc).startswith(_TRANSIENT_REPLIES)
    # a socket error from the pool that redis-py did not wrap (an OSError elsewhere,
    # such as a missing recording file, is not a Redis fault)
    return isinstance(exc, OSError) and _raised_in_redis_py(exc)


def describe(exc: BaseException) -> str:
    """A reason without the server's address: ``ConnectionError (Connection refused)``.

    Built from the exception's class and errno only: redis-py's and asyncio's messages
    carry the host, port or socket path.
    """
    name = type(exc).__name__
    cause: BaseException | None = exc
    for _ in range(5):
        if cause is None:
            break
        if isinstance(cause, OSError) and cause.errno:
            return f"{name} ({os.strerror(cause.errno)})"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, rx.ResponseError):
        return f"{name} ({str(exc).split(' ', 1)[0]})"  # the reply's code word only
    if isinstance(exc, rx.TimeoutError | TimeoutError):
        return f"{name} (no answer in time)"
    return name


def unavailable_response() -> web.Response:
    return error_response(503, UNAVAILABLE, UNAVAILABLE_MESSAGE, {"Retry-After": str(RETRY_AFTER)})


class RedisHealth:
    """Whether this process sees Redis, as learnt from failures and a probe while down.

    ``failed`` and ``ok`` are cheap and idempotent: only a change of state logs a line.
    ``fatal`` holds the reason livecast must exit (the embedded Redis cannot be kept up).
    """

    def __init__(self, metrics: Metrics):
        self._metrics = metrics
        self.up = True
        self.fatal: str | None = None
        self._since = time.monotonic()
        self._r = None
        self._probe: asyncio.Task | None = None
        metrics.redis_up.set(1)

    def attach(self, r) -> None:
        """The client to probe with while Redis is down (``redis_ctx``)."""
        self._r = r

    def failed(self, exc: BaseException, where: str) -> None:
        self._metrics.redis_errors.labels(where).inc()
        if not self.up:
            return
        self.up = False
        self._since = time.monotonic()
        self._metrics.redis_up.set(0)
        self._metrics.redis_outages.inc()
        log.warning(
            "Redis unavailable (%s, seen on %s): answering 503 until it is back",
            describe(exc),
            where,
        )
        if self._r is not None and self._probe is None:
            self._probe = asyncio.get_running_loop().create_task(self._watch())

    def ok(self) -> None:
        if self.up:
            return
        self.up = True
        self._metrics.redis_up.set(1)
        log.warning("Redis is back after %.1f s", time.monotonic() - self._since)

    async def _watch(self) -> None:
        try:
            while not self.up:
                await asyncio.sleep(PROBE_INTERVAL)
                try:
                    await asyncio.wait_for(self._r.ping(), PROBE_INTERVAL * 5)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    continue
                self.ok()
        finally:
            self._probe = None

    async def stop(self) -> None:
        """Cancel the probe, then wait for it. Safe to call twice."""
        task, self._probe = self._probe, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class LoopFaults:
    """For a background loop that talks to Redis: one log line when Redis starts failing
    it, one when it works again, a count in ``livecast_redis_errors{where=name}``; any
    other error keeps its traceback."""

    def __init__(self, name: str, logger: logging.Logger, metrics: Metrics | None = None):
        self.name = name
        self._log = logger
        self._metrics = metrics
        self._since: float | None = None

    @property
    def failing(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        if not is_redis_error(exc):
            self._log.error("%s failed", self.name, exc_info=exc)
            return
        if self._metrics is not None:
            self._metrics.redis_errors.labels(self.name).inc()
        if self._since is None:
            self._since = time.monotonic()
            self._log.warning("%s paused: Redis unavailable (%s)", self.name, describe(exc))

    def ok(self) -> None:
        if self._since is not None:
            self._log.warning(
                "%s resumed: Redis back after %.1f s", self.name, time.monotonic() - self._since
            )
            self._since = None
