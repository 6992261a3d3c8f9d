"""Routes: sale events (기획전). Creating one is the admin's; reading them is public."""

from __future__ import annotations

from aiohttp import web

from ..api import json_body, require_admin
from ..appkeys import REDIS, SETTINGS
from ..links import event_link
from ..store import events

routes = web.RouteTableDef()


@routes.post("/api/events")
async def create_event(request: web.Request):
    require_admin(request)
    settings = request.app[SETTINGS]
    event = await events.create_event(
        request.app[REDIS], await json_body(request), tz=settings.timezone
    )
    event["link"] = event_link(settings.base_url, event["id"])
    return web.json_response(event, status=201)


@routes.get("/api/events")
async def list_events(request: web.Request):
    return web.json_response(await events.list_events(request.app[REDIS]))


@routes.get("/api/events/{event}")
async def get_event(request: web.Request):
    return web.json_response(
        await events.get_event(request.app[REDIS], request.match_info["event"])
    )
