"""``livecast bench soak``: a bounded churn against one server for M minutes; its memory,
file descriptors, asyncio tasks and Redis memory over time.

A private redis-server and ``livecast serve`` are started on 127.0.0.1 with a live show.
For M minutes, N viewers join and leave (lean Socket.IO clients staying 5-30 s each), B
buyers buy every ~2 s and C chatters chat every ~3 s (both reconnect every 30-120 s), and
W WHEP players come and go (15-40 s each) on a synthetic WHIP publisher. Every ~30 s it
prints the server's RSS, open fds and asyncio tasks (``livecast_asyncio_tasks`` in
/metrics) and Redis ``used_memory``; at the end, each one's slope per minute after the
warm-up. Exits 1 if the RSS grew by more than ``--max-rss-growth`` MB after the warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from ..devtools.processes import RedisProcess, ServerProcess
from .report import fmt, machine, print_table, progress, write_json
from .setup import bench_show
from .sioclient import ConnectRefused, LightClient

MAX_MINUTES = 240
VIEWER_STAY = (5.0, 30.0)
ACTIVE_STAY = (30.0, 120.0)
WHEP_STAY = (15.0, 40.0)
REST_SECONDS = 30.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, required=True, help="how long to churn")
    p.add_argument("--viewers", type=int, default=200, help="viewers coming and going (200)")
    p.add_argument("--buyers", type=int, default=20, help="clients buying every ~2 s (20)")
    p.add_argument("--chatters", type=int, default=20, help="clients chatting every ~3 s (20)")
    p.add_argument("--whep", type=int, default=2, help="WHEP players coming and going (2)")
    p.add_argument("--every", type=float, default=30.0, help="seconds between samples (30)")
    p.add_argument(
        "--max-rss-growth", type=float, default=25.0, help="MB of RSS growth that fails (25)"
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", dest="json_path", help="write the samples and figures as JSON")
    args = p.parse_args(argv)
    if not 0 < args.minutes <= MAX_MINUTES:
        p.error(f"--minutes must be in (0, {MAX_MINUTES}]")
    for name, limit in (("viewers", 2000), ("buyers", 500), ("chatters", 500), ("whep", 20)):
        if not 0 <= getattr(args, name) <= limit:
            p.error(f"--{name} must be 0..{limit}")
    if args.every <= 0:
        p.error("--every must be positive")
    return args


# what the server looks like from outside
async def metric(http: aiohttp.ClientSession, base: str, name: str) -> float | None:
    try:
        async with http.get(base + "/metrics", timeout=aiohttp.ClientTimeout(total=10)) as res:
            text = await res.text()
    except (aiohttp.ClientError, TimeoutError):
        return None
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def proc_figures(pid: int) -> tuple[float, int]:
    """(RSS in MB, open file descriptors) of a process, from /proc."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


async def sample(http, base: str, pid: int, store, t0: float, counts: Counter) -> dict:
    rss, fds = proc_figures(pid)
    info = await store.info("memory")
    return {
        "minute": (time.monotonic() - t0) / 60,
        "rss_mb": rss,
        "fds": fds,
        "tasks": await metric(http, base, "livecast_asyncio_tasks"),
        "sockets": await metric(http, base, "livecast_socket_clients"),
        "redis_mb": info["used_memory"] / 1024 / 1024,
        **{k: counts[k] for k in ("joins", "buys", "chats", "whep")},
    }


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (minute, value) points, per minute."""
    points = [(x, y) for x, y in points if y is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


# the load: every loop ends at the deadline
class Load:
    def __init__(self, http, base: str, show: str, sku: str, deadline: float, seed: int):
        self.http = http
        self.base = base
        self.show = show
        self.sku = sku
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.counts: Counter = Counter()
        self.errors: Counter = Counter()

    def left(self) -> float:
        return self.deadline - time.monotonic()

    async def pause(self, low: float, high: float) -> None:
        await asyncio.sleep(max(0.0, min(self.rng.uniform(low, high), self.left())))

    async def join(self, name: str) -> LightClient | None:
        client = LightClient(self.http, self.base, {"show": self.show, "name": name})
        try:
            await client.connect(timeout=20)
        except (ConnectRefused, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.errors[f"join: {type(exc).__name__}"] += 1
            await client.close()
            await self.pause(0.5, 1.5)
            return None
        self.counts["joins"] += 1
        return client

    async def viewer(self, i: int) -> None:
        await self.pause(0, min(10.0, self.left() / 3))
        while self.left() > 0:
            client = await self.join(f"시청자{i}")
            if client is None:
                continue
            await self.pause(*VIEWER_STAY)
            await client.close()
            await self.pause(0.2, 2.0)

    async def active(self, i: int, event: str, every: float) -> None:
        await self.pause(0, min(5.0, self.left() / 3))
        while self.left() > 0:
            client = await self.join(f"{event}{i}")
            if client is None:
                continue
            leave_at = time.monotonic() + self.rng.uniform(*ACTIVE_STAY)
            n = 0
            while time.monotonic() < leave_at and self.left() > 0:
                n += 1
                if event == "buy":
                    payload = {"sku": self.sku, "qty": 1, "order_id": uuid.uuid4().hex}
                else:
                    payload = {"text": f"soak {i}-{n} 이거 얼마예요?"}
                try:
                    ack = await asyncio.wait_for(client.emit(event, payload), 20)
                except (ConnectionError, TimeoutError, aiohttp.ClientError) as exc:
                    self.errors[f"{event}: {type(exc).__name__}"] += 1
                    break
                if isinstance(ack, dict) and ack.get("ok"):
                    self.counts["buys" if event == "buy" else "chats"] += 1
                else:
                    self.errors[f"{event}: {(ack or {}).get('error')}"] += 1
                await self.pause(every * 0.75, every * 1.25)
            await client.close()

    async def whep_player(self, i: int) -> None:
        from ..devtools.peers import LightViewer

        await self.pause(2.0, 8.0)
        while self.left() > 0:
            viewer = LightViewer(self.base, self.show)
            try:
                answer = await viewer.start()
                if answer.status == 201:
                    self.counts["whep"] += 1
                else:
                    self.errors[f"whep: {answer.status}"] += 1
                await self.pause(*WHEP_STAY)
            finally:
                await viewer.close()
            await self.pause(0.5, 2.0)


async def soak(args, base: str, pid: int, redis_url: str, show: str, sku: str, key: str) -> dict:
    seconds = args.minutes * 60
    every = min(args.every, max(2.0, seconds / 5))
    warmup = min(120.0, seconds * 0.2)
    t0 = time.monotonic()
    store = aioredis.from_url(redis_url)
    publisher = None
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        load = Load(http, base, show, sku, t0 + seconds, args.seed)
        idle = await sample(http, base, pid, store, t0, load.counts)
        tasks = [asyncio.create_task(load.viewer(i)) for i in range(args.viewers)]
        tasks += [asyncio.create_task(load.active(i, "buy", 2.0)) for i in range(args.buyers)]
        tasks += [
            asyncio.create_task(load.active(i, "chat:send", 3.0)) for i in range(args.chatters)
        ]
        if args.whep:
            from ..devtools.peers import Publisher

            publisher = Publisher(base, show, key, fps=15, width=320, height=240,
                                  bitrate=300_000)  # fmt: skip
            answer = await publisher.start()
            if answer.status != 201:
                raise RuntimeError(f"WHIP POST answered {answer.status}: {answer.body}")
            tasks += [asyncio.create_task(load.whep_player(i)) for i in range(args.whep)]
        samples = []
        try:
            while True:
                s = await sample(http, base, pid, store, t0, load.counts)
                samples.append(s)
                progress(
                    f"{s['minute']:5.1f} min  RSS {s['rss_mb']:6.1f} MB  fds {s['fds']:4d}  "
                    f"tasks {fmt(s['tasks']):>5}  Redis {s['redis_mb']:6.2f} MB  "
                    f"sockets {fmt(s['sockets']):>4}  joins {s['joins']:,}  "
                    f"buys {s['buys']:,}  chats {s['chats']:,}  whep {s['whep']:,}"
                )
                # the last sample a second before the deadline, still under full load
                left = load.left() - 1.0
                if left <= 0:
                    break
                await asyncio.sleep(min(every, left))
            # bounded: every loop ends at the deadline; stragglers are cut off
            done, pending = await asyncio.wait(tasks, timeout=60)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    load.errors[f"loop: {type(task.exception()).__name__}"] += 1
            if publisher is not None:
                await publisher.close()
                publisher = None
            # the server forgets the last clients and the host: engineio's ping tasks of
            # closed sockets end within one ping interval (25 s)
            await asyncio.sleep(REST_SECONDS)
            rest = await sample(http, base, pid, store, t0, load.counts)
        finally:
            for task in tasks:
                task.cancel()
            if publisher is not None:
                await publisher.close()
            await store.aclose()
    steady = [s for s in samples if s["minute"] * 60 >= warmup] or samples
    figures = {"samples": len(samples), "warmup_s": warmup}
    for key_ in ("rss_mb", "fds", "tasks", "redis_mb"):
        figures[key_ + "_idle"] = idle[key_]
        figures[key_ + "_start"] = steady[0][key_]
        figures[key_ + "_end"] = samples[-1][key_]
        figures[key_ + "_per_min"] = slope([(s["minute"], s[key_]) for s in steady])
        figures[key_ + "_rest"] = rest[key_]
    figures["rss_growth_mb"] = samples[-1]["rss_mb"] - steady[0]["rss_mb"]
    figures.update({k: load.counts[k] for k in ("joins", "buys", "chats", "whep")})
    figures["errors"] = dict(load.errors)
    return {"figures": figures, "samples": [idle, *samples, rest]}


def run(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="livecast-soak-") as tmp:
        tmp = Path(tmp)
        redis = RedisProcess(tmp / "redis", tcp=True)
        env = {"REDIS_URL": redis.url, "LIVECAST_ADMIN_TOKEN": uuid.uuid4().hex}
        server = ServerProcess(tmp / "server", env=env)
        try:
            server.start()
            show, sku = bench_show(redis.url, stock=None)
            key = asyncio.run(host_key(redis.url, show))
            progress(f"server {server.base_url} (pid {server.pid}), show {show}: "
                     f"soaking for {args.minutes:g} min")  # fmt: skip
            data = asyncio.run(soak(args, server.base_url, server.pid, redis.url, show, sku, key))
        finally:
            code = server.stop()
            redis.stop()
        data["figures"]["server_exit"] = code
    return {"bench": "soak", "machine": machine(), "args": vars(args), **data}


async def host_key(redis_url: str, show: str) -> str:
    """A fresh host key for the show (the bench made it, so it may)."""
    from livecast.store import catalog, connect

    r = connect(redis_url)
    try:
        return await catalog.rotate_key(r, show, "host")
    finally:
        await r.aclose()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    for name in ("aioice", "aiortc"):  # the WHEP players' ICE chatter
        logging.getLogger(name).setLevel(logging.WARNING)
    data = run(args)
    f = data["figures"]
    rows = [
        {"what": name, **{col: f[f"{k}_{col}"] for col in ("idle", "start", "end", "per_min",
                                                           "rest")}}  # fmt: skip
        for name, k in (("server RSS (MB)", "rss_mb"), ("open fds", "fds"),
                        ("asyncio tasks", "tasks"), ("Redis used_memory (MB)", "redis_mb"))
    ]  # fmt: skip
    print_table(
        f"bench soak: {args.minutes:g} min, {args.viewers} viewers, {args.buyers} buyers, "
        f"{args.chatters} chatters, {args.whep} WHEP players; after {f['warmup_s']:.0f} s warm-up",
        rows,
        [
            ("what", "figure"),
            ("idle", "before load"),
            ("start", "after warm-up"),
            ("end", "end of load"),
            ("per_min", "slope/min"),
            ("rest", "after load"),
        ],  # fmt: skip
    )
    print(f"joins {f['joins']:,}  buys {f['buys']:,}  chats {f['chats']:,}  "
          f"WHEP sessions {f['whep']:,}  errors {f['errors'] or 'none'}")  # fmt: skip
    write_json(args.json_path, data)
    if f["rss_growth_mb"] > args.max_rss_growth:
        print(f"FAIL: the server's RSS grew by {f['rss_growth_mb']:.1f} MB after the warm-up "
              f"(limit {args.max_rss_growth:g} MB)")  # fmt: skip
        return 1
    print(f"RSS growth after the warm-up: {f['rss_growth_mb']:+.1f} MB "
          f"(limit {args.max_rss_growth:g} MB)")  # fmt: skip
    return 0
