"""Which server processes are alive: each holds a lease in Redis that it renews.

Per-process facts (a process's viewers of a show, a host's session) carry the process id;
readers count only those of processes whose lease is held, and clear the rest, so a
process that was killed stops counting once its lease lapses.
"""

from __future__ import annotations

import json

from . import keys

LEASE_SECONDS = 15


async def renew(
    r, process_id: str, card: dict | None = None, *, seconds: int = LEASE_SECONDS
) -> None:
    """Hold the lease; ``card`` is how other processes reach this one (livecast/node.py)."""
    await r.set(keys.process(process_id), json.dumps(card) if card else 1, ex=seconds)


async def card(r, process_id: str) -> dict | None:
    """The card of a live process (None: not alive, or it published none)."""
    raw = await r.get(keys.process(process_id))
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def release(r, process_id: str) -> None:
    await r.delete(keys.process(process_id))


async def alive(r, process_ids) -> set[str]:
    """The subset of ``process_ids`` whose lease is held."""
    ids = list(process_ids)
    if not ids:
        return set()
    async with r.pipeline(transaction=False) as p:
        for process_id in ids:
            p.exists(keys.process(process_id))
        held = await p.execute()
    return {process_id for process_id, h in zip(ids, held, strict=True) if h}


async def viewer_count(r, show_id: str) -> int:
    """Viewers of a show over every live process; entries of dead processes are cleared."""
    counts = await r.hgetall(keys.viewers(show_id))
    if not counts:
        return 0
    live = await alive(r, counts)
    dead = [process_id for process_id in counts if process_id not in live]
    if dead:
        await r.hdel(keys.viewers(show_id), *dead)
    return max(0, sum(int(n) for process_id, n in counts.items() if process_id in live))
