"""The host's lease: when a live show without its host ends, kept in Redis.

While a host broadcasts, the process that holds its WHIP session renews a short lease
(``LEASE_SECONDS``, every ``RENEW_SECONDS``): the show's deadline in
``keys.HOST_DEADLINES`` is the lease's end plus the reconnect grace. When the process
sees its host go (ICE failed, no media), or stops, the deadline becomes now + grace. A
host that comes back (to any process) renews it; otherwise, once the deadline passes,
whichever process sweeps first claims the show (exactly one claim per deadline, by
script) and ends it. So a show ends on time even when the process that held its host
was killed or restarted:

- host lost, process running: ``grace`` after the loss was noticed;
- process stopped (SIGTERM): ``grace`` after it stopped;
- process killed: at most ``LEASE_SECONDS + grace`` after its last renewal.

Deadlines are Redis ``TIME``, so the processes' clocks do not matter.
"""

from __future__ import annotations

from . import keys

GRACE_SECONDS = 30.0  # how long a live show waits for its host to come back
LEASE_SECONDS = 6.0
RENEW_SECONDS = 2.0
RETRY_MS = 30_000  # a claimed show whose ending did not finish is claimed again after this

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: host hash, deadlines; ARGV: show, owner, session, lease ms, grace ms
RENEW = (
    _NOW
    + """
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'session', ARGV[3], 'state', 'connected',
           'at', now)
local deadline = now + tonumber(ARGV[4]) + tonumber(ARGV[5])
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
return deadline
"""
)

# the host of this session is gone: the show ends after the grace unless it comes back.
# A newer session (maybe on another process) is left alone.
# KEYS: host hash, deadlines; ARGV: show, session, grace ms
LOST = (
    _NOW
    + """
local current = redis.call('HGET', KEYS[1], 'session')
if current and current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'lost', 'at', now)
local deadline = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
return deadline
"""
)

# shows whose deadline passed, each pushed RETRY_MS ahead so one sweep claims it
# KEYS: deadlines; ARGV: retry ms, limit
CLAIM = (
    _NOW
    + """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, show in ipairs(due) do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), show)
end
return due
"""
)

# a live show that no process watches (from before leases, or a crash before the first
# renewal) gets a deadline; ARGV: grace ms; KEYS: deadlines, then ARGV[2..] are show ids
ADOPT = (
    _NOW
    + """
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'NX', now + tonumber(ARGV[1]), ARGV[i])
end
return n
"""
)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


async def renew(r, show_id: str, owner: str, session: str, *, grace: float = GRACE_SECONDS) -> int:
    """This process holds the show's host: push the deadline forward; returns it (ms)."""
    return int(
        await r.eval(
            RENEW,
            2,
            keys.host(show_id),
            keys.HOST_DEADLINES,
            show_id,
            owner,
            session,
            _ms(LEASE_SECONDS),
            _ms(grace),
        )
    )


async def lost(r, show_id: str, session: str, *, grace: float = GRACE_SECONDS) -> int:
    """The host of ``session`` is gone: the show ends ``grace`` from now (0: a newer
    session holds the show, nothing changed)."""
    return int(
        await r.eval(LOST, 2, keys.host(show_id), keys.HOST_DEADLINES, show_id, session, _ms(grace))
    )


async def release(r, show_id: str) -> None:
    """The show ended (or its host left on purpose): no deadline any more."""
    async with r.pipeline(transaction=True) as tx:
        tx.zrem(keys.HOST_DEADLINES, show_id)
        tx.delete(keys.host(show_id))
        await tx.execute()


async def claim_due(r, *, limit: int = 50) -> list[str]:
    """Shows whose host did not come back in time (each claimed by one caller)."""
    return list(await r.eval(CLAIM, 1, keys.HOST_DEADLINES, RETRY_MS, limit))


async def adopt(r, show_ids: list[str], *, grace: float = GRACE_SECONDS) -> int:
    """Give live shows without a deadline one (``grace`` from now); returns how many."""
    if not show_ids:
        return 0
    return int(await r.eval(ADOPT, 1, keys.HOST_DEADLINES, _ms(grace), *show_ids))


async def read(r, show_id: str) -> dict | None:
    """``{owner, session, state, at, deadline}`` of the show's broadcast, or None."""
    async with r.pipeline(transaction=False) as p:
        p.hgetall(keys.host(show_id))
        p.zscore(keys.HOST_DEADLINES, show_id)
        record, deadline = await p.execute()
    if not record:
        return None
    return {
        "owner": record.get("owner"),
        "session": record.get("session"),
        "state": record.get("state"),
        "at": int(record.get("at", 0)),
        "deadline": int(deadline) if deadline is not None else None,
    }


# a rehearsal is private: no deadline, no status; only where it is, for the host's own
# preview player on another process (media/feeds.py)
async def rehearsing(r, show_id: str, owner: str) -> None:
    await r.set(keys.rehearsal(show_id), owner, ex=int(LEASE_SECONDS))


async def rehearsal_over(r, show_id: str, owner: str) -> None:
    if await r.get(keys.rehearsal(show_id)) == owner:
        await r.delete(keys.rehearsal(show_id))


async def rehearsal_owner(r, show_id: str) -> str | None:
    return await r.get(keys.rehearsal(show_id))
