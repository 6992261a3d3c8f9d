"""Routes: managing one show (admin or its seller; some for its host too) — edit it, rotate
its keys, delete a product before live, its reminder file and its report."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from ..api import json_body, publish_products, require_show
from ..appkeys import REDIS, SETTINGS
from ..errors import ApiError
from ..links import show_links
from ..store import catalog, report
from . import calendar

routes = web.RouteTableDef()


@routes.patch("/api/shows/{show}")
async def patch_show(request: web.Request):
    """title, starts_at, cover, checkout, event, webhook (and, admin only, seller)."""
    show_id = request.match_info["show"]
    role = await require_show(request, show_id, host=True)
    body = await json_body(request)
    if role == "seller" and isinstance(body, dict) and "seller_id" in body:
        raise ApiError(403, "forbidden", "only an admin moves a show to another seller")
    # the host (the studio's summary) may switch the replay's sales, nothing else
    if role == "host" and (not isinstance(body, dict) or set(body) - {"replay_sales"}):
        raise ApiError(403, "forbidden", "a host key changes only replay_sales")
    settings = request.app[SETTINGS]
    view = await catalog.patch_show(request.app[REDIS], show_id, body, tz=settings.timezone)
    return web.json_response(view)


@routes.get("/api/shows/{show}/settings")
async def show_settings(request: web.Request):
    """What the console edits beyond the public view: the whole checkout setting (with
    the bank account) and the show's webhook address (never its secret)."""
    show_id = request.match_info["show"]
    await require_show(request, show_id)
    record = await catalog.get_show_record(request.app[REDIS], show_id)
    url = record.get("webhook_url") or None
    return web.json_response(
        {"show": show_id, "checkout": catalog.checkout_of(record), "webhook": url and {"url": url}}
    )


@routes.post("/api/shows/{show}/keys/{role}")
async def rotate_key(request: web.Request):
    """A new host, moderator or shop key (the old one stops working), shown once."""
    show_id, role = request.match_info["show"], request.match_info["role"]
    if role not in catalog.KEY_ROLES:
        raise ApiError(404, "not_found", "keys are host, moderator or shop")
    await require_show(request, show_id)
    key = await catalog.rotate_key(request.app[REDIS], show_id, role)
    base = request.app[SETTINGS].base_url
    links = {
        "host": show_links(base, show_id, host_key=key)["studio"],
        "moderator": show_links(base, show_id, moderator_key=key)["moderate"],
        "shop": None,
    }
    body = {"show": show_id, "role": role, "key": key, "link": links[role]}
    if role == "host":
        body["orders_link"] = show_links(base, show_id, host_key=key)["orders"]
    return web.json_response(body, status=201)


@routes.delete("/api/shows/{show}/products/{sku}")
async def delete_product(request: web.Request):
    show_id, sku = request.match_info["show"], request.match_info["sku"]
    await require_show(request, show_id, host=True)
    await catalog.delete_product(request.app[REDIS], show_id, sku)
    await publish_products(request, show_id)
    return web.json_response({"show": show_id, "deleted": sku})


@routes.get("/api/shows/{show}/calendar.ics")
async def calendar_file(request: web.Request):
    show_id = request.match_info["show"]
    view = await catalog.public_view(request.app[REDIS], show_id)
    if not view["starts_at"]:
        raise ApiError(404, "no_start", "this show has no start time yet")
    base = request.app[SETTINGS].base_url
    text = calendar.show_ics(
        view,
        watch_url=show_links(base, show_id)["watch"],
        host=urlsplit(base).hostname or "livecast",
    )
    return web.Response(
        text=text,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{show_id}.ics"'},
    )


@routes.get("/api/shows/{show}/report")
async def show_report(request: web.Request):
    """The show report (contract); ``?format=csv`` the minutes for Excel."""
    show_id = request.match_info["show"]
    await require_show(request, show_id, host=True)
    settings = request.app[SETTINGS]
    figures = await report.show_report(request.app[REDIS], show_id)
    figures["replay_url"] = show_links(settings.base_url, show_id)["replay"]
    fmt = request.query.get("format", "json")
    if fmt == "csv":
        return web.Response(
            body=report.report_csv(figures, timezone=settings.timezone),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{show_id}-report.csv"'},
        )
    if fmt != "json":
        raise ApiError(400, "invalid", "format must be json or csv")
    return web.json_response(figures)
