"""Redis connections: an external ``REDIS_URL`` or the embedded server's socket."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .embedded import EmbeddedRedis
from .errors import RedisUnavailable

MAX_CONNECTIONS = 64
POOL_TIMEOUT = 10  # seconds a command waits for a free connection


def connect(url: str, **kwargs) -> aioredis.Redis:
    """An asyncio client answering str (``decode_responses``).

    The pool blocks when all its connections are busy: redis-py's default pool raises
    ``MaxConnectionsError`` past 100 concurrent commands (a burst of buys would fail).
    """
    kwargs.setdefault("decode_responses", True)
    kwargs.setdefault("health_check_interval", 30)
    kwargs.setdefault("max_connections", MAX_CONNECTIONS)
    kwargs.setdefault("timeout", POOL_TIMEOUT)
    pool = aioredis.BlockingConnectionPool.from_url(url, **kwargs)
    return aioredis.Redis.from_pool(pool)


async def check(r: aioredis.Redis, url: str) -> None:
    try:
        await r.ping()
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise RedisUnavailable(f"cannot reach Redis at {url}: {exc}") from None


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
