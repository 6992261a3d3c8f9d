"""The store's Redis client under a burst of concurrent commands."""

import asyncio

from livecast.store import connect
from livecast.store.connection import MAX_CONNECTIONS


async def test_a_burst_beyond_the_pool_waits_instead_of_failing(redis_url):
    r = connect(redis_url)
    try:
        burst = [r.incr("burst") for _ in range(MAX_CONNECTIONS * 5)]
        await asyncio.gather(*burst)
        assert await r.get("burst") == str(MAX_CONNECTIONS * 5)
    finally:
        await r.aclose()
