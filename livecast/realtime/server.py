"""The Socket.IO server attached to the aiohttp app."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import socketio
from aiohttp import web

from ..appkeys import METRICS, SETTINGS
from ..config import Settings
from . import fanout
from .fanout import LocalManager, RedisManager
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


def library_logger(name: str) -> logging.Logger:
    """The libraries' own lines at WARNING and above, through the root handler once
    (``logger=False`` would add a handler of their own: every line printed twice)."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


def create_server(settings: Settings, on_refused=None) -> socketio.AsyncServer:
    if settings.redis_url:
        # several `livecast serve` processes share rooms through Redis pub/sub
        manager = RedisManager(settings.redis_url, channel=PUBSUB_CHANNEL)
    else:
        manager = LocalManager()
    return fanout.create_server(
        on_refused,
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=origin_check(settings),
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        logger=library_logger("livecast.socketio"),
        engineio_logger=library_logger("livecast.engineio"),
    )


def setup(app: web.Application) -> Realtime:
    refused = app[METRICS].socketio_refused
    sio = create_server(app[SETTINGS], on_refused=lambda reason: refused.labels(reason).inc())
    rt = Realtime(app, sio)
    sio.register_namespace(ShowNamespace(rt))
    fanout.attach(sio, app)
    app[REALTIME] = rt
    app.cleanup_ctx.append(rt.ctx)
    app.on_shutdown.append(rt.on_shutdown)
    return rt
