"""Typed keys for the state the app owns (imported by every plane, imports none)."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from .config import Settings
from .hub import Hub
from .metrics import Metrics
from .node import Card
from .outage import RedisHealth
from .store.orders import Orders

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", Redis)
REDIS_URL = web.AppKey("redis_url", str)
HUB = web.AppKey("hub", Hub)
METRICS = web.AppKey("metrics", Metrics)
REDIS_HEALTH = web.AppKey("redis_health", RedisHealth)
ORDERS = web.AppKey("orders", Orders)
PROCESS_ID = web.AppKey("process_id", str)
PROCESS_CARD = web.AppKey("process_card", Card)
