"""A show's timed deal: at most one at a time (so a product has at most one running deal).

The deal is the hash ``keys.deal(show)`` ``{sku, price, ends_at}`` that expires at
``ends_at``; the buy script reads it. Starting one is a script, so two hosts' tabs cannot
both start a deal, and a running deal is never silently replaced.
"""

from __future__ import annotations

from . import keys

# KEYS: deal; ARGV: sku, price, ends_at (ms) -> nil, or the sku of the deal that runs
START = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGET', KEYS[1], 'sku') end
redis.call('HSET', KEYS[1], 'sku', ARGV[1], 'price', ARGV[2], 'ends_at', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return false
"""


async def start(r, show_id: str, deal: dict) -> str | None:
    """Start ``deal`` unless one runs; returns None, or the sku of the running deal."""
    running = await r.eval(
        START, 1, keys.deal(show_id), deal["sku"], deal["price"], deal["ends_at"]
    )
    return running or None
