"""The realtime plane: Socket.IO chat, buys, reactions and moderation."""

from aiohttp import web


def setup(app: web.Application) -> None:
    """Attach the Socket.IO server to the app."""
