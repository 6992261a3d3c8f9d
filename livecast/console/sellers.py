"""Routes: sellers (admin) and ``/api/me`` (who a key is, for the console)."""

from __future__ import annotations

from aiohttp import web

from ..api import json_body, require_admin, require_admin_or_seller
from ..appkeys import REDIS, SETTINGS
from ..store import sellers

routes = web.RouteTableDef()


@routes.post("/api/sellers")
async def create_seller(request: web.Request):
    require_admin(request)
    created = await sellers.create_seller(request.app[REDIS], await json_body(request))
    return web.json_response(created, status=201)


@routes.get("/api/sellers")
async def list_sellers(request: web.Request):
    require_admin(request)
    return web.json_response(await sellers.list_sellers(request.app[REDIS]))


@routes.post("/api/sellers/{seller}/key")
async def rotate_seller_key(request: web.Request):
    require_admin(request)
    seller_id = request.match_info["seller"]
    key = await sellers.rotate_seller_key(request.app[REDIS], seller_id)
    return web.json_response({"seller": seller_id, "key": key}, status=201)


@routes.get("/api/me")
async def me(request: web.Request):
    """Who this key is (admin or a seller), the base of the links to share, the time zone."""
    seller = await require_admin_or_seller(request)
    settings = request.app[SETTINGS]
    return web.json_response(
        {
            "role": "seller" if seller else "admin",
            "seller": seller,
            "base_url": settings.base_url,
            "timezone": settings.timezone,
        }
    )
