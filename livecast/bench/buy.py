"""``livecast bench buy``: buys per second and ack latency with K Socket.IO buyers.

A private redis-server and ``livecast serve`` are started on 127.0.0.1; a live show sells
one product. ``--clients`` python-socketio clients (websocket) each buy one unit at a
time and wait for the ack, until ``--buys`` acks or ``--seconds`` have passed. Then the
figures in Redis are checked against the acks: units sold, stock left, orders appended.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from .report import machine, percentile, print_table, progress, write_json
from .server import RedisProcess, ServerProcess
from .setup import bench_show

MAX_CLIENTS = 2000
MAX_SECONDS = 300
CONNECT_BATCH = 25


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench buy", description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=200, help="Socket.IO buyers (default 200)")
    p.add_argument("--buys", type=int, default=10_000, help="stop after this many acks")
    p.add_argument("--seconds", type=float, default=20.0, help="stop after this long (default 20)")
    p.add_argument("--stock", type=int, default=1_000_000, help="units in stock (default 1e6)")
    p.add_argument("--json", dest="json_path", help="write the figures as JSON")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        p.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 1 <= args.buys <= 1_000_000:
        p.error("--buys must be 1..1000000")
    if not 0 < args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be in (0, {MAX_SECONDS}]")
    if not 0 <= args.stock <= 10**9:
        p.error("--stock must be 0..1000000000")
    return args


async def connect_all(url: str, show: str, count: int) -> list:
    import socketio

    clients: list = []

    async def one(i: int) -> None:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(
            url, auth={"show": show, "name": f"buyer{i}"}, transports=["websocket"], wait_timeout=20
        )
        clients.append(sio)

    for start in range(0, count, CONNECT_BATCH):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + CONNECT_BATCH))))
    return clients


async def load(url: str, show: str, sku: str, args: argparse.Namespace, server) -> dict:
    progress(f"connecting {args.clients} clients")
    clients = await connect_all(url, show, args.clients)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    budget = [args.buys]
    progress(f"buying: up to {args.buys} buys or {args.seconds:g} s")
    cpu0 = server.cpu_seconds()
    started = loop.time()
    deadline = started + args.seconds

    async def buyer(sio) -> None:
        while budget[0] > 0 and loop.time() < deadline:
            budget[0] -= 1
            payload = {"sku": sku, "qty": 1, "order_id": uuid.uuid4().hex}
            t0 = loop.time()
            ack = await sio.call("buy", payload, timeout=30)
            latencies.append((loop.time() - t0) * 1000)
            if not ack.get("ok"):
                code = ack.get("error", "?")
                errors[code] = errors.get(code, 0) + 1

    try:
        await asyncio.gather(*(buyer(sio) for sio in clients))
        elapsed = loop.time() - started
        cpu = (server.cpu_seconds() - cpu0) / elapsed * 100 if elapsed else None
    finally:
        await asyncio.gather(*(sio.disconnect() for sio in clients), return_exceptions=True)
    ok = len(latencies) - sum(errors.values())
    return {
        "clients": len(clients),
        "acks": len(latencies),
        "ok": ok,
        "errors": errors,
        "seconds": elapsed,
        "buys_per_s": ok / elapsed if elapsed else None,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else None,
        "server_cpu_pct": cpu,
    }


async def figures_in_redis(redis_url: str, show: str, sku: str) -> dict:
    from livecast.store import connect, keys

    r = connect(redis_url)
    try:
        sold = int(await r.hget(keys.sold(show), sku) or 0)
        stock = await r.hget(keys.stock(show), sku)
        orders = await r.xlen(keys.orders(show))
    finally:
        await r.aclose()
    return {"sold": sold, "stock": None if stock is None else int(stock), "orders": orders}


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="livecast-bench-") as tmp:
        tmp = Path(tmp)
        redis = RedisProcess(tmp / "redis")
        server = ServerProcess(tmp / "server", env={"REDIS_URL": redis.url})
        try:
            server.start()
            show, sku = bench_show(redis.url, stock=args.stock)
            progress(f"server {server.base_url} (pid {server.pid}), show {show}")
            figures = asyncio.run(load(server.base_url, show, sku, args, server))
            stored = asyncio.run(figures_in_redis(redis.url, show, sku))
        finally:
            server.stop()
            redis.stop()
    exact = (
        stored["sold"] == figures["ok"]
        and stored["orders"] == figures["ok"]
        and stored["stock"] == args.stock - figures["ok"]
    )
    figures.update(stored, exact=exact)
    return {"bench": "buy", "machine": machine(), "args": vars(args), "figures": figures}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    data = run(args)
    f = data["figures"]
    print_table(
        f"bench buy: {f['clients']} clients, {f['acks']} acks in {f['seconds']:.2f} s",
        [f],
        [("clients", "clients"), ("ok", "bought"), ("buys_per_s", "buys/s"),
         ("p50_ms", "ack p50 ms"), ("p99_ms", "ack p99 ms"), ("max_ms", "max ms"),
         ("server_cpu_pct", "server CPU %")],
    )  # fmt: skip
    if f["errors"]:
        print(f"refused buys: {f['errors']}")
    verdict = "exact" if f["exact"] else "MISMATCH"
    print(f"redis: sold {f['sold']}, stock left {f['stock']}, orders {f['orders']} ({verdict})")
    write_json(args.json_path, data)
    progress(f"done in {time.monotonic() - started:.1f} s")
    return 0 if f["exact"] and f["ok"] else 1
