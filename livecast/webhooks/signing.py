"""The ``Livecast-Signature`` header: HMAC-SHA256 over ``"<t>.<raw body>"``.

``sign`` is what the sender puts on each request; ``verify`` is what a receiver runs
(docs/webhooks.md shows the same check in ten lines of plain Python).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Livecast-Signature"
EVENT_ID_HEADER = "Livecast-Event-Id"
TOLERANCE = 300  # seconds a receiver accepts between ``t`` and its own clock


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value ``t=<unix seconds>,v1=<hex>`` for one request."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and ``t`` is within ``tolerance``.

    ``body`` must be the raw bytes as received (not re-serialized JSON). Several ``v1``
    values are accepted (any one matching is enough), so a secret can be rotated.
    """
    if not header:
        return False
    timestamp, candidates = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
