"""Security headers on every response (an ``on_response_prepare`` hook, so error pages,
static files and the errors that aiohttp raises itself get them too).

The pages load their scripts and styles from ``/static/`` (no inline scripts); a few
elements carry a ``style`` attribute, hence ``style-src-attr 'unsafe-inline'`` while
``<style>`` elements stay refused. Media comes over WebRTC (no CSP applies), recordings
from ``/recordings/`` and, for HLS players, ``blob:`` media sources and workers.
"""

from __future__ import annotations

import re

from aiohttp import web

_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")

CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob: https:",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
}


def content_security_policy(host: str | None) -> str:
    """The CSP; ``connect-src`` names this host's ws:/wss: too (older browsers do not
    count websockets as 'self')."""
    connect = "connect-src 'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join((*CSP, connect))


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = content_security_policy(request.host)
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
