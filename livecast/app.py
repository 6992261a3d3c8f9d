"""create_app(settings): the aiohttp app with its planes wired together."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from aiohttp import web

from . import (
    api,
    console,
    lease,
    media,
    order_sweeper,
    orders,
    outage,
    realtime,
    routing,
    show_sweeper,
    webhooks,
)
from . import web as pages
from .appkeys import HUB, METRICS, REDIS, REDIS_HEALTH, REDIS_URL, SETTINGS
from .config import Settings
from .errors import ApiError, error_response
from .hub import Hub
from .metrics import Metrics
from .security import security_headers
from .store import EmbeddedRedis, RedisUnavailable, StoreError, check, connect
from .store.embedded import Supervisor

log = logging.getLogger(__name__)

CORS_EXPOSE = "Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After"
CORS_PATHS = ("/api/", "/whip/", "/whep/", "/socket.io/")


@web.middleware
async def errors_middleware(request: web.Request, handler):
    metrics = request.app[METRICS]
    try:
        response = await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.code, exc.message, exc.headers)
    except RedisUnavailable as exc:
        request.app[REDIS_HEALTH].failed(exc, "http")
        response = outage.unavailable_response()
    except StoreError as exc:
        response = error_response(exc.status, exc.code, exc.message)
        if getattr(exc, "field", None):
            response = web.json_response(
                {"error": exc.code, "message": exc.message, "field": exc.field}, status=exc.status
            )
    except web.HTTPException as exc:
        if not request.path.startswith(CORS_PATHS) or exc.status < 400:
            metrics.http_requests.labels(str(exc.status)).inc()
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status, "http_error"
        )
        headers = {k: v for k, v in exc.headers.items() if k.lower() != "content-type"}
        response = error_response(exc.status, code, exc.reason, headers)
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if outage.is_redis_error(exc):
            # one log line when Redis goes away (RedisHealth), not a traceback per request
            request.app[REDIS_HEALTH].failed(exc, "http")
            response = outage.unavailable_response()
        else:
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = error_response(500, "internal", "internal server error")
    metrics.http_requests.labels(str(response.status)).inc()
    return response


def cors_origin(settings: Settings, origin: str | None) -> str | None:
    if not origin or not settings.cors_origins:
        return None
    if "*" in settings.cors_origins:
        return "*"
    return origin if origin in settings.cors_origins else None


@web.middleware
async def cors_middleware(request: web.Request, handler):
    allowed = cors_origin(request.app[SETTINGS], request.headers.get("Origin"))
    if not allowed or not request.path.startswith(CORS_PATHS):
        return await handler(request)
    preflight = request.method == "OPTIONS"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if not preflight:
            raise
        response = web.Response(status=204) if exc.status in (404, 405) else exc
    response.headers["Access-Control-Allow-Origin"] = allowed
    response.headers["Vary"] = "Origin"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
    if preflight:
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def exit_for_supervisor(app: web.Application, reason: str) -> None:
    """The embedded Redis cannot be kept up: stop serving; ``livecast serve`` exits 1."""
    app[REDIS_HEALTH].fatal = reason
    os.kill(os.getpid(), signal.SIGTERM)  # web.run_app shuts down in order


async def redis_ctx(app: web.Application):
    settings = app[SETTINGS]
    health = app[REDIS_HEALTH]
    embedded = supervisor = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir)
        url = await asyncio.get_running_loop().run_in_executor(None, embedded.start)
    r = connect(url)
    try:
        await check(r, url)
    except StoreError:
        await r.aclose()
        if embedded:
            embedded.stop()
        raise
    app[REDIS] = r
    app[REDIS_URL] = url
    health.attach(r)
    if embedded is not None:
        supervisor = Supervisor(
            embedded,
            on_give_up=lambda reason: exit_for_supervisor(app, reason),
            on_restart=app[METRICS].redis_restarts.inc,
        )
        supervisor.start()
    try:
        yield
    finally:
        if supervisor is not None:
            await supervisor.stop()
        await health.stop()
        await r.aclose()
        if embedded is not None:
            await asyncio.get_running_loop().run_in_executor(None, embedded.stop)


def create_app(settings: Settings) -> web.Application:
    """The whole server. ``settings`` must have been through ``datadir.prepare``."""
    app = web.Application(
        middlewares=[cors_middleware, errors_middleware], client_max_size=1024 * 1024
    )
    app[SETTINGS] = settings
    app[HUB] = Hub()
    app[METRICS] = Metrics()
    app[REDIS_HEALTH] = outage.RedisHealth(app[METRICS])
    app.on_response_prepare.append(security_headers)
    app.cleanup_ctx.append(redis_ctx)
    lease.setup(app)
    routing.setup(app)
    api.setup(app)
    orders.setup(app)
    order_sweeper.setup(app)
    show_sweeper.setup(app)
    media.setup(app)
    realtime.setup(app)
    pages.setup(app)
    webhooks.setup(app)
    console.setup(app)
    api.setup_fallback(app)
    return app
