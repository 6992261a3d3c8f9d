"""Errors every HTTP plane answers with: ``{"error": CODE, "message": text}``."""

from __future__ import annotations

from aiohttp import web


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class InternalsMoved(RuntimeError):
    """An upgrade of a library whose internals livecast touches moved them: ``livecast
    serve`` refuses to start with this one line (the package, its version, what moved).
    Raised by ``media/aiortc_tap/check.py`` and ``realtime/fanout.py``."""


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    return web.json_response(
        {"error": code, "message": message}, status=status, headers=headers or None
    )
