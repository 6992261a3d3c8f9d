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


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    return web.json_response(
        {"error": code, "message": message}, status=status, headers=headers or None
    )
