"""Webhooks: the sender of the durable outbox and its admin routes (docs/webhooks.md).

``setup(app)`` registers the routes and the sender's ``cleanup_ctx`` (after the Redis
one). ``sign`` and ``verify`` are the ``Livecast-Signature`` scheme.
"""

from __future__ import annotations

from aiohttp import web

from ..appkeys import METRICS, REDIS, SETTINGS
from .retry import RetryPolicy
from .routes import routes
from .sender import WebhookSender
from .signing import sign, verify

__all__ = ["SENDER_OPTIONS", "WEBHOOKS", "RetryPolicy", "WebhookSender", "setup", "sign", "verify"]

WEBHOOKS = web.AppKey("webhooks", WebhookSender)
# keyword arguments for WebhookSender (tests: clock, timeout, policy, lease_ttl)
SENDER_OPTIONS = web.AppKey("webhook_sender_options", dict)


async def sender_ctx(app: web.Application):
    options = app.get(SENDER_OPTIONS, {})
    sender = WebhookSender(app[REDIS], app[SETTINGS], app[METRICS], **options)
    app[WEBHOOKS] = sender
    await sender.start()
    try:
        yield
    finally:
        await sender.stop()


def setup(app: web.Application) -> None:
    app.add_routes(routes)
    app.cleanup_ctx.append(sender_ctx)
