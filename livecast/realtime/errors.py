"""Named errors of the realtime plane; ``code`` is the contract's error CODE sent in acks."""

from __future__ import annotations


class EventError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **extra):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.extra = extra

    def ack(self) -> dict:
        return {"ok": False, "error": self.code, "message": str(self), **self.extra}


class Invalid(EventError):
    code = "invalid"


class Forbidden(EventError):
    code = "forbidden"


class Muted(EventError):
    code = "muted"


class Banned(EventError):
    code = "banned"


class RateLimited(EventError):
    code = "rate_limited"


class SlowMode(EventError):
    code = "slow_mode"


class BlockedWord(EventError):
    code = "blocked_word"
