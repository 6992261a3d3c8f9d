"""When to try an event again: exponential backoff with jitter, given up after a window."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """Delays in seconds. Attempt n waits ``first * 2**(n-1)`` capped at ``cap``, scaled by
    a random factor in ``[1 - jitter, 1]``; no attempt starts past ``window`` after the
    first one, and a failure at or past it gives the event up."""

    first: float = 1.0
    cap: float = 600.0
    window: float = 24 * 3600.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempts: int) -> float:
        """Seconds to wait after ``attempts`` failed attempts (``attempts`` >= 1)."""
        base = min(self.cap, self.first * 2 ** min(attempts - 1, 62))
        return base * (1 - self.jitter * self.rng.random())

    def next_at(self, now: float, first_at: float, attempts: int) -> float | None:
        """When to try next after a failure at ``now``; None once the window has run out."""
        deadline = first_at + self.window
        if now >= deadline:
            return None
        return min(now + self.delay(attempts), deadline)
