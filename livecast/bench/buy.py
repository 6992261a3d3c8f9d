"""``livecast bench buy``: buys per second and ack latency with K Socket.IO buyers.

A private redis-server and ``livecast serve`` are started on 127.0.0.1 (the server on
core 0 with ``--pin``); a live show sells one product with stock S. K buyers (the lean
Socket.IO client, spread over worker processes kept off the server's core) each buy one
unit at a time and wait for the ack — as fast as they can, or at ``--rate`` buys/s in
all — until ``--buys`` acks or ``--seconds`` have passed. Then Redis is checked: units
sold == min(S, successes), stock never negative, orders in the stream == successes.

A buy reserves the units as an order (status reserved, a hold deadline), so buys/s here
are reservations/s. Then the expiry sweep: every reservation's hold is made due at once
and the server's sweeper returns the units; reported as units returned/s, checked exact
(stock back to S, sold 0, every order expired).

Baseline, in the same run: the same Lua buy script called straight on Redis by K
concurrent callers (no Socket.IO, no server), the ceiling the Socket.IO path is a ratio of.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from ..devtools.processes import RedisProcess, ServerProcess
from .report import machine, percentile, plot, print_table, progress, write_json
from .setup import bench_show
from .sioclient import LightClient
from .workers import Workers, split

MAX_CLIENTS = 5000
MAX_SECONDS = 300
COLUMNS = [
    ("path", "path"),
    ("clients", "clients"),
    ("ok", "bought"),
    ("buys_per_s", "reservations/s"),
    ("p50_ms", "ack p50 ms"),
    ("p95_ms", "ack p95 ms"),
    ("p99_ms", "ack p99 ms"),
    ("max_ms", "max ms"),
    ("server_cpu_pct", "server CPU %"),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench buy", description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=200, help="Socket.IO buyers (default 200)")
    p.add_argument("--buys", type=int, default=50_000, help="stop after this many acks")
    p.add_argument("--seconds", type=float, default=20.0, help="stop after this long (default 20)")
    p.add_argument("--stock", type=int, default=1_000_000, help="units in stock (default 1e6)")
    p.add_argument("--rate", type=float, default=0, help="target buys/s in all (0: closed loop)")
    p.add_argument(
        "--load-procs",
        type=int,
        default=max(1, (os.cpu_count() or 2) - 1),
        help="load generator processes",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        choices=range(1, 17),
        metavar="N",
        help="server processes (serve --workers N, default 1)",
    )
    p.add_argument("--pin", action="store_true", help="server on core 0, load on the others")
    p.add_argument("--no-baseline", action="store_true", help="skip the Lua-on-Redis baseline")
    p.add_argument("--json", dest="json_path", help="write the figures as JSON")
    p.add_argument("--plot", help="draw the ack latency distributions (PNG)")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        p.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 1 <= args.buys <= 1_000_000:
        p.error("--buys must be 1..1000000")
    if not 0 < args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be in (0, {MAX_SECONDS}]")
    if not 0 <= args.stock <= 10**9:
        p.error("--stock must be 0..1000000000")
    if not 0 <= args.rate <= 100_000:
        p.error("--rate must be 0..100000")
    args.load_procs = max(1, min(args.load_procs, args.clients))
    return args


@dataclass(frozen=True)
class Job:
    base_url: str
    show: str
    sku: str
    clients: int
    buys: int
    rate: float  # buys/s for this worker, 0: closed loop
    seconds: float
    start_at: float


async def buy_loops(job: Job, buy_one, count: int) -> dict:
    """``count`` concurrent loops calling ``buy_one()`` until the budget or time runs out."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    budget = [job.buys]
    began = time.monotonic()
    deadline = began + job.seconds
    period = count / job.rate if job.rate else 0.0

    async def loop(index: int) -> None:
        next_at = began + (period * index / count if period else 0.0)
        while budget[0] > 0 and time.monotonic() < deadline:
            if period:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += period
            budget[0] -= 1
            t0 = time.monotonic()
            try:
                ack = await asyncio.wait_for(buy_one(index), 30)
            except (TimeoutError, ConnectionError):
                ack = {"ok": False, "error": "timeout"}
            latencies.append((time.monotonic() - t0) * 1000)
            if not ack.get("ok"):
                code = ack.get("error", "?")
                errors[code] = errors.get(code, 0) + 1

    await asyncio.gather(*(loop(i) for i in range(count)))
    return {"latencies": latencies, "errors": errors, "seconds": time.monotonic() - began}


async def socketio_worker(job: Job) -> dict:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        clients = []
        for n in range(job.clients):
            auth = {"show": job.show, "name": f"buyer{n}"}
            clients.append(await LightClient(session, job.base_url, auth).connect())
        await asyncio.sleep(max(0.0, job.start_at - time.time()))

        def buy_one(index: int):
            order = {"sku": job.sku, "qty": 1, "order_id": uuid.uuid4().hex}
            return clients[index].emit("buy", order)

        try:
            return await buy_loops(job, buy_one, len(clients))
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def lua_baseline(redis_url: str, show: str, sku: str, args) -> dict:
    from livecast.store import connect
    from livecast.store.sales import Buyer

    r = connect(redis_url)
    buyer = Buyer(r)
    job = Job("", show, sku, args.clients, args.buys, args.rate, args.seconds, 0)

    def buy_one(index: int):
        return buyer.buy(show, f"u{index}", "bench", sku, 1, uuid.uuid4().hex)

    try:
        return await buy_loops(job, buy_one, args.clients)
    finally:
        await r.aclose()


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


async def expiry_sweep(redis_url: str, show: str, sku: str, stock: int, limit: float) -> dict:
    """Make every reservation of the show due now; time the server's sweeper returning them."""
    from livecast.store import connect, keys
    from livecast.store.orders import Orders

    r = connect(redis_url)
    try:
        order_ids = await r.zrange(keys.show_orders(show), 0, -1)
        started = time.monotonic()
        for i in range(0, len(order_ids), 5000):
            await r.zadd(keys.ORDER_DEADLINES, dict.fromkeys(order_ids[i : i + 5000], 1))
        while time.monotonic() - started < limit:
            left = await r.zcount(keys.ORDER_DEADLINES, "-inf", 1)
            if left == 0:
                break
            await asyncio.sleep(0.05)
        seconds = time.monotonic() - started
        remaining = await r.hget(keys.stock(show), sku)
        sold = int(await r.hget(keys.sold(show), sku) or 0)
        orders = await Orders(r).all_for_show(show)
        expired = sum(order["status"] == "expired" for order in orders)
    finally:
        await r.aclose()
    return {
        "orders": len(order_ids),
        "seconds": seconds,
        "units_per_s": len(order_ids) / seconds if seconds else None,
        "exact": remaining is not None
        and int(remaining) == stock
        and sold == 0
        and expired == len(order_ids),
        "stock": None if remaining is None else int(remaining),
        "sold": sold,
        "expired": expired,
    }


def summarize(path: str, clients: int, runs: list[dict], cpu: float | None) -> dict:
    latencies = [x for run in runs for x in run["latencies"]]
    errors: dict[str, int] = {}
    for run in runs:
        for code, n in run["errors"].items():
            errors[code] = errors.get(code, 0) + n
    seconds = max(run["seconds"] for run in runs)
    ok = len(latencies) - sum(errors.values())
    return {
        "path": path,
        "clients": clients,
        "acks": len(latencies),
        "ok": ok,
        "errors": errors,
        "seconds": seconds,
        "buys_per_s": ok / seconds if seconds else None,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else None,
        "server_cpu_pct": cpu,
        "latencies": latencies,
    }


def check(stored: dict, ok: int, stock: int) -> bool:
    """sold == min(S, successes), stock never negative, one order per success."""
    return (
        stored["sold"] == min(stock, ok) == ok
        and stored["orders"] == ok
        and stored["stock"] is not None
        and stored["stock"] >= 0
        and stored["stock"] == stock - ok
    )


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="livecast-bench-") as tmp:
        tmp = Path(tmp)
        redis = RedisProcess(tmp / "redis")
        server = ServerProcess(
            tmp / "server",
            env={"REDIS_URL": redis.url, "LIVECAST_WORKERS": str(args.workers)},
            cpus={0} if args.pin else None,
        )
        try:
            server.start()
            show, sku = bench_show(redis.url, stock=args.stock)
            progress(f"server {server.base_url} (pid {server.pid}), show {show}")
            start_at = time.time() + max(5.0, args.clients / 100)
            jobs = [
                Job(server.base_url, show, sku, n, b, args.rate * n / args.clients,
                    args.seconds, start_at)
                for n, b in zip(split(args.clients, args.load_procs),
                                split(args.buys, args.load_procs), strict=True)
            ]  # fmt: skip
            progress(
                f"{args.workers} server process(es); {args.load_procs} load processes "
                f"connecting {args.clients} buyers"
            )
            workers = Workers(socketio_worker, jobs, pin=args.pin).start()
            time.sleep(max(0.0, start_at - time.time()))
            progress(f"buying: up to {args.buys} buys or {args.seconds:g} s")
            cpu0, wall0 = server.cpu_seconds(), time.monotonic()
            runs = workers.results(timeout=args.seconds + 120)
            cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - wall0) * 100
            socketio_path = summarize("Socket.IO", args.clients, runs, cpu)
            stored = asyncio.run(figures_in_redis(redis.url, show, sku))
            socketio_path.update(stored, exact=check(stored, socketio_path["ok"], args.stock))
            rows = [socketio_path]
            progress(f"expiry sweep: {socketio_path['ok']} reservations due at once")
            cpu0, wall0 = server.cpu_seconds(), time.monotonic()
            sweep = asyncio.run(expiry_sweep(redis.url, show, sku, args.stock, 120))
            sweep["server_cpu_pct"] = (
                (server.cpu_seconds() - cpu0) / (time.monotonic() - wall0) * 100
            )
            if not args.no_baseline:
                progress("baseline: the same Lua script straight on Redis")
                base_show, _ = bench_show(redis.url, stock=args.stock)
                base = asyncio.run(lua_baseline(redis.url, base_show, sku, args))
                baseline = summarize("Lua on Redis", args.clients, [base], None)
                stored = asyncio.run(figures_in_redis(redis.url, base_show, sku))
                baseline.update(stored, exact=check(stored, baseline["ok"], args.stock))
                rows.append(baseline)
        finally:
            server.stop()
            redis.stop()
    return {
        "bench": "buy",
        "machine": machine(),
        "args": vars(args),
        "rows": rows,
        "sweep": sweep,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    data = run(args)
    rows = data["rows"]
    print_table(f"bench buy: {args.clients} buyers, stock {args.stock:,}", rows, COLUMNS)
    for row in rows:
        if row["errors"]:
            print(f"{row['path']}: refused buys: {row['errors']}")
        verdict = "exact" if row["exact"] else "MISMATCH"
        print(f"{row['path']}: redis sold {row['sold']}, stock left {row['stock']}, "
              f"orders {row['orders']} ({verdict})")  # fmt: skip
    sweep = data["sweep"]
    verdict = "exact" if sweep["exact"] else "MISMATCH"
    rate = f"{sweep['units_per_s']:,.0f}" if sweep["units_per_s"] else "-"
    print(
        f"expiry sweep: {sweep['orders']} reservations expired in {sweep['seconds']:.2f} s "
        f"({rate} units returned/s, server CPU {sweep['server_cpu_pct']:.0f}%); "
        f"stock back to {sweep['stock']}, sold {sweep['sold']}, "
        f"{sweep['expired']} orders expired ({verdict})"
    )
    if len(rows) == 2 and rows[1]["buys_per_s"]:
        ratio = rows[0]["buys_per_s"] / rows[1]["buys_per_s"]
        print(f"Socket.IO path: {100 * ratio:.0f}% of the Lua-on-Redis ceiling")
    write_json(args.json_path, {**data, "rows": [
        {k: v for k, v in row.items() if k != "latencies"} for row in rows
    ]})  # fmt: skip

    def draw(plt):
        plt.figure(figsize=(6, 3.5))
        for row in rows:
            lat = sorted(row["latencies"])
            if lat:
                plt.plot(lat, [100 * (i + 1) / len(lat) for i in range(len(lat))],
                         label=f"{row['path']} ({row['buys_per_s']:,.0f}/s)")  # fmt: skip
        plt.xscale("log")
        plt.xlabel("ack latency (ms, log)")
        plt.ylabel("% of buys")
        plt.title(f"buy: {args.clients} buyers")
        plt.legend()
        plt.grid(True, alpha=0.3)

    plot(args.plot, draw)
    progress(f"done in {time.monotonic() - started:.1f} s")
    exact = all(row["exact"] for row in rows) and sweep["exact"]
    return 0 if exact and rows[0]["ok"] else 1
