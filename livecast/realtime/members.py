"""Who is on the other end of a socket: auth parsing, roles and signed viewer tokens."""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..store import catalog

NAME_MAX = 40
ROLES = ("host", "moderator", "viewer")
STAFF = ("host", "moderator")
# events a socket may send (react excepted: it only bumps a counter): sustained rate, burst
EVENT_RATE = 50.0
EVENT_BURST = 200.0


class Refused(Exception):
    """A connection refused with a contract CODE (unknown_show, bad_key, banned, invalid)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class Member:
    sid: str
    show: str
    id: str
    name: str
    role: str
    token: str | None = None
    allowance: float = EVENT_BURST
    checked_at: float = field(default_factory=time.monotonic)
    joined_at: float = field(default_factory=time.monotonic)  # watch time (show report)
    replay: bool = False  # the replay page (buys; not counted as a viewer of the show)

    @property
    def staff(self) -> bool:
        return self.role in STAFF

    def take_event(self) -> bool:
        """Token bucket per socket: False when it sends faster than EVENT_RATE for long."""
        now = time.monotonic()
        self.allowance = min(EVENT_BURST, self.allowance + (now - self.checked_at) * EVENT_RATE)
        self.checked_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True

    def public(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role}

    def you(self) -> dict:
        return {**self.public(), "token": self.token}


@dataclass(frozen=True)
class Auth:
    show: str
    name: str | None
    key: str | None
    token: str | None
    replay: bool = False


def parse_auth(auth: Any) -> Auth:
    """Check the connect ``auth`` object's shape; raises Refused('invalid')."""
    if not isinstance(auth, dict):
        raise Refused("invalid")
    show, name, key, token = (auth.get(k) for k in ("show", "name", "key", "token"))
    if not isinstance(show, str) or not catalog.SHOW_ID_RE.match(show):
        raise Refused("unknown_show" if isinstance(show, str) and len(show) < 100 else "invalid")
    if key is not None and (not isinstance(key, str) or len(key) > 200):
        raise Refused("invalid")
    if token is not None and (not isinstance(token, str) or len(token) > 200):
        raise Refused("invalid")
    if name is not None:
        if not isinstance(name, str):
            raise Refused("invalid")
        name = name.strip()
        if len(name) > NAME_MAX or any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
            raise Refused("invalid")
        name = name or None
    replay = auth.get("replay", False)
    if not isinstance(replay, bool):
        raise Refused("invalid")
    return Auth(show, name, key or None, token or None, replay)


def default_name(role: str, user: str) -> str:
    return {"host": "host", "moderator": "moderator"}.get(role, f"guest-{user[1:5]}")
