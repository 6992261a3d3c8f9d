"""The media plane's app key (its own, so app.py and appkeys.py stay untouched)."""

from __future__ import annotations

from aiohttp import web

from .plane import MediaPlane

MEDIA = web.AppKey("media", MediaPlane)
