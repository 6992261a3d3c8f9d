"""Signed viewer tokens: "<viewer id>.<HMAC-SHA256 of it, base64url>".

A viewer's token proves who they are across reconnects (a ban follows them) and proves an
order is theirs (checkout, 내 주문): the realtime plane issues it, the order routes check it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

VIEWER_ID_RE = re.compile(r"^v[A-Za-z0-9_-]{16}$")


def _signature(secret: str, user: str) -> str:
    digest = hmac.new(secret.encode(), b"viewer:" + user.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_viewer_id() -> str:
    return "v" + secrets.token_urlsafe(12)


def issue_token(secret: str, user: str) -> str:
    return f"{user}.{_signature(secret, user)}"


def verify_token(secret: str, token: str | None) -> str | None:
    """The viewer id a token was issued for, or None if it is not ours."""
    if not token or token.count(".") != 1:
        return None
    user, signature = token.split(".")
    if not VIEWER_ID_RE.match(user):
        return None
    return user if hmac.compare_digest(signature, _signature(secret, user)) else None
