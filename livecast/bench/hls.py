"""``livecast bench hls``: M low-latency HLS players through an nginx cache.

One ``livecast serve`` (loopback), one H.264 publisher (aiortc + libx264, WHIP), Debian's
nginx in front of ``/hls/`` (livecast/devtools/nginx.py, the config of docs/deploy.md)
and M players spread over worker processes. A player is what an LL-HLS client does at
the live edge: a blocking playlist reload for the next part (``_HLS_msn``/``_HLS_part``),
then the new parts, on one keep-alive connection (a small HTTP/1.1 client on asyncio,
so thousands fit in a process). Figures over the measuring window: requests/s, origin
(livecast) and nginx CPU, how far behind the live edge each part arrives (the part's
last frame reached the server at EXT-X-PROGRAM-DATE-TIME + its offset), cache hits.

Bounded: M players, ``--seconds`` of measuring after ``--warmup``; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import secrets
import tempfile
import time
from datetime import datetime
from pathlib import Path

from ..devtools.nginx import NginxCache
from ..devtools.processes import ServerProcess
from .relay import api
from .report import machine, percentile, print_table, progress, write_json
from .workers import Workers, split

PART_RE = re.compile(r'DURATION=([0-9.]+),URI="part([0-9]+)\.([0-9]+)\.m4s"')


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench hls", description=__doc__.split("\n\n")[0])
    p.add_argument("--viewers", type=int, default=2000, help="LL-HLS players (default 2000)")
    p.add_argument("--processes", type=int, default=2, help="player processes (default 2)")
    p.add_argument("--seconds", type=float, default=20.0, help="measuring window (default 20)")
    p.add_argument("--warmup", type=float, default=8.0, help="after all joined (default 8)")
    p.add_argument("--ramp", type=float, default=4.0, help="players join over this (s)")
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--nginx-workers", type=int, default=1)
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument(
        "--packager",
        action="store_true",
        help="only the packager: CPU to package --seconds of H.264 + Opus (no server)",
    )
    args = p.parse_args(argv)
    if not 1 <= args.viewers <= 20000:
        p.error("--viewers must be 1..20000")
    if not 1 <= args.processes <= 16 or not 1 <= args.seconds <= 600:
        p.error("--processes 1..16, --seconds 1..600")
    return args


# a small HTTP/1.1 keep-alive client: one request at a time per connection
class Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1")
        lines = head.split("\r\n")
        length = 0
        cache = ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "x-cache-status":
                cache = value.strip()
            elif name == "transfer-encoding" and "chunked" in value:
                self.waiter.set_exception(ValueError("chunked answers are not expected"))
                return
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        self.waiter.set_result((int(lines[0].split(" ", 2)[1]), cache, body))

    async def get(self, path: str, timeout: float = 15.0):
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(f"GET {path} HTTP/1.1\r\nHost: edge\r\n\r\n".encode())
        return await asyncio.wait_for(self.waiter, timeout)


_parsed: dict[bytes, list] = {}


def parse_cached(body: bytes) -> list[tuple[int, int, float]]:
    """:func:`parse_playlist`, once per distinct playlist in the process (the players of a
    process get the same few playlists: the load generator's CPU goes to HTTP)."""
    parts = _parsed.get(body)
    if parts is None:
        if len(_parsed) > 256:
            _parsed.clear()
        parts = _parsed[body] = parse_playlist(body.decode())
    return parts


def parse_playlist(text: str) -> list[tuple[int, int, float]]:
    """``(msn, part, wall clock of the part's end)`` for every part listed."""
    out = []
    at = 0.0
    for line in text.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            at = datetime.fromisoformat(line[25:].replace("Z", "+00:00")).timestamp()
        elif line.startswith("#EXT-X-PART:"):
            m = PART_RE.search(line)
            if m:
                at += float(m.group(1))
                out.append((int(m.group(2)), int(m.group(3)), at))
    return out


async def player(host: str, port: int, show: str, delay: float, window, stats: dict) -> None:
    await asyncio.sleep(delay)
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(Connection, host, port)
    base = f"/hls/{show}/"
    last: tuple[int, int] | None = None
    try:
        while time.time() < window[1]:
            if last is None:
                path = base + "index.m3u8"
            else:
                path = f"{base}index.m3u8?_HLS_msn={last[0]}&_HLS_part={last[1] + 1}"
            status, cache, body = await conn.get(path)
            measuring = window[0] <= time.time() <= window[1]
            if measuring:
                stats["requests"] += 1
                stats["cache"][cache] = stats["cache"].get(cache, 0) + 1
            if status != 200:
                stats["errors"] += 1
                last = None
                await asyncio.sleep(0.5)
                continue
            parts = parse_cached(body)
            if not parts:
                await asyncio.sleep(0.2)
                continue
            if last is None:
                last = parts[-1][:2]  # join at the live edge
                continue
            for msn, index, ends_at in parts:
                if (msn, index) <= last:
                    continue
                status, cache, _ = await conn.get(f"{base}part{msn}.{index}.m4s")
                now = time.time()
                last = (msn, index)
                if window[0] <= now <= window[1]:
                    stats["requests"] += 1
                    stats["cache"][cache] = stats["cache"].get(cache, 0) + 1
                    if status == 200:
                        stats["behind"].append(now - ends_at)
                    else:
                        stats["errors"] += 1
            if conn.closed:
                raise ConnectionError("closed")
    finally:
        if conn.transport is not None:
            conn.transport.close()


async def players_job(job: dict) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stats = {"requests": 0, "errors": 0, "cache": {}, "behind": [], "lost": 0}
    window = (job["measure_from"], job["measure_to"])
    n = job["players"]
    tasks = [
        player(job["host"], job["port"], job["show"], job["ramp"] * i / max(1, n), window, stats)
        for i in range(n)
    ]
    cpu0 = time.process_time()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    stats["lost"] = len(failures)
    stats["failure"] = repr(failures[0]) if failures else None
    stats["cpu_s"] = time.process_time() - cpu0
    return stats


def cpu_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def run(args) -> dict:
    from ..devtools.peers import Publisher  # aiortc + numpy: the test extra

    tmp = tempfile.TemporaryDirectory(prefix="livecast-bench-hls-")
    token = secrets.token_urlsafe(24)
    server = nginx = publisher = None
    try:
        server = ServerProcess(Path(tmp.name) / "serve", env={"LIVECAST_ADMIN_TOKEN": token})
        server.start()
        created = api(server.base_url, token, "/api/shows", {"title": "bench hls"})
        show, host_key = created["show"]["id"], created["host_key"]
        publisher = Publisher(server.base_url, show, host_key, codec="H264", fps=args.fps,
                              width=args.width, height=args.height)  # fmt: skip
        answer = await publisher.start()
        if answer.status != 201:
            raise RuntimeError(f"WHIP POST answered {answer.status}")
        await publisher.wait_connected(20)
        upstream = server.base_url.removeprefix("http://")
        nginx = NginxCache(Path(tmp.name) / "nginx", upstream, workers=args.nginx_workers)
        nginx.start()
        progress(f"livecast pid {server.pid}, nginx {nginx.base_url}, publisher H.264 "
                 f"{args.width}x{args.height} {args.fps} fps")  # fmt: skip
        await asyncio.sleep(3)  # the first segments
        start = time.time() + 3  # the workers' start-up (spawned interpreters)
        measure_from = start + args.ramp + args.warmup
        measure_to = measure_from + args.seconds
        jobs = [
            {"host": "127.0.0.1", "port": nginx.port, "show": show, "players": n,
             "ramp": args.ramp, "measure_from": measure_from, "measure_to": measure_to}
            for n in split(args.viewers, args.processes)
        ]  # fmt: skip
        workers = Workers(players_job, jobs, pin=False).start()
        progress(f"{args.viewers} players in {args.processes} processes, measuring "
                 f"{args.seconds:g} s after {args.ramp + args.warmup:g} s")  # fmt: skip
        await asyncio.sleep(max(0.0, measure_from - time.time()))
        origin0, nginx0, wall0 = server.cpu_seconds(), cpu_of(nginx.pids()), time.monotonic()
        await asyncio.sleep(args.seconds)
        wall = time.monotonic() - wall0
        origin_cpu = 100 * (server.cpu_seconds() - origin0) / wall
        nginx_cpu = 100 * (cpu_of(nginx.pids()) - nginx0) / wall
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(None, workers.results, 60 + args.seconds)
    finally:
        if publisher is not None:
            await publisher.close()
        if nginx is not None:
            nginx.stop()
        if server is not None:
            server.stop()
        tmp.cleanup()
    behind = [b for r in results for b in r["behind"]]
    requests = sum(r["requests"] for r in results)
    cache: dict[str, int] = {}
    for r in results:
        for k, v in r["cache"].items():
            cache[k] = cache.get(k, 0) + v
    failed = sum(r["lost"] for r in results)
    figures = {
        "players": args.viewers,
        "players_failed": failed,
        "failure": next((r["failure"] for r in results if r["failure"]), None),
        "requests_per_s": requests / args.seconds,
        "errors": sum(r["errors"] for r in results),
        "origin_cpu_pct": origin_cpu,
        "nginx_cpu_pct": nginx_cpu,
        "players_cpu_pct": 100 * sum(r["cpu_s"] for r in results) / wall,
        "cache_misses": cache.get("MISS", 0) + cache.get("EXPIRED", 0),
        "cache_hits": cache.get("HIT", 0),
        "cache": cache,
        "parts": len(behind),
        "behind_p50_s": percentile(behind, 50),
        "behind_p99_s": percentile(behind, 99),
        "behind_max_s": max(behind) if behind else None,
        "loadavg": os.getloadavg()[0],
    }
    return {"machine": machine(), "args": vars(args), "figures": figures}


def packager_cost(args) -> dict:
    """CPU of :class:`HlsPackager` for ``args.seconds`` of a show: H.264 from libx264 (a
    moving random texture, a keyframe every 1.5 s as the relay asks) and Opus, encoded
    first, then fed as fast as the packager takes them; the process CPU while it works."""
    import fractions

    import av
    import numpy as np

    from ..media.hls import HlsPackager

    frames = int(args.seconds * args.fps)
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = args.width, args.height, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 90000)
    encoder.framerate = args.fps
    encoder.options = {"tune": "zerolatency", "preset": "ultrafast", "bf": "0",
                       "g": str(int(args.fps * 1.5)), "b": "1500k"}  # fmt: skip
    rng = np.random.default_rng(1)
    texture = rng.integers(0, 255, (args.height, args.width, 3), np.uint8)
    video = []
    step = 90000 // args.fps
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(np.roll(texture, 4 * i, axis=1), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = i * step
        video += [(bytes(p), p.pts, p.is_keyframe) for p in encoder.encode(frame)]
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48000, "stereo", "s16"
    audio = []
    for i in range(int(args.seconds * 50)):
        chunk = av.AudioFrame.from_ndarray(
            np.zeros((1, 1920), np.int16), format="s16", layout="stereo"
        )
        chunk.sample_rate, chunk.pts = 48000, i * 960
        audio += [(bytes(p), p.pts) for p in opus.encode(chunk)]
    kbps = sum(len(v[0]) for v in video) * 8 / args.seconds / 1000
    with tempfile.TemporaryDirectory(prefix="livecast-bench-hls-") as tmp:
        packager = HlsPackager(Path(tmp) / "show", "bench", time.monotonic())
        packager.start()
        cpu0, wall0, a = time.process_time(), time.monotonic(), 0
        for data, pts, keyframe in video:
            while len(packager._items) > 500:  # the packager's pace, not a dropped frame
                time.sleep(0.002)
            packager.write("video", data, pts, keyframe)
            while a < len(audio) and audio[a][1] * 90000 <= pts * 48000:
                packager.write("audio", audio[a][0], audio[a][1], True)
                a += 1
        packager.stop_blocking(ended=True)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {
        "machine": machine(),
        "args": vars(args),
        "figures": {
            "media_s": args.seconds,
            "video_kbps": kbps,
            "parts": packager.parts_written,
            "longest_part_s": packager.longest_part,
            "longest_segment_s": packager.longest_segment,
            "dropped": packager.dropped,
            "cpu_ms": 1000 * cpu,
            "wall_ms": 1000 * wall,
            "core_pct_per_show": 100 * cpu / args.seconds,
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv or [])
    if args.packager:
        data = packager_cost(args)
        print_table(
            f"HLS packaging of {args.seconds:g} s of H.264 {args.width}x{args.height} "
            f"{args.fps} fps + Opus",
            [data["figures"]],
            [
                ("video_kbps", "video kbit/s"),
                ("parts", "parts"),
                ("longest_part_s", "longest part s"),
                ("longest_segment_s", "longest segment s"),
                ("dropped", "dropped"),
                ("cpu_ms", "CPU ms"),
                ("core_pct_per_show", "% of a core per show"),
            ],
        )
        write_json(args.json, data)
        return 0
    try:
        import uvloop

        data = uvloop.run(run(args))
    except ImportError:
        data = asyncio.run(run(args))
    f = data["figures"]
    print_table(
        f"LL-HLS through nginx: {f['players']} players, {args.seconds:g} s",
        [f],
        [
            ("players", "players"),
            ("players_failed", "failed"),
            ("requests_per_s", "req/s"),
            ("errors", "errors"),
            ("cache_misses", "origin reqs"),
            ("origin_cpu_pct", "livecast CPU %"),
            ("nginx_cpu_pct", "nginx CPU %"),
            ("players_cpu_pct", "players CPU %"),
            ("behind_p50_s", "behind p50 s"),
            ("behind_p99_s", "behind p99 s"),
            ("behind_max_s", "max s"),
        ],
    )
    if f["failure"]:
        print(f"first player failure: {f['failure']}")
    write_json(args.json, data)
    return 0
