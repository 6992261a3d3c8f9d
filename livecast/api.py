"""The JSON API of contract.md: shows, products, sales, health and metrics."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from redis.exceptions import RedisError

from . import hub, jsonbody, node_metrics, outage
from .appkeys import HUB, METRICS, PROCESS_CARD, REDIS, REDIS_HEALTH, SETTINGS
from .errors import ApiError
from .links import show_links
from .store import catalog, sales, sellers
from .store.catalog import key_matches
from .store.errors import UnknownShow

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


async def require_admin_or_seller(request: web.Request) -> dict | None:
    """Admin token (None) or a seller key (that seller's view)."""
    token = bearer(request)
    if token is None:
        raise ApiError(
            401, "unauthorized", "send Authorization: Bearer <admin token or seller key>"
        )
    if is_admin(request):
        return None
    seller = await sellers.seller_for_key(request.app[REDIS], token)
    if seller is None:
        raise ApiError(401, "bad_key", "that key is not an admin token or a seller key")
    return seller


async def require_show(request: web.Request, show_id: str, *, host: bool = False) -> str:
    """Admin token, the key of the show's seller, or (``host``) the show's host key;
    returns ``admin``, ``seller`` or ``host``. Another seller's key: 403 forbidden."""
    token = bearer(request)
    if token is None:
        wanted = "admin token, seller key" + (" or host key" if host else "")
        raise ApiError(401, "unauthorized", f"send Authorization: Bearer <{wanted}>")
    if is_admin(request):
        return "admin"
    r = request.app[REDIS]
    record = await catalog.get_show_record(r, show_id)
    seller = await sellers.seller_for_key(r, token)
    if seller is not None:
        if record.get("seller_id") == seller["id"]:
            return "seller"
        raise ApiError(403, "forbidden", "this show belongs to another seller")
    if host and await catalog.role_for_key(r, show_id, token) == "host":
        return "host"
    wanted = "an admin token, its seller's key" + (" or its host key" if host else "")
    raise ApiError(401, "bad_key", f"that key is not {wanted}")


async def json_body(request: web.Request):
    if not request.can_read_body:
        raise ApiError(400, "invalid", "a JSON body is required")
    raw = await request.read()
    try:
        return jsonbody.loads(raw)
    except jsonbody.BadJson as exc:
        raise ApiError(400, "invalid", str(exc)) from None


@routes.post("/api/shows")
async def create_show(request: web.Request):
    """Admin (may give ``seller_id``) or a seller key (a show of that seller)."""
    seller = await require_admin_or_seller(request)
    body = await json_body(request)
    if seller is not None and isinstance(body, dict):
        if body.get("seller_id") not in (None, seller["id"]):
            raise ApiError(403, "forbidden", "a seller key creates shows of its own seller only")
        body = {**body, "seller_id": seller["id"]}
    settings = request.app[SETTINGS]
    created = await catalog.create_show(request.app[REDIS], body, tz=settings.timezone)
    created["links"] = show_links(
        settings.base_url,
        created["show"]["id"],
        host_key=created["host_key"],
        moderator_key=created["moderator_key"],
    )
    return web.json_response(created, status=201)


@routes.get("/api/shows")
async def list_shows(request: web.Request):
    """Every show's public view, newest first; ``?seller=ID`` only that seller's."""
    r = request.app[REDIS]
    seller_id = request.query.get("seller")
    if seller_id is None:
        return web.json_response(await catalog.list_public_views(r))
    views = []
    for show_id in await sellers.seller_show_ids(r, seller_id[:100]):
        try:
            views.append(await catalog.public_view(r, show_id))
        except UnknownShow:
            continue
    return web.json_response(views)


@routes.get("/api/shows/{show}")
async def get_show(request: web.Request):
    return web.json_response(
        await catalog.public_view(request.app[REDIS], request.match_info["show"])
    )


@routes.post("/api/shows/{show}/products")
async def add_product(request: web.Request):
    show_id = request.match_info["show"]
    await require_show(request, show_id, host=True)
    product = await catalog.add_product(request.app[REDIS], show_id, await json_body(request))
    await publish_products(request, show_id)
    return web.json_response(product, status=201)


@routes.patch("/api/shows/{show}/products/{sku}")
async def patch_product(request: web.Request):
    show_id, sku = request.match_info["show"], request.match_info["sku"]
    await require_show(request, show_id, host=True)
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
    await require_show(request, show_id, host=True)
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
    health = request.app[REDIS_HEALTH]
    try:
        await request.app[REDIS].ping()
    except (RedisError, OSError) as exc:
        health.failed(exc, "healthz")
        return web.json_response(
            {"ok": False, "redis": "unavailable"},
            status=503,
            headers={"Retry-After": str(outage.RETRY_AFTER)},
        )
    health.ok()
    return web.json_response({"ok": True})


@routes.get("/metrics")
async def metrics(request: web.Request):
    """This process's metrics; under ``serve --workers``, every worker's (node_metrics)."""
    m = request.app[METRICS]
    body = m.render()
    settings = request.app[SETTINGS]
    if settings.listen_fd is not None and request.query.get("process") != "self":
        card = request.app[PROCESS_CARD]
        body = await node_metrics.gather(card.process, body, Path(card.http).parent)
    return web.Response(body=body, headers={"Content-Type": m.content_type})


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
