"""Admin routes: list deliveries by status, send one event again."""

from __future__ import annotations

import time

from aiohttp import web

from ..api import require_admin
from ..appkeys import REDIS
from ..errors import ApiError
from . import deliveries

routes = web.RouteTableDef()

MAX_LIMIT = 500


@routes.get("/api/webhooks/deliveries")
async def list_deliveries(request: web.Request):
    require_admin(request)
    status = request.query.get("status", "failed")
    if status not in deliveries.STATUSES:
        raise ApiError(400, "invalid", f"status must be one of {', '.join(deliveries.STATUSES)}")
    raw = request.query.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "invalid", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    found = await deliveries.listing(request.app[REDIS], status, int(raw))
    return web.json_response({"deliveries": found})


@routes.post("/api/webhooks/deliveries/{id}/retry")
async def retry_delivery(request: web.Request):
    require_admin(request)
    event_id = request.match_info["id"]
    result = await deliveries.requeue(request.app[REDIS], event_id, int(time.time() * 1000))
    if result == "unknown":
        raise ApiError(404, "unknown_delivery", f"no webhook event {event_id!r}")
    if result == "skipped":
        raise ApiError(
            409, "nothing_to_send", "that event had no webhook URL: nothing was sent, nor kept"
        )
    # requeued: sent again after what is pending for its key; else it was pending already
    answer = {"id": event_id, "status": "pending", "requeued": result == "queued"}
    return web.json_response(answer, status=202)
