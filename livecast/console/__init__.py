"""The seller side of the API: sellers, show management, sale events, photo uploads, QR
codes and the show report (what ``/console`` and ``/events/{event}`` use)."""

from __future__ import annotations

from aiohttp import web

from . import events, qr, sellers, shows, uploads


def setup(app: web.Application) -> None:
    for module in (sellers, shows, events, uploads, qr):
        app.add_routes(module.routes)
