"""``livecast bench cascade``: what the hop from one node to another adds.

Starts a redis-server and two nodes (``livecast serve``, one process each, the same
``REDIS_URL`` and ``LIVECAST_SECRET``, ``LIVECAST_NODE_URL`` their own loopback URL),
creates a show, publishes VP8 (encoded here at ``--bitrate``, a frame counter in the
picture) + Opus to node A, and joins N WHEP viewers on A and N on B: B's viewers get the
frames through B's edge feed (one WHEP session from B to A). Over a measured window it
prints, per node, each frame's latency (publisher send time vs its arrival at each light
viewer, both on CLOCK_MONOTONIC, matched by the frame's first bytes, as ``bench relay``),
delivered fps, RTP loss and the server's CPU; and the hop: per frame, its mean arrival
on B's viewers minus its mean arrival on A's. Loopback only; bounded in viewers and time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from ..devtools.processes import RedisProcess, ServerProcess
from .relay import Workers, fmt_opt, live_publisher
from .report import machine, percentile, print_table, progress, write_json

MAX_VIEWERS = 200  # per node
MAX_SECONDS = 120
TARGET_HOP_P99_MS = 30.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench cascade", description=__doc__.split("\n\n")[0])
    p.add_argument("--viewers", type=int, default=10, help="viewers on EACH node")
    p.add_argument("--seconds", type=float, default=10.0, help="measured window")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds after the joins")
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--size", default="640x480", help="picture WxH")
    p.add_argument("--bitrate", type=int, default=1_000_000, help="VP8 target bits/s")
    p.add_argument("--decoding", type=int, default=1, help="viewers per node that decode")
    p.add_argument("--workers", type=int, default=1, help="load generator processes per node")
    p.add_argument("--pin", action="store_true", help="both nodes on core 0, load on the others")
    p.add_argument("--join-concurrency", type=int, default=8, help="joins in flight per worker")
    p.add_argument("--json", dest="json_path", help="write the figures as JSON")
    args = p.parse_args(argv)
    if not 1 <= args.viewers <= MAX_VIEWERS:
        p.error(f"--viewers must be in 1..{MAX_VIEWERS}")
    if not 0 < args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be in (0, {MAX_SECONDS}]")
    if not 0 <= args.decoding < args.viewers:
        p.error("--decoding must leave at least one light viewer per node (latency)")
    args.width, args.height = (int(x) for x in args.size.split("x"))
    args.workers = max(1, min(args.workers, args.viewers))
    return args


def node_figures(name, joins, answers, sent, ambiguous, wall, cpu) -> dict:
    """One node's viewers over the window; ``arrivals``: frame key -> [arrival times]."""
    light = [v for a in answers for v in a["light"]]
    decoders = [d for a in answers for d in a["decoders"]]
    fps = [v["video"][3] / wall for v in light] + [d["frames"] / wall for d in decoders]
    received = sum(v["video"][0] + v["audio"][0] for v in light)
    gaps = sum(v["video"][1] + v["audio"][1] for v in light)
    arrivals: dict[bytes, list[float]] = defaultdict(list)
    for v in light:
        for key, t in v["starts"]:
            if key in sent and key not in ambiguous:
                arrivals[key].append(t)
    latencies = [(t - sent[key]) * 1000 for key, ts in arrivals.items() for t in ts]
    starts = sum(len(v["starts"]) for v in light)
    ok = [j for j in joins if j["ok"]]
    ttff = [j["ttff_s"] * 1000 for j in ok if j.get("ttff_s") is not None]
    return {
        "node": name,
        "viewers": len(joins),
        "joined": len(ok),
        "join_errors": sorted({j["error"] for j in joins if not j["ok"]})[:3],
        "ttff_max_ms": max(ttff) if ttff else None,
        "server_cpu_pct": cpu,
        "fps_min": min(fps) if fps else None,
        "fps_median": statistics.median(fps) if fps else None,
        "loss_pct": 100 * gaps / (received + gaps) if received + gaps else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_p99_ms": percentile(latencies, 99),
        "latency_max_ms": max(latencies) if latencies else None,
        "latency_samples": len(latencies),
        "latency_matched_pct": 100 * len(latencies) / starts if starts else None,
        "decoded_frames": sum(d["frames"] for d in decoders),
        "decoded_backwards": sum(d["backwards"] for d in decoders),
        "arrivals": arrivals,
    }


def hop_figures(a: dict, b: dict) -> dict:
    """Per frame seen on both nodes: mean arrival on B minus mean arrival on A."""
    hops = [
        (statistics.fmean(b["arrivals"][key]) - statistics.fmean(times)) * 1000
        for key, times in a["arrivals"].items()
        if key in b["arrivals"]
    ]
    histogram: dict[str, int] = {}
    for hop in hops:  # 5 ms bins, to tell scheduling noise from a held frame (33 ms)
        low = int(hop // 5) * 5
        histogram[f"{low}..{low + 5}"] = histogram.get(f"{low}..{low + 5}", 0) + 1
    return {
        "node": "hop B-A",
        "histogram_ms": dict(sorted(histogram.items(), key=lambda kv: int(kv[0].split("..")[0]))),
        "latency_p50_ms": percentile(hops, 50),
        "latency_p95_ms": percentile(hops, 95),
        "latency_p99_ms": percentile(hops, 99),
        "latency_max_ms": max(hops) if hops else None,
        "latency_samples": len(hops),
    }


def start_nodes(
    tmp: Path, redis_url: str, token: str, max_viewers: int, pin: bool
) -> list[ServerProcess]:
    secret = secrets.token_urlsafe(32)
    nodes = []
    for name in ("a", "b"):
        env = {"REDIS_URL": redis_url, "LIVECAST_SECRET": secret, "LIVECAST_WORKERS": "1",
               "LIVECAST_ADMIN_TOKEN": token,
               "LIVECAST_MAX_VIEWERS": str(max_viewers)}  # fmt: skip
        node = ServerProcess(tmp / name, env=env, cpus={0} if pin else None)
        node.env["LIVECAST_NODE_URL"] = node.base_url
        nodes.append(node)
    for node in nodes:
        node.start()
    return nodes


async def run(args) -> dict:
    if args.pin:  # this process (the publisher) off the nodes' core too
        cpus = os.sched_getaffinity(0)
        if len(cpus) > 1:
            os.sched_setaffinity(0, cpus - {0})
    tmp = tempfile.TemporaryDirectory(prefix="livecast-bench-cascade-")
    token = secrets.token_urlsafe(24)
    redis = None
    nodes: list[ServerProcess] = []
    publisher = None
    workers: dict[str, Workers] = {}
    try:
        redis = RedisProcess(Path(tmp.name) / "redis", tcp=True)
        nodes = start_nodes(Path(tmp.name), redis.tcp_url, token, args.viewers + 10, args.pin)
        a, b = nodes
        progress(f"node A {a.base_url} pid {a.pid}, node B {b.base_url} pid {b.pid}, "
                 f"redis {redis.tcp_url}")  # fmt: skip
        publisher, show, pub_fps, pub_kbps = await live_publisher(
            a.base_url, token, "bench cascade", args, settle=2.0
        )
        track = publisher.video
        progress(f"publisher on A: VP8 {args.width}x{args.height} {pub_fps:.1f} fps "
                 f"{pub_kbps:.0f} kbit/s + Opus")  # fmt: skip
        joins = {}
        for name, node in (("A", a), ("B", b)):
            workers[name] = Workers(args.workers, node.base_url, show, args.decoding, args.pin)
            progress(f"joining {args.viewers} viewers on {name}")
            joins[name], _ = await workers[name].grow_to(args.viewers, args.join_concurrency)
        await asyncio.sleep(args.warmup)
        progress(f"{args.viewers} + {args.viewers} viewers: measuring {args.seconds:g} s")
        await asyncio.gather(*(w.all("mark") for w in workers.values()))
        cpu0 = [node.cpu_seconds() for node in nodes]
        w0 = time.monotonic()
        await asyncio.sleep(args.seconds)
        wall = time.monotonic() - w0
        # the machine's 1-minute load average: other work on a shared host shows here
        loadavg = os.getloadavg()[0]
        cpu = [100 * (node.cpu_seconds() - c) / wall for node, c in zip(nodes, cpu0, strict=True)]
        answers = await asyncio.gather(*(w.all("collect", timeout=120) for w in workers.values()))
        per_node = [
            node_figures(name, joins[name], ans, track.sent, track.ambiguous, wall, c)
            for name, ans, c in zip(("A", "B"), answers, cpu, strict=True)
        ]
        hop = hop_figures(*per_node)
    finally:
        for w in workers.values():
            await w.stop()
        if publisher is not None:
            await publisher.close()
        for node in nodes:
            node.stop()
        if redis is not None:
            redis.stop()
        tmp.cleanup()
    for figures in per_node:
        figures.pop("arrivals")
    return {
        "bench": "cascade",
        "machine": machine(),
        "args": vars(args),
        "publisher_fps": pub_fps,
        "publisher_kbps": pub_kbps,
        "nodes": per_node,
        "hop": hop,
        "loadavg": loadavg,
        "target_hop_p99_ms": TARGET_HOP_P99_MS,
    }


COLUMNS = [
    ("node", "node"), ("joined", "viewers"), ("server_cpu_pct", "CPU %"),
    ("fps_min", "fps min"), ("fps_median", "fps med"), ("loss_pct", "loss %"),
    ("ttff_max_ms", "TTFF max ms"),
    ("latency_p50_ms", "lat p50 ms"), ("latency_p95_ms", "lat p95 ms"),
    ("latency_p99_ms", "lat p99 ms"), ("latency_max_ms", "lat max ms"),
    ("latency_samples", "samples"),
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv or [])
    logging.getLogger("aioice").setLevel(logging.WARNING)
    data = asyncio.run(run(args))
    hop = data["hop"]
    print_table(
        f"bench cascade: VP8 {args.size} {data['publisher_fps']:.1f} fps "
        f"{data['publisher_kbps']:.0f} kbit/s + Opus on node A; {args.viewers} viewers on A "
        f"and {args.viewers} on B (through B's edge feed); {args.seconds:g} s window; "
        f"load average {data['loadavg']:.2f}",
        [*data["nodes"], hop],
        COLUMNS,
    )
    for figures in data["nodes"]:
        if figures["join_errors"] or figures["decoded_backwards"]:
            print(f"  node {figures['node']}: join errors {figures['join_errors']}; decoded "
                  f"counter went backwards {figures['decoded_backwards']} times")  # fmt: skip
    p99 = hop["latency_p99_ms"]
    verdict = "-" if p99 is None else ("met" if p99 <= TARGET_HOP_P99_MS else "MISSED")
    print(f"\nhop added (B - A, per frame): p50 {fmt_opt(hop['latency_p50_ms'])} ms, "
          f"p99 {fmt_opt(p99)} ms; target p99 <= {TARGET_HOP_P99_MS:g} ms: {verdict}")  # fmt: skip
    write_json(args.json_path, data)
    return 0
