"""Requests for something another process holds, forwarded to it.

Under ``serve --workers`` (and across nodes) a request may reach a process that does not
hold what it is about: a WHIP/WHEP session resource (DELETE ends a broadcast), or an
Engine.IO long-polling session. Their ids start with the holder's process id
(:func:`session_id`), so the receiving process finds the holder's card in Redis
(store/processes.py) and forwards the request as it came: to the holder's own unix socket
on this node, or to the holder's node URL (whose process forwards once more). A
forwarded request carries ``X-Livecast-Hops``; after ``MAX_HOPS`` it is answered here
(404), so a request never loops. Forwarding grants nothing: the request keeps its own
credentials and the holder checks them.
"""

from __future__ import annotations

import logging
import re
import secrets

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from .appkeys import PROCESS_CARD, PROCESS_ID, REDIS
from .node import Card
from .store import processes

log = logging.getLogger(__name__)

HOPS = "X-Livecast-Hops"
MAX_HOPS = 2
TIMEOUT = aiohttp.ClientTimeout(total=90, connect=5)  # a long poll takes up to ~30 s
_OWNER = re.compile(r"^([0-9a-f]{16})-")
# hop-by-hop and recomputed headers are not copied
_SKIP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"}


def session_id(process_id: str) -> str:
    """A new session id that names its holder: ``<process id>-<144 random bits>``."""
    return f"{process_id}-{secrets.token_urlsafe(18)}"


def owner_of(session: str | None) -> str | None:
    match = _OWNER.match(session or "")
    return match.group(1) if match else None


class Forwarder:
    """HTTP clients to the node's other processes (unix sockets) and to other nodes."""

    def __init__(self) -> None:
        self._sessions: dict[str, aiohttp.ClientSession] = {}

    def _client(self, key: str, connector_path: str | None) -> aiohttp.ClientSession:
        client = self._sessions.get(key)
        if client is None or client.closed:
            connector = aiohttp.UnixConnector(path=connector_path) if connector_path else None
            client = self._sessions[key] = aiohttp.ClientSession(
                connector=connector, timeout=TIMEOUT, auto_decompress=False
            )
        return client

    async def forward(self, request: web.Request, card: Card, own: Card) -> web.Response:
        hops = int(request.headers.get(HOPS, "0") or 0)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIP}
        headers[HOPS] = str(hops + 1)
        if request.remote:
            headers.setdefault("X-Forwarded-For", request.remote)
        if card.node == own.node:
            client, url = self._client(card.http, card.http), "http://livecast" + request.path_qs
        else:
            client, url = self._client("nodes", None), card.url + request.path_qs
        body = await request.read() if request.body_exists else None
        async with client.request(
            request.method, url, headers=headers, data=body, allow_redirects=False
        ) as res:
            data = await res.read()
            # several Link headers stay several; CORS is this process's to add
            out = CIMultiDict(
                (k, v)
                for k, v in res.headers.items()
                if k.lower() not in _SKIP and not k.lower().startswith("access-control-")
            )
            return web.Response(status=res.status, body=data, headers=out)

    async def close(self) -> None:
        for client in self._sessions.values():
            await client.close()
        self._sessions.clear()


FORWARDER = web.AppKey("forwarder", Forwarder)


async def forward(request: web.Request, session: str | None) -> web.Response | None:
    """Forward ``request`` to the process holding ``session``; None: not another live
    process's (answer it here)."""
    return await forward_to(request, owner_of(session))


async def forward_to(request: web.Request, owner: str | None) -> web.Response | None:
    """Forward ``request`` to the process ``owner``; None: it is this one, or not alive,
    or the request came through enough processes already (answer it here)."""
    app = request.app
    if owner is None or owner == app[PROCESS_ID]:
        return None
    if int(request.headers.get(HOPS, "0") or 0) >= MAX_HOPS:
        return None
    data = await processes.card(app[REDIS], owner)
    if data is None:
        return None
    card = Card.from_dict(owner, data)
    try:
        return await app[FORWARDER].forward(request, card, app[PROCESS_CARD])
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("could not forward %s %s to process %s: %r", request.method, request.path,
                    owner, exc)  # fmt: skip
        return web.json_response(
            {"error": "unavailable", "message": "the process holding this session is unreachable"},
            status=503,
            headers={"Retry-After": "1"},
        )


async def forwarder_ctx(app: web.Application):
    app[FORWARDER] = Forwarder()
    yield
    await app[FORWARDER].close()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(forwarder_ctx)
