"""The media plane: WHIP ingest, WHEP playback, forwarding, recording.

Public face: :func:`setup` (routes and resources), ``MEDIA`` (the app's
:class:`MediaPlane`) and :class:`MediaOptions` (timeouts and queue bounds).
"""

from __future__ import annotations

from aiohttp import web

from ..appkeys import HUB
from .handlers import add_routes
from .plane import MediaOptions, MediaPlane
from .state import MEDIA

__all__ = ["MEDIA", "MediaOptions", "MediaPlane", "setup"]


async def media_ctx(app: web.Application):
    plane = app[MEDIA]
    unsubscribe = app[HUB].subscribe(plane.on_hub_event)
    try:
        yield
    finally:
        unsubscribe()
        await plane.close()


def setup(app: web.Application) -> None:
    """Register the media routes and resources on the app."""
    app[MEDIA] = MediaPlane(app)
    app.cleanup_ctx.append(media_ctx)
    add_routes(app)
