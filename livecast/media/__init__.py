"""The media plane: WHIP ingest, WHEP playback, forwarding, recording."""

from aiohttp import web


def setup(app: web.Application) -> None:
    """Register the media routes and resources on the app."""
