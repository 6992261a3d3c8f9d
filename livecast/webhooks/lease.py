"""A lease in Redis: at most one process holds it; it lapses unless renewed."""

from __future__ import annotations

import time

from ..store import keys

LEADER = keys.WEBHOOK_LEADER

# KEYS: lease. ARGV: owner, ttl (ms). 1 when the owner holds it (taken or renewed).
CLAIM = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if owner then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease:
    """``claim()`` takes or renews it; ``valid`` says whether this process may still act,
    counting from the moment the last successful claim was sent (on this process's
    monotonic clock), so a process cut off from Redis stops before another can take over."""

    def __init__(self, r, owner: str, ttl: float, key: str = LEADER):
        self._r = r
        self.owner = owner
        self.ttl = ttl
        self.key = key
        self._until = 0.0

    async def claim(self) -> bool:
        sent = time.monotonic()
        held = await self._r.eval(CLAIM, 1, self.key, self.owner, int(self.ttl * 1000))
        self._until = sent + self.ttl * 0.8 if held else 0.0
        return bool(held)

    @property
    def valid(self) -> bool:
        return time.monotonic() < self._until

    @property
    def remaining(self) -> float:
        return max(0.0, self._until - time.monotonic())

    async def release(self) -> None:
        self._until = 0.0
        await self._r.eval(RELEASE, 1, self.key, self.owner)
