"""Redis connections: an external ``REDIS_URL`` or the embedded server's socket."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as aioredis
from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..config import mask_url
from .embedded import EmbeddedRedis
from .errors import RedisUnavailable

MAX_CONNECTIONS = 64
POOL_TIMEOUT = 10  # seconds a command waits for a free connection
# a Redis that accepts but does not answer (SIGSTOPped, swapping) fails a command after
# this long on the wire (redis.exceptions.TimeoutError) instead of holding the request
# forever. Blocking commands must block for less (XREADGROUP BLOCK 2000 is fine).
COMMAND_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2


@asynccontextmanager
async def _deadline(what: str):
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            yield
    except TimeoutError:
        raise RedisTimeoutError(f"Redis did not answer {what} in {COMMAND_TIMEOUT:g} s") from None


class _Deadline:
    """Bounds a connection's writes and its reads that have no timeout of their own.

    Instead of redis-py's ``socket_timeout``, which bounds writes with
    ``asyncio.wait_for``: on Python 3.11 that can swallow the cancellation of the task
    sending (a loop stopped while it writes to Redis would never stop). Time spent
    waiting for a free connection in the pool is not counted (``POOL_TIMEOUT``).
    """

    async def send_packed_command(self, command, check_health: bool = True) -> None:
        async with _deadline("a write"):
            await super().send_packed_command(command, check_health)

    async def read_response(self, disable_decoding: bool = False, timeout=None, **kwargs):
        if timeout is not None:  # pub/sub reads carry their own
            return await super().read_response(disable_decoding, timeout, **kwargs)
        async with _deadline("a command"):
            return await super().read_response(disable_decoding, timeout, **kwargs)


class Connection(_Deadline, aioredis.Connection):
    pass


class UnixDomainSocketConnection(_Deadline, aioredis.UnixDomainSocketConnection):
    pass


class SSLConnection(_Deadline, aioredis.SSLConnection):
    pass


_BOUNDED = {
    aioredis.Connection: Connection,
    aioredis.UnixDomainSocketConnection: UnixDomainSocketConnection,
    aioredis.SSLConnection: SSLConnection,
}


def connect(url: str, **kwargs) -> aioredis.Redis:
    """An asyncio client answering str (``decode_responses``), commands bounded in time.

    The pool blocks when all its connections are busy: redis-py's default pool raises
    ``MaxConnectionsError`` past 100 concurrent commands (a burst of buys would fail).
    """
    kwargs.setdefault("decode_responses", True)
    kwargs.setdefault("health_check_interval", 30)
    kwargs.setdefault("max_connections", MAX_CONNECTIONS)
    kwargs.setdefault("timeout", POOL_TIMEOUT)
    kwargs.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
    kwargs["socket_timeout"] = None  # redis-py 8 defaults to 5 s: see _Deadline
    options = {**kwargs, **parse_url(url)}
    connection_class = options.get("connection_class", aioredis.Connection)
    options["connection_class"] = _BOUNDED.get(connection_class, connection_class)
    return aioredis.Redis.from_pool(aioredis.BlockingConnectionPool(**options))


async def check(r: aioredis.Redis, url: str) -> None:
    try:
        await r.ping()
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise RedisUnavailable(
            f"cannot reach Redis at {mask_url(url)}: {mask_url(str(exc))}"
        ) from None


@asynccontextmanager
async def open_store(redis_url: str | None, data_dir: Path):
    """A client for one-shot commands: REDIS_URL, the running server's embedded Redis,
    or an embedded Redis started for the command and stopped after it."""
    embedded = None
    if redis_url is None:
        embedded = EmbeddedRedis(data_dir)
        if embedded.try_lock():
            redis_url = await asyncio.get_running_loop().run_in_executor(None, embedded.start)
        else:
            redis_url, embedded = embedded.url, None  # a livecast serve owns it: share it
    r = connect(redis_url)
    try:
        await check(r, redis_url)
        yield r
    finally:
        await r.aclose()
        if embedded is not None:
            await asyncio.get_running_loop().run_in_executor(None, embedded.stop)
