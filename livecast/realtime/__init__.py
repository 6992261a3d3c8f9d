"""The realtime plane: Socket.IO chat, buys, reactions and moderation."""

from .plane import EVENTS, Realtime
from .server import REALTIME, setup

__all__ = ["EVENTS", "REALTIME", "Realtime", "setup"]
