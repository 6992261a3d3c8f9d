"""Prometheus metrics, one registry per app (tests build many apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
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
        self.buys = Counter("livecast_buys", "buy attempts by result", ["result"], registry=r)
        self.units_sold = Counter("livecast_units_sold", "units sold through buys", registry=r)
        self.chat_messages = Counter("livecast_chat_messages", "chat messages accepted", registry=r)
        self.recordings = Gauge(
            "livecast_recordings_active", "recordings being written", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
