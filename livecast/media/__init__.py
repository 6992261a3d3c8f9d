"""The media plane: WHIP ingest, WHEP playback, forwarding, recording, HLS.

Public face: :func:`setup` (routes and resources), ``MEDIA`` (the app's
:class:`MediaPlane`) and :class:`MediaOptions` (timeouts and queue bounds).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..appkeys import HUB, PROCESS_CARD, SETTINGS
from . import aiortc_tap
from .handlers import add_routes
from .hls.routes import add_routes as add_hls_routes
from .plane import MediaOptions, MediaPlane
from .recorder import finalise_interrupted
from .state import MEDIA

__all__ = ["MEDIA", "MediaOptions", "MediaPlane", "setup"]


async def media_ctx(app: web.Application):
    # refuse to start if an aiortc/aioice upgrade moved what the tap uses (one line)
    await aiortc_tap.check_internals()
    plane = app[MEDIA]
    await plane.feeds.links.start(app[PROCESS_CARD].media)
    plane.start()
    unsubscribe = app[HUB].subscribe(plane.on_hub_event)
    # recordings a crash left unfinished get their index and duration (in the background)
    finalising = asyncio.get_running_loop().run_in_executor(
        None, finalise_interrupted, app[SETTINGS].recordings_dir
    )
    try:
        yield
    finally:
        unsubscribe()
        await plane.close()
        await asyncio.gather(finalising, return_exceptions=True)


def setup(app: web.Application) -> None:
    """Register the media routes and resources on the app."""
    app[MEDIA] = MediaPlane(app)
    app.cleanup_ctx.append(media_ctx)
    add_routes(app)
    add_hls_routes(app)
