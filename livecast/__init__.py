"""livecast: a live-commerce server (WHIP/WHEP relay, Socket.IO chat and buys, Redis)."""

__version__ = "0.1.0"
