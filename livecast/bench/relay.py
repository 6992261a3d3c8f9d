"""``livecast bench relay``: one publisher, N viewers, the server's CPU and delivered fps.

Starts a real ``livecast serve`` on 127.0.0.1 (embedded Redis, ICE on 127.0.0.1 only),
creates a show, publishes a synthetic VP8 (or H.264) + Opus stream, then for each
viewer count adds counting viewers (they tap their receivers, no decoding) and measures
over a window: the server process's CPU (% of one core, from /proc), and each viewer's
received video frames per second. Loopback only; run it inside ``unshare -n`` if you can.

    python -m livecast.bench.relay --viewers 1,8,32 --seconds 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .peers import Publisher, Viewer

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path, max_viewers: int) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_urlsafe(24)
        self.log = open(workdir / "serve.log", "ab")  # noqa: SIM115
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "LIVECAST_DATA_DIR": str(workdir / "data"),
            "LIVECAST_RECORDINGS_DIR": str(workdir / "recordings"),
            "LIVECAST_ICE_ADDRESSES": "127.0.0.1",
            "LIVECAST_ADMIN_TOKEN": self.token,
            "LIVECAST_MAX_VIEWERS": str(max_viewers),
        }
        env.pop("REDIS_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livecast", "serve"],
            env=env,
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"livecast serve exited; see {workdir / 'serve.log'}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("livecast serve did not start in 30 s") from None
                time.sleep(0.1)

    def create_show(self) -> tuple[str, str]:
        request = urllib.request.Request(
            self.base_url + "/api/shows",
            data=json.dumps({"title": "bench relay"}).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as res:
            body = json.loads(res.read())
        return body["show"]["id"], body["host_key"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


async def measure(server: Server, viewers: list[Viewer], seconds: float) -> dict:
    marks = [len(v.got.video) for v in viewers]
    server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
    started = time.monotonic()
    await asyncio.sleep(seconds)
    wall = time.monotonic() - started
    fps = [(len(v.got.video) - m) / wall for v, m in zip(viewers, marks, strict=True)]
    return {
        "viewers": len(viewers),
        "server_cpu_pct": round(100 * (cpu_seconds(server.process.pid) - server_cpu) / wall, 1),
        "client_cpu_pct": round(100 * (time.process_time() - client_cpu) / wall, 1),
        "fps_mean": round(sum(fps) / len(fps), 1),
        "fps_min": round(min(fps), 1),
    }


async def run(args) -> list[dict]:
    counts = sorted({int(n) for n in args.viewers.split(",")})
    width, height = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="livecast-bench-") as tmp:
        server = Server(Path(tmp), max_viewers=max(counts) + 1)
        viewers: list[Viewer] = []
        publisher = None
        results = []
        try:
            show, key = server.create_show()
            publisher = Publisher(
                server.base_url,
                show,
                key,
                codec=args.codec,
                fps=args.fps,
                width=width,
                height=height,
            )
            answer = await publisher.start()
            if answer.status != 201:
                raise RuntimeError(f"WHIP POST answered {answer.status}: {answer.body}")
            await publisher.wait_connected()
            for count in counts:
                while len(viewers) < count:
                    viewer = Viewer(server.base_url, show, decode=False)
                    viewers.append(viewer)
                    answer = await viewer.start()
                    if answer.status != 201:
                        raise RuntimeError(f"WHEP POST answered {answer.status}: {answer.body}")
                for viewer in viewers:
                    await viewer.wait_connected(20)
                    await viewer.wait_frames(5, timeout=10)
                await asyncio.sleep(args.warmup)
                result = await measure(server, viewers, args.seconds)
                result["publisher_fps"] = args.fps
                results.append(result)
                print(
                    f"viewers={result['viewers']:>3}  server CPU {result['server_cpu_pct']:>5}%"
                    f"  delivered fps mean {result['fps_mean']:>5} min {result['fps_min']:>5}"
                    f"  (publisher {args.fps} fps; bench client CPU {result['client_cpu_pct']}%)",
                    flush=True,
                )
        finally:
            for viewer in viewers:
                await viewer.close()
            if publisher is not None:
                await publisher.close()
            server.stop()
    return results


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="livecast bench relay", description=__doc__.split("\n\n")[0])
    p.add_argument("--viewers", default="1,8,32", help="viewer counts to measure (1,8,32)")
    p.add_argument("--seconds", type=float, default=8.0, help="measurement window per count")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before each window")
    p.add_argument("--fps", type=int, default=30, help="publisher frame rate")
    p.add_argument("--size", default="640x360", help="publisher picture size WxH")
    p.add_argument("--codec", default="VP8", choices=("VP8", "H264"))
    p.add_argument("--json", action="store_true", help="print the results as JSON at the end")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    results = asyncio.run(run(args))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
