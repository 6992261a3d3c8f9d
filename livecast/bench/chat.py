"""``livecast bench chat``: M connected clients, R chat messages/s in, delivery latency out.

A private redis-server and ``livecast serve`` are started (the server optionally pinned to
core 0); W worker processes (pinned to the other cores) connect the clients with the lean
Socket.IO client, send R messages/s in all from rotating senders, and time every delivery
against the send time carried in the text (CLOCK_MONOTONIC is shared by processes). The
server sends chat as ``chat:batch`` (≤ 10 a second per show): every message in a batch
counts as delivered, and "chat frames/client/s" shows what one client receives. A
buyer in worker 0 keeps the coalesced ``sales`` broadcasts running, and the joins the
``viewers`` ones.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from ..devtools.processes import RedisProcess, ServerProcess
from .report import machine, percentile, plot, print_table, progress, write_json
from .setup import bench_show
from .sioclient import ConnectRefused, LightClient
from .workers import Workers, split

MAX_CLIENTS = 10_000
MAX_SECONDS = 300


def sampled_out(base_url: str) -> float | None:
    """Messages the server left out of viewers' sampled chat:batch (its /metrics)."""
    try:
        with urllib.request.urlopen(base_url + "/metrics", timeout=10) as res:
            text = res.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("livecast_chat_sampled_out_total "):
            return float(line.rsplit(" ", 1)[1])
    return None


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench chat", description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=2000, help="connected clients (default 2000)")
    p.add_argument("--rate", type=float, default=50, help="chat messages/s in (default 50)")
    p.add_argument("--seconds", type=float, default=20, help="measured time (default 20)")
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
    p.add_argument("--buy-rate", type=float, default=20, help="buys/s alongside (default 20)")
    p.add_argument(
        "--timed",
        type=int,
        default=100,
        help="clients that parse and time every message; "
        "the others only count frames (default 100)",
    )
    p.add_argument("--pin", action="store_true", help="server on core 0, load on the others")
    p.add_argument("--json", dest="json_path", help="write the figures as JSON")
    p.add_argument("--plot", help="draw the latency distribution (PNG)")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        p.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 0 < args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be in (0, {MAX_SECONDS}]")
    if not 0 < args.rate <= 5000:
        p.error("--rate must be in (0, 5000]")
    return args


# worker process
@dataclass(frozen=True)
class Job:
    index: int
    base_url: str
    show_id: str
    sku: str
    clients: int
    timed: int
    rate: float
    seconds: float
    buy_rate: float
    start_at: float


async def worker(job: Job) -> dict:
    index, base_url, show_id, sku = job.index, job.base_url, job.show_id, job.sku
    count, timed, rate, seconds = job.clients, job.timed, job.rate, job.seconds
    buy_rate, start_at = job.buy_rate, job.start_at
    latencies: list[float] = []
    deliveries = 0
    counted = 0
    frames = 0  # every event frame received while the messages are sent
    chat_frames = 0  # of which `chat` or `chat:batch` frames
    window = (start_at, start_at + seconds)
    events = {"sales": 0, "viewers": 0}

    def in_window() -> bool:
        return window[0] <= time.time() <= window[1]

    def on_raw(frame: str):
        nonlocal counted, frames, chat_frames
        now_in = in_window()
        frames += now_in
        if frame.startswith('42["chat:batch",') or frame.startswith('42["chat",'):
            chat_frames += now_in
            counted += frame.count('"text":"bench|')  # every message of a batch

    def deliver(message):
        nonlocal deliveries
        if not isinstance(message, dict):
            return
        parts = str(message.get("text", "")).split("|")
        if len(parts) == 4 and parts[0] == "bench":
            deliveries += 1
            latencies.append(time.monotonic() - float(parts[3]))

    def on_event(event, data):
        nonlocal frames, chat_frames
        now_in = in_window()
        frames += now_in
        if event == "chat":
            chat_frames += now_in
            deliver(data)
        elif event == "chat:batch" and isinstance(data, dict):
            chat_frames += now_in
            for message in data.get("messages") or []:
                deliver(message)
        elif event in events:
            events[event] += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        clients: list[LightClient] = []
        refused = 0
        for n in range(count):
            auth = {"show": show_id, "name": f"w{index}-{n}"}
            light = {"on_raw": on_raw} if n >= timed else {}
            try:
                client = LightClient(session, base_url, auth, on_event, **light)
                clients.append(await client.connect())
            except (ConnectRefused, aiohttp.ClientError, TimeoutError):
                refused += 1
        # all workers start sending at the same moment
        late = max(0.0, time.time() - start_at)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        sent = acked = errors = 0
        error_codes: dict[str, int] = {}

        async def send_one(client, seq):
            nonlocal acked, errors
            text = f"bench|{index}|{seq}|{time.monotonic():.6f}"
            try:
                answer = await asyncio.wait_for(client.emit("chat:send", {"text": text}), 10)
            except (TimeoutError, ConnectionError):
                answer = {"ok": False, "error": "timeout"}
            if answer and answer.get("ok"):
                acked += 1
            else:
                errors += 1
                code = (answer or {}).get("error", "none")
                error_codes[code] = error_codes.get(code, 0) + 1

        async def buy_loop(client):
            if buy_rate <= 0:
                return
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                order = {"sku": sku, "qty": 1, "order_id": uuid.uuid4().hex}
                try:
                    await asyncio.wait_for(client.emit("buy", order), 10)
                except (TimeoutError, ConnectionError):
                    pass
                await asyncio.sleep(1 / buy_rate)

        tasks = set()
        buyer = asyncio.create_task(buy_loop(clients[0])) if clients and index == 0 else None
        began = time.monotonic()
        total = int(rate * seconds)
        for seq in range(total):
            await asyncio.sleep(max(0.0, began + seq / rate - time.monotonic()))
            if not clients:
                break
            client = clients[seq % len(clients)]
            task = asyncio.create_task(send_one(client, seq))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        elapsed_send = time.monotonic() - began
        if tasks:
            await asyncio.wait(tasks, timeout=15)
        if buyer:
            await asyncio.wait_for(buyer, 15)
        await asyncio.sleep(3)  # let deliveries drain
        for client in clients:
            await client.close()
    return {
        "clients": len(clients),
        "refused": refused,
        "sent": sent,
        "acked": acked,
        "errors": error_codes,
        "send_seconds": elapsed_send,
        "timed_clients": min(timed, len(clients)),
        "timed_deliveries": deliveries,
        "deliveries": deliveries + counted,
        "frames": frames,
        "chat_frames": chat_frames,
        "connected_late_s": late,
        "latencies": latencies,
        "events": events,
    }


def run(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="livecast-bench-") as tmp:
        tmp = Path(tmp)
        redis = RedisProcess(tmp / "redis", tcp=True)
        server = ServerProcess(
            tmp / "server",
            env={"REDIS_URL": redis.url, "LIVECAST_WORKERS": str(args.workers)},
            cpus={0} if args.pin else None,
        )
        try:
            server.start()
            show_id, sku = bench_show(redis.url, stock=None)
            progress(f"server {server.base_url} (pid {server.pid}), show {show_id}")
            per_worker = split(args.clients, args.load_procs)
            # joins slow down as the audience grows (every join is a `viewers` update to all)
            connect_budget = max(10.0, args.clients / 25)
            start_at = time.time() + connect_budget
            jobs = [
                Job(i, server.base_url, show_id, sku, n, args.timed // args.load_procs,
                    args.rate / args.load_procs, args.seconds, args.buy_rate if i == 0 else 0,
                    start_at)
                for i, n in enumerate(per_worker)
            ]  # fmt: skip
            workers = Workers(worker, jobs, pin=args.pin).start()
            progress(
                f"{args.workers} server process(es); {args.load_procs} load processes "
                f"connecting {args.clients} clients"
            )
            time.sleep(max(0.0, start_at - time.time()))
            cpu0, wall0 = server.cpu_seconds(), time.monotonic()
            progress(f"sending {args.rate:g} messages/s for {args.seconds:g} s")
            time.sleep(args.seconds)
            cpu = (server.cpu_seconds() - cpu0) / (time.monotonic() - wall0) * 100
            results = workers.results(timeout=args.seconds + 120)
            left_out = sampled_out(server.base_url)
            late = max(r["connected_late_s"] for r in results)
            if late:
                progress(f"WARNING: clients finished connecting {late:.1f} s into the window")
        finally:
            server.stop()
            redis.stop()
    latencies = [x * 1000 for r in results for x in r["latencies"]]
    clients = sum(r["clients"] for r in results)
    sent = sum(r["sent"] for r in results)
    acked = sum(r["acked"] for r in results)
    deliveries = sum(r["deliveries"] for r in results)
    errors: dict[str, int] = {}
    for r in results:
        for code, n in r["errors"].items():
            errors[code] = errors.get(code, 0) + n
    timed = sum(r["timed_clients"] for r in results)
    timed_deliveries = sum(r["timed_deliveries"] for r in results)
    figures = {
        "clients": clients,
        "refused": sum(r["refused"] for r in results),
        "rate_in": sent / args.seconds,
        "acked": acked,
        "errors": errors,
        "deliveries": deliveries,
        "deliveries_per_s": deliveries / args.seconds,
        # of the messages sent, the share each timed client received
        "delivered_pct": 100 * timed_deliveries / (sent * timed) if sent and timed else None,
        # every event frame out (chat, sales, purchase, viewers...) while sending
        "frames_out_per_s": sum(r["frames"] for r in results) / args.seconds,
        # chat frames (`chat` or `chat:batch`) each client received per second
        "chat_frames_per_client_s": (
            sum(r["chat_frames"] for r in results) / args.seconds / clients if clients else None
        ),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else None,
        "server_cpu_pct": cpu,
        # messages left out of viewers' batches when the chat ran beyond reading (the
        # sample: over 100 messages in a second); each one missed by every viewer
        "sampled_out": left_out,
        "sales_events": sum(r["events"]["sales"] for r in results),
        "viewers_events": sum(r["events"]["viewers"] for r in results),
    }
    return {"bench": "chat", "machine": machine(), "args": vars(args), "figures": figures,
            "latencies_ms": latencies}  # fmt: skip


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    data = run(args)
    f = data["figures"]
    print_table(
        f"bench chat: {f['clients']} clients, {args.rate:g} msg/s for {args.seconds:g} s",
        [f],
        [("clients", "clients"), ("rate_in", "msg/s in"), ("acked", "acked"),
         ("deliveries_per_s", "chat out/s"), ("frames_out_per_s", "frames out/s"),
         ("chat_frames_per_client_s", "chat frames/client/s"),
         ("delivered_pct", "delivered %"),
         ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("server_cpu_pct", "server CPU %")],
    )  # fmt: skip
    if f["errors"]:
        print(f"refused sends: {f['errors']}")
    if f["sampled_out"]:
        print(f"sampled chat: {f['sampled_out']:g} messages left out of viewers' batches")
    json_data = {k: v for k, v in data.items() if k != "latencies_ms"}
    write_json(args.json_path, json_data)

    def draw(plt):
        lat = sorted(data["latencies_ms"])
        if not lat:
            return
        ys = [100 * (i + 1) / len(lat) for i in range(len(lat))]
        plt.figure(figsize=(6, 3.5))
        plt.plot(lat, ys)
        plt.xscale("log")
        plt.xlabel("delivery latency (ms, log)")
        plt.ylabel("% of deliveries")
        plt.title(f"chat: {f['clients']} clients, {args.rate:g} msg/s")
        plt.grid(True, alpha=0.3)

    plot(args.plot, draw)
    return 0
