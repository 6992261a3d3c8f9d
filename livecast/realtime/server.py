"""The Socket.IO server attached to the aiohttp app."""

from __future__ import annotations

from urllib.parse import urlsplit

import socketio
from aiohttp import web

from ..appkeys import SETTINGS
from ..config import Settings
from .fanout import LocalManager, RedisManager, check_internals, uncompressed_websockets
from .namespace import ShowNamespace
from .plane import Realtime

REALTIME = web.AppKey("realtime", Realtime)
MAX_MESSAGE_BYTES = 64 * 1024  # an event larger than this closes the connection
PUBSUB_CHANNEL = "livecast:socketio"


def origin_check(settings: Settings):
    """python-socketio's ``cors_allowed_origins``: the page's own origin (any scheme, so a
    TLS-terminating proxy works) plus ``LIVECAST_CORS_ORIGINS``."""
    allowed = settings.cors_origins or ()
    if "*" in allowed:
        return "*"

    def check(origin: str, environ: dict) -> bool:
        if origin in allowed:
            return True
        return bool(origin) and urlsplit(origin).netloc == environ.get("HTTP_HOST")

    return check


def create_server(settings: Settings) -> socketio.AsyncServer:
    if settings.redis_url:
        # several `livecast serve` processes share rooms through Redis pub/sub
        manager = RedisManager(settings.redis_url, channel=PUBSUB_CHANNEL)
    else:
        manager = LocalManager()
    server = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=origin_check(settings),
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        logger=False,
        engineio_logger=False,
    )
    uncompressed_websockets(server)
    check_internals(server)
    return server


def setup(app: web.Application) -> Realtime:
    sio = create_server(app[SETTINGS])
    rt = Realtime(app, sio)
    sio.register_namespace(ShowNamespace(rt))
    sio.attach(app)
    app[REALTIME] = rt
    app.cleanup_ctx.append(rt.ctx)
    app.on_shutdown.append(rt.on_shutdown)
    return rt
