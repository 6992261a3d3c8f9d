"""Prometheus metrics, one registry per app (tests build many apps in one process)."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "livecast_http_requests", "HTTP requests answered", ["status"], registry=r
        )
        self.live_shows = Gauge("livecast_live_shows", "shows with a live WHIP session", registry=r)
        self.whep_sessions = Gauge(
            "livecast_whep_sessions", "connected WHEP viewers in this process", registry=r
        )
        self.forwarded_packets = Counter(
            "livecast_forwarded_packets", "encoded packets handed to viewers", ["kind"], registry=r
        )
        self.ingest_packets = Counter(
            "livecast_ingest_packets", "RTP packets received from hosts", ["kind"], registry=r
        )
        self.ingest_gaps = Counter(
            "livecast_ingest_gaps",
            "RTP sequence numbers skipped in hosts' streams (before retransmission)",
            ["kind"],
            registry=r,
        )
        self.ingest_late = Counter(
            "livecast_ingest_late",
            "RTP packets from hosts arriving behind the highest sequence (reordered or RTX)",
            ["kind"],
            registry=r,
        )
        self.socket_clients = Gauge(
            "livecast_socket_clients", "Socket.IO clients connected to this process", registry=r
        )
        self.socketio_refused = Counter(
            "livecast_socketio_refused",
            "Socket.IO connections closed for hostile input (binary, malformed, too_large, "
            "no_length)",
            ["reason"],
            registry=r,
        )
        # leaks show here first (livecast bench soak): tasks, and the process's RSS and fds
        self.asyncio_tasks = Gauge(
            "livecast_asyncio_tasks", "asyncio tasks alive in this process", registry=r
        )
        self.asyncio_tasks.set_function(_task_count)
        ProcessCollector(registry=r)
        self.buys = Counter("livecast_buys", "buy attempts by result", ["result"], registry=r)
        self.units_sold = Counter("livecast_units_sold", "units sold through buys", registry=r)
        self.order_moves = Counter(
            "livecast_order_transitions", "orders moved to a status", ["status"], registry=r
        )
        self.chat_messages = Counter("livecast_chat_messages", "chat messages accepted", registry=r)
        self.chat_sampled_out = Counter(
            "livecast_chat_sampled_out",
            "chat messages left out of viewers' sampled chat:batch (staff got them)",
            registry=r,
        )
        self.recordings = Gauge(
            "livecast_recordings_active", "recordings being written", registry=r
        )
        # Redis faults (livecast/outage.py, the hub bridge, the embedded server's supervisor)
        self.redis_up = Gauge("livecast_redis_up", "1 while this process reaches Redis", registry=r)
        self.redis_outages = Counter(
            "livecast_redis_outages", "times Redis became unavailable", registry=r
        )
        self.redis_errors = Counter(
            "livecast_redis_errors",
            "Redis errors met (answered 503 on HTTP), by where they were met",
            ["where"],
            registry=r,
        )
        self.redis_reconnects = Counter(
            "livecast_redis_reconnects",
            "Redis loops (pub/sub) that reconnected after losing Redis",
            ["loop"],
            registry=r,
        )
        self.redis_restarts = Counter(
            "livecast_redis_restarts", "restarts of the embedded redis-server", registry=r
        )
        # webhooks (livecast/webhooks/sender.py)
        self.webhook_deliveries = Counter(
            "livecast_webhook_deliveries",
            "webhook outcomes: delivered, retried (an attempt failed), failed (given up), "
            "skipped (no URL)",
            ["outcome"],
            registry=r,
        )
        self.webhook_backlog = Gauge(
            "livecast_webhook_backlog",
            "outbox events this process has read and not yet settled (the leader's queue)",
            registry=r,
        )
        self.webhook_leader = Gauge(
            "livecast_webhook_leader", "1 while this process holds the webhook lease", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _task_count() -> int:
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:  # rendered outside the event loop
        return 0
