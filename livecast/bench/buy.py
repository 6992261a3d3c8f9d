"""``livecast bench buy``: buys per second and ack latency with many Socket.IO clients.

By default it starts its own ``livecast serve`` on 127.0.0.1 (embedded Redis in a
temporary data dir), creates a live show with one product, connects ``--clients``
python-socketio clients over websocket and has them buy one unit at a time, each
waiting for its ack, until ``--buys`` acks or ``--seconds`` have passed. With ``--url``
and ``--show`` it measures a server you started (loopback only).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost",)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench buy", description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=200, help="Socket.IO clients (default 200)")
    p.add_argument("--buys", type=int, default=10_000, help="stop after this many acks")
    p.add_argument("--seconds", type=float, default=20.0, help="stop after this long")
    p.add_argument("--url", help="a running server on loopback (default: start one)")
    p.add_argument("--show", help="with --url: a live show's id")
    p.add_argument("--sku", default="bench", help="with --url: the product to buy")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 2000:
        p.error("--clients must be 1-2000")
    if not 1 <= args.buys <= 1_000_000:
        p.error("--buys must be 1-1000000")
    if not 0 < args.seconds <= 300:
        p.error("--seconds must be within (0, 300]")
    if args.url:
        if not args.show:
            p.error("--url needs --show")
        host = urlsplit(args.url).hostname or ""
        if host not in LOOPBACK_NAMES and not _is_loopback(host):
            p.error("--url must point at loopback (127.0.0.1, ::1 or localhost)")
    return args


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OwnServer:
    """A ``livecast serve`` subprocess with a fresh data dir (embedded Redis)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="livecast-bench-"))
        self.admin = secrets.token_urlsafe(24)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            LIVECAST_DATA_DIR=str(self.dir / "data"),
            LIVECAST_RECORDINGS_DIR=str(self.dir / "recordings"),
            LIVECAST_ICE_ADDRESSES="127.0.0.1",
            LIVECAST_ADMIN_TOKEN=self.admin,
        )
        self.log = open(self.dir / "serve.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livecast", "serve"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError((self.dir / "serve.log").read_text(errors="replace"))
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("livecast serve did not start in 30 s") from None
                time.sleep(0.1)

    async def live_show(self, sku: str) -> str:
        from ..store import catalog, open_store

        async with open_store(None, self.dir / "data") as r:
            created = await catalog.create_show(
                r,
                {
                    "title": "bench",
                    "products": [{"sku": sku, "name": "bench", "price": 1000, "stock": 10**9}],
                },
            )
            show = created["show"]["id"]
            await catalog.set_status(r, show, "live")
        return show

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


async def connect_all(url: str, show: str, count: int):
    import socketio

    clients = []

    async def one(i: int):
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(
            url, auth={"show": show, "name": f"buyer{i}"}, transports=["websocket"], wait_timeout=20
        )
        clients.append(sio)

    for start in range(0, count, 25):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + 25))))
    return clients


async def run(args: argparse.Namespace, url: str, show: str) -> dict:
    clients = await connect_all(url, show, args.clients)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + args.seconds
    budget = [args.buys]

    async def buyer(sio) -> None:
        while budget[0] > 0 and loop.time() < deadline:
            budget[0] -= 1
            payload = {"sku": args.sku, "qty": 1, "order_id": uuid.uuid4().hex}
            t0 = loop.time()
            ack = await sio.call("buy", payload, timeout=30)
            latencies.append(loop.time() - t0)
            if not ack.get("ok"):
                errors[ack.get("error", "?")] = errors.get(ack.get("error", "?"), 0) + 1

    try:
        await asyncio.gather(*(buyer(sio) for sio in clients))
        elapsed = loop.time() - started
    finally:
        await asyncio.gather(*(sio.disconnect() for sio in clients), return_exceptions=True)
    latencies.sort()
    ok = len(latencies) - sum(errors.values())
    return {
        "clients": len(clients),
        "acks": len(latencies),
        "ok": ok,
        "errors": errors,
        "seconds": elapsed,
        "buys_per_second": ok / elapsed if elapsed else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies
        else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = None
    try:
        if args.url:
            url, show = args.url.rstrip("/"), args.show
        else:
            server = OwnServer()
            url = server.url
            show = asyncio.run(server.live_show(args.sku))
        figures = asyncio.run(run(args, url, show))
    finally:
        if server is not None:
            server.stop()
    print(
        f"buy: {figures['clients']} clients, {figures['acks']} acks in {figures['seconds']:.2f} s"
    )
    print(f"  buys/s       {figures['buys_per_second']:.0f}")
    print(f"  ack p50      {figures['p50_ms']:.1f} ms")
    print(f"  ack p99      {figures['p99_ms']:.1f} ms")
    if figures["errors"]:
        print(f"  refused      {figures['errors']}")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
