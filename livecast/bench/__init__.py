"""Benchmarks behind ``livecast bench relay|buy|chat|soak|page|hls|cascade``: they print
figures, they are not tests.

Every load loop is bounded in count and time and sends traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import importlib
import sys

BENCHES = {
    "relay": "one publisher, N viewers: server CPU, fps, loss, latency (vs transcoding)",
    "buy": "K Socket.IO buyers: buys/s, ack latency, exact figures (vs Lua on Redis)",
    "chat": "M clients, R messages/s: delivery latency with sales/viewers traffic",
    "soak": "M minutes of churn: server RSS, fds, asyncio tasks, Redis memory over time",
    "page": "the watch page in Chromium: bytes, module depth, first frame (slow network too)",
    "cascade": "two nodes, one publisher, N viewers on each: the latency the hop adds",
    "hls": "M LL-HLS players through an nginx cache: req/s, origin CPU, behind live p50/p99",
}


def usage() -> str:
    lines = [f"usage: livecast bench {{{','.join(BENCHES)}}} [--help] [...]", ""]
    lines += [f"  {name:<7} {about}" for name, about in BENCHES.items()]
    return "\n".join(lines)


def main(argv: list[str], settings=None) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in BENCHES:
        print(f"livecast bench: unknown benchmark {name!r}\n{usage()}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ImportError as exc:
        print(f"livecast bench: {exc.name} is missing: pip install 'livecast[bench]'",
              file=sys.stderr)  # fmt: skip
        return 2
    return module.main(rest) or 0
