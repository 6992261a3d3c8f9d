"""The JSON API of contract.md: shows, products, sales, health and metrics."""

from __future__ import annotations

import json

from aiohttp import web
from redis.exceptions import RedisError

from . import hub
from .appkeys import HUB, METRICS, REDIS, SETTINGS
from .errors import ApiError
from .store import catalog, sales
from .store.catalog import key_matches

routes = web.RouteTableDef()


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def is_admin(request: web.Request) -> bool:
    return key_matches(bearer(request), request.app[SETTINGS].admin_token_hash)


def require_admin(request: web.Request) -> None:
    if bearer(request) is None:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <admin token>")
    if not is_admin(request):
        raise ApiError(401, "bad_key", "that admin token is not valid")


async def require_admin_or_host(request: web.Request, show_id: str) -> str:
    """Admin token or the show's host key; returns ``admin`` or ``host``."""
    token = bearer(request)
    if token is None:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <admin token or host key>")
    if is_admin(request):
        return "admin"
    await catalog.get_show_record(request.app[REDIS], show_id)
    if await catalog.role_for_key(request.app[REDIS], show_id, token) == "host":
        return "host"
    raise ApiError(401, "bad_key", "that key is not this show's host key or an admin token")


async def json_body(request: web.Request):
    if not request.can_read_body:
        raise ApiError(400, "invalid", "a JSON body is required")
    try:
        raw = await request.read()
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid", f"malformed JSON: {exc}") from None


@routes.post("/api/shows")
async def create_show(request: web.Request):
    require_admin(request)
    created = await catalog.create_show(request.app[REDIS], await json_body(request))
    return web.json_response(created, status=201)


@routes.get("/api/shows")
async def list_shows(request: web.Request):
    return web.json_response(await catalog.list_public_views(request.app[REDIS]))


@routes.get("/api/shows/{show}")
async def get_show(request: web.Request):
    return web.json_response(
        await catalog.public_view(request.app[REDIS], request.match_info["show"])
    )


@routes.post("/api/shows/{show}/products")
async def add_product(request: web.Request):
    show_id = request.match_info["show"]
    await require_admin_or_host(request, show_id)
    product = await catalog.add_product(request.app[REDIS], show_id, await json_body(request))
    await publish_products(request, show_id)
    return web.json_response(product, status=201)


@routes.patch("/api/shows/{show}/products/{sku}")
async def patch_product(request: web.Request):
    show_id, sku = request.match_info["show"], request.match_info["sku"]
    await require_admin_or_host(request, show_id)
    product = await catalog.patch_product(
        request.app[REDIS], show_id, sku, await json_body(request)
    )
    await publish_products(request, show_id)
    return web.json_response(product)


async def publish_products(request: web.Request, show_id: str) -> None:
    r = request.app[REDIS]
    request.app[HUB].publish(show_id, hub.PRODUCTS, await catalog.products(r, show_id))


@routes.get("/api/shows/{show}/sales")
async def get_sales(request: web.Request):
    show_id = request.match_info["show"]
    await require_admin_or_host(request, show_id)
    report = await sales.sales_report(request.app[REDIS], show_id)
    fmt = request.query.get("format", "json")
    if fmt == "csv":
        return web.Response(
            text=sales.report_csv(report),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{show_id}-sales.csv"'},
        )
    if fmt != "json":
        raise ApiError(400, "invalid", "format must be json or csv")
    return web.json_response(report)


@routes.get("/healthz")
async def healthz(request: web.Request):
    try:
        await request.app[REDIS].ping()
    except (RedisError, OSError) as exc:
        return web.json_response({"ok": False, "redis": str(exc)}, status=503)
    return web.json_response({"ok": True})


@routes.get("/metrics")
async def metrics(request: web.Request):
    m = request.app[METRICS]
    return web.Response(body=m.render(), headers={"Content-Type": m.content_type})


async def api_fallback(request: web.Request):
    if request.method == "OPTIONS":
        # reached only without an allowed Origin (the CORS middleware answers the others)
        return web.Response(status=204, headers={"Allow": "GET, POST, PATCH, DELETE, OPTIONS"})
    raise ApiError(404, "not_found", f"no API route {request.method} {request.path}")


def setup(app: web.Application) -> None:
    app.add_routes(routes)


def setup_fallback(app: web.Application) -> None:
    """JSON 404s and preflights for /api/*: registered after every plane's routes."""
    app.router.add_route("*", "/api/{tail:.*}", api_fallback)
