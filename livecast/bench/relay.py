"""``livecast bench relay``: one publisher, a ramp of WHEP viewers, what the server costs.

Starts ``livecast serve`` (or targets ``--url``), creates a show, publishes VP8 (encoded
here at ``--bitrate`` over a moving texture, a frame counter in the picture) + Opus, then
ramps the viewer count. Viewers live in worker processes: most are light (ICE, DTLS and
SRTP done, RTP counted from its clear header, no decoding), ``--decoding`` of them decode
and check that the counter in the picture increases. For each step: the server's CPU,
delivered fps (min/median), audio packets/s, RTP loss at the viewers, the host's ingest
loss on the server (its /metrics), joins/s and time to first frame, and the latency the
server adds (publisher send time of each frame vs its arrival at each viewer, both on
CLOCK_MONOTONIC, matched by the frame's first bytes). ``--baseline transcode`` runs the
same ramp through aiortc's MediaRelay (decode + re-encode per viewer). Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import os
import secrets
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from ..devtools.peers import LightViewer, Publisher, Viewer
from ..devtools.processes import ServerProcess
from ..routing import owner_of
from .report import machine, percentile, plot, print_table, progress, write_json

MAX_VIEWERS = 1000
MAX_SECONDS = 120
HELD = 0.95  # a step holds the frame rate if every viewer gets >= 95% of it


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livecast bench relay", description=__doc__.split("\n\n")[0])
    p.add_argument("--viewers", default="1,8,32,64,128", help="ramp of viewer counts")
    p.add_argument("--seconds", type=float, default=10.0, help="measured window per step")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds after joins, per step")
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--size", default="640x480", help="picture WxH")
    p.add_argument("--bitrate", type=int, default=1_000_000, help="VP8 target bits/s")
    p.add_argument("--decoding", type=int, default=1, help="viewers that decode and verify")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (serve --workers N): CPU per packet per process",
    )
    p.add_argument("--load-procs", type=int, default=2, help="load generator processes")
    p.add_argument("--join-concurrency", type=int, default=8, help="joins in flight per worker")
    p.add_argument("--pin", action="store_true", help="server on core 0, load on the others")
    p.add_argument("--baseline", choices=("transcode",), help="also ramp aiortc's MediaRelay")
    p.add_argument("--url", help="target a running server instead (its CPU is not measured)")
    p.add_argument("--admin-token", help="with --url: the server's admin token")
    p.add_argument("--json", dest="json_path", help="write the figures as JSON")
    p.add_argument("--plot", help="draw CPU, fps and latency against viewers (PNG)")
    args = p.parse_args(argv)
    try:
        args.counts = sorted({int(n) for n in args.viewers.split(",")})
    except ValueError:
        p.error("--viewers is a list of numbers like 1,8,32")
    if not args.counts or args.counts[0] < 1 or args.counts[-1] > MAX_VIEWERS:
        p.error(f"--viewers must be in 1..{MAX_VIEWERS}")
    if not 0 < args.seconds <= MAX_SECONDS:
        p.error(f"--seconds must be in (0, {MAX_SECONDS}]")
    if args.url and not args.admin_token:
        p.error("--url needs --admin-token")
    if args.url and args.baseline:
        p.error("--baseline starts its own server; leave out --url")
    args.width, args.height = (int(x) for x in args.size.split("x"))
    args.load_procs = max(1, min(args.load_procs, args.counts[-1]))
    if not 1 <= args.workers <= 16:
        p.error("--workers must be in 1..16")
    if args.url and args.workers != 1:
        p.error("--workers starts its own server; leave out --url")
    return args


# worker process: a share of the viewers
def worker_main(index: int, conn, base_url: str, show: str, decoding: int, pin: bool) -> None:
    cpus = os.sched_getaffinity(0)
    if pin and len(cpus) > 1:
        os.sched_setaffinity(0, cpus - {0})
    try:
        logging.getLogger("aioice").setLevel(logging.WARNING)
        os.nice(5)  # the publisher (conductor process) goes first on a shared core
        try:  # cheaper datagram handling: more viewers per load-generator core
            import uvloop
        except ImportError:
            asyncio.run(worker(index, conn, base_url, show, decoding))
        else:
            uvloop.run(worker(index, conn, base_url, show, decoding))
    except BaseException as exc:
        conn.send({"failed": f"worker {index}: {exc!r}"})
        raise


async def join(viewer, timeout: float = 30) -> dict:
    began = time.monotonic()
    try:
        answer = await asyncio.wait_for(viewer.start(), timeout)
        if answer.status != 201:
            return {"ok": False, "error": f"WHEP {answer.status}: {answer.body[:200]}"}
        await viewer.wait_connected(timeout)
    except Exception as exc:
        return {"ok": False, "error": repr(exc)}
    return {"ok": True, "connect_s": time.monotonic() - began,
            "process": holder(viewer.location)}  # fmt: skip


def holder(location: str | None) -> str | None:
    """The server process holding a WHEP session (its id starts the session id)."""
    return owner_of((location or "").rsplit("/", 1)[-1])


def light_snapshot(v: LightViewer) -> dict:
    return {"video": v.video.snapshot(), "audio": v.audio.snapshot(), "starts": len(v.frame_starts)}


async def worker(index: int, conn, base_url: str, show: str, decoding: int) -> None:
    loop = asyncio.get_running_loop()
    light: list[LightViewer] = []
    decoders: list[Viewer] = []
    marks: dict = {}
    try:
        while True:
            msg = await loop.run_in_executor(None, conn.recv)
            op = msg["op"]
            if op == "add":
                sem = asyncio.Semaphore(msg["concurrency"])
                new: list = []
                for _ in range(msg["count"]):
                    if len(decoders) < decoding:
                        viewer = Viewer(base_url, show, decode=True, codec="VP8")
                        decoders.append(viewer)
                    else:
                        viewer = LightViewer(base_url, show)
                        light.append(viewer)
                    new.append(viewer)

                async def one(viewer, sem=sem):
                    async with sem:
                        return await join(viewer)

                began = time.monotonic()
                results = await asyncio.gather(*(one(v) for v in new))
                wall = time.monotonic() - began
                # time to first frame: wait (bounded) for each new viewer's first frame
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and any(
                    (v.first_frame_at if isinstance(v, LightViewer) else v.got.video) is None
                    or (not isinstance(v, LightViewer) and not v.got.video)
                    for v, r in zip(new, results, strict=True)
                    if r["ok"]
                ):
                    await asyncio.sleep(0.05)
                for v, r in zip(new, results, strict=True):
                    if isinstance(v, LightViewer):
                        first = v.first_frame_at
                    else:
                        first = v.got.video[0][0] if v.got.video else None
                    r["ttff_s"] = None if first is None else first - v.started_at
                conn.send({"joined": results, "wall": wall})
            elif op == "mark":
                marks = {
                    "light": [light_snapshot(v) for v in light],
                    "decoders": [(len(v.got.video), v.got.audio) for v in decoders],
                    "cpu": time.process_time(),
                }
                conn.send({"marked": True})
            elif op == "collect":
                out_light = []
                for v, m in zip(light, marks["light"], strict=False):
                    now = light_snapshot(v)
                    out_light.append({
                        "process": holder(v.location),
                        "video": [a - b for a, b in zip(now["video"], m["video"], strict=True)],
                        "audio": [a - b for a, b in zip(now["audio"], m["audio"], strict=True)],
                        "starts": v.frame_starts[m["starts"] : now["starts"]],
                    })  # fmt: skip
                out_dec = []
                for v, (nv, na) in zip(decoders, marks["decoders"], strict=False):
                    counters = [c for _, c in v.got.video[nv:] if c is not None]
                    backwards = sum(
                        1 for a, b in zip(counters, counters[1:], strict=False) if b <= a
                    )
                    out_dec.append({"frames": len(counters), "audio": v.got.audio - na,
                                    "backwards": backwards})  # fmt: skip
                conn.send({"light": out_light, "decoders": out_dec,
                           "cpu_s": time.process_time() - marks["cpu"]})  # fmt: skip
            elif op == "stop":
                break
    finally:
        for v in light + decoders:
            try:
                await asyncio.wait_for(v.close(), 10)
            except Exception:
                pass
        conn.send({"stopped": True})


# the conductor
class Workers:
    def __init__(self, count: int, base_url: str, show: str, decoding: int, pin: bool):
        ctx = mp.get_context("spawn")
        self.conns = []
        self.procs = []
        for i in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=worker_main,
                args=(i, child, base_url, show, decoding if i == 0 else 0, pin),
                daemon=True,
            )
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)
        self.sizes = [0] * count

    async def ask(self, messages: list[dict | None], timeout: float) -> list[dict | None]:
        loop = asyncio.get_running_loop()

        def recv(conn):
            if not conn.poll(timeout):
                raise TimeoutError("a bench worker did not answer")
            return conn.recv()

        for conn, msg in zip(self.conns, messages, strict=True):
            if msg is not None:
                conn.send(msg)
        answers = await asyncio.gather(
            *(
                loop.run_in_executor(None, recv, conn)
                for conn, msg in zip(self.conns, messages, strict=True)
                if msg is not None
            )
        )
        failed = [a["failed"] for a in answers if "failed" in a]
        if failed:
            raise RuntimeError("; ".join(failed))
        it = iter(answers)
        return [next(it) if msg is not None else None for msg in messages]

    async def grow_to(self, total: int, concurrency: int) -> list[dict]:
        adds = [0] * len(self.conns)
        n = sum(self.sizes)
        while n < total:
            i = min(range(len(self.sizes)), key=lambda k: self.sizes[k] + adds[k])
            adds[i] += 1
            n += 1
        msgs = [{"op": "add", "count": a, "concurrency": concurrency} if a else None for a in adds]
        answers = await self.ask(msgs, timeout=60 + total)
        for i, a in enumerate(adds):
            self.sizes[i] += a
        wall = max((a["wall"] for a in answers if a), default=0.0)
        return [r for a in answers if a for r in a["joined"]], wall

    async def all(self, op: str, timeout: float = 60) -> list[dict]:
        return await self.ask([{"op": op}] * len(self.conns), timeout)

    async def stop(self) -> None:
        try:
            await self.all("stop", timeout=60)
        except Exception as exc:
            progress(f"workers did not stop cleanly: {exc!r}")
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()


def api(base_url: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as res:
        return json.loads(res.read())


async def live_publisher(base_url: str, token: str, title: str, args, settle: float = 3.0):
    """A new show with the benchmark's VP8 publisher live on it; returns the publisher,
    the show and the publisher's frame rate and kbit/s measured over ``settle`` seconds."""
    created = api(base_url, token, "/api/shows", {"title": title})
    show, host_key = created["show"]["id"], created["host_key"]
    publisher = Publisher(base_url, show, host_key, fps=args.fps, width=args.width,
                          height=args.height, bitrate=args.bitrate)  # fmt: skip
    answer = await publisher.start()
    if answer.status != 201:
        await publisher.close(delete=False)
        raise RuntimeError(f"WHIP POST answered {answer.status}: {answer.body}")
    await publisher.wait_connected(20)
    await asyncio.sleep(2)
    track = publisher.video
    b0, c0, t0 = track.bytes, track.count, time.monotonic()
    await asyncio.sleep(settle)
    fps = (track.count - c0) / (time.monotonic() - t0)
    kbps = (track.bytes - b0) * 8 / (time.monotonic() - t0) / 1000
    return publisher, show, fps, kbps


def ingest_counters(base_url: str) -> dict[str, float]:
    """livecast_ingest_* counters summed over kinds, from the server's /metrics."""
    with urllib.request.urlopen(base_url + "/metrics", timeout=10) as res:
        text = res.read().decode()
    out = {"packets": 0.0, "gaps": 0.0, "late": 0.0}
    for line in text.splitlines():
        for name in out:
            if line.startswith(f"livecast_ingest_{name}_total{{"):
                out[name] += float(line.rsplit(" ", 1)[1])
    return out


def step_figures(args, n: int, joins: list[dict], join_wall: float, answers: list[dict],
                 sent: dict, ambiguous: set, wall: float, cpu: float | None,
                 ingest: dict[str, float]) -> dict:  # fmt: skip
    light = [v for a in answers for v in a["light"]]
    decoders = [d for a in answers for d in a["decoders"]]
    fps = [v["video"][3] / wall for v in light] + [d["frames"] / wall for d in decoders]
    audio_pps = [v["audio"][0] / wall for v in light] + [d["audio"] / wall for d in decoders]
    received = sum(v["video"][0] + v["audio"][0] for v in light)
    gaps = sum(v["video"][1] + v["audio"][1] for v in light)
    video_gaps = sum(v["video"][1] for v in light)
    latencies = [
        (t - sent[key]) * 1000
        for v in light
        for key, t in v["starts"]
        if key in sent and key not in ambiguous
    ]
    matched = len(latencies)
    starts = sum(len(v["starts"]) for v in light)
    ok = [j for j in joins if j["ok"]]
    ttff = [j["ttff_s"] * 1000 for j in ok if j.get("ttff_s") is not None]
    figures = {
        "viewers": n,
        "joined": len(ok),
        "join_failed": len(joins) - len(ok),
        "join_errors": sorted({j["error"] for j in joins if not j["ok"]})[:3],
        "joins_per_s": len(ok) / join_wall if ok and join_wall > 0 else None,
        "ttff_p50_ms": percentile(ttff, 50),
        "ttff_p95_ms": percentile(ttff, 95),
        "server_cpu_pct": cpu,
        "cpu_per_viewer_pct": cpu / n if cpu is not None else None,
        "fps_min": min(fps) if fps else None,
        "fps_median": statistics.median(fps) if fps else None,
        "audio_pps_median": statistics.median(audio_pps) if audio_pps else None,
        "loss_pct": 100 * gaps / (received + gaps) if received + gaps else None,
        "video_loss_pct": 100 * video_gaps / max(1, sum(v["video"][0] for v in light) + video_gaps),
        "keyframes": sum(v["video"][4] for v in light),
        "ingest_packets": ingest["packets"],
        "ingest_gaps": ingest["gaps"],
        "ingest_late": ingest["late"],
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_p99_ms": percentile(latencies, 99),
        "latency_max_ms": max(latencies) if latencies else None,
        "latency_matched_pct": 100 * matched / starts if starts else None,
        "decoded_frames": sum(d["frames"] for d in decoders),
        "decoded_backwards": sum(d["backwards"] for d in decoders),
    }
    # server CPU per RTP packet it sent (light viewers' packets, scaled to all viewers)
    if cpu is not None and received and light:
        sent_packets = received * n / len(light)
        figures["cpu_us_per_packet"] = cpu / 100 * wall * 1e6 / sent_packets
    else:
        figures["cpu_us_per_packet"] = None
    figures["held"] = bool(figures["fps_min"] is not None and figures["fps_min"] >= HELD * args.fps)
    return figures


async def ramp(args, mode: str) -> dict:
    """One server (or ``--url``), one publisher, the whole ramp of viewers."""
    tmp = tempfile.TemporaryDirectory(prefix="livecast-bench-relay-")
    server = None
    token = args.admin_token or secrets.token_urlsafe(24)
    publisher = None
    workers = None
    steps: list[dict] = []
    try:
        if args.url:
            base_url = args.url.rstrip("/")
        else:
            env = {"LIVECAST_ADMIN_TOKEN": token,
                   "LIVECAST_MAX_VIEWERS": str(args.counts[-1] + 10),
                   "LIVECAST_WORKERS": str(args.workers if mode == "forward" else 1)}  # fmt: skip
            module = "livecast.bench.transcode" if mode == "transcode" else "livecast"
            server = ServerProcess(Path(tmp.name), env=env, cpus={0} if args.pin else None,
                                   module=module)  # fmt: skip
            server.start()
            base_url = server.base_url
            progress(f"[{mode}] server {base_url} pid {server.pid}"
                     + (" pinned to core 0" if args.pin else ""))  # fmt: skip
        publisher, show, pub_fps, pub_kbps = await live_publisher(
            base_url, token, f"bench relay {mode}", args
        )
        track = publisher.video
        progress(f"[{mode}] publisher: VP8 {args.width}x{args.height} {pub_fps:.1f} fps "
                 f"{pub_kbps:.0f} kbit/s + Opus")  # fmt: skip
        workers = Workers(args.load_procs, base_url, show, args.decoding, args.pin)
        sockets = process_sockets(server, args.workers) if server and args.workers > 1 else {}
        if sockets:
            progress(f"[{mode}] {len(sockets)} server processes; the host is on "
                     f"{holder(publisher.location)}")  # fmt: skip
        ingest_before = ingest_counters(base_url)
        for n in args.counts:
            progress(f"[{mode}] joining viewers up to {n}")
            joins, join_wall = await workers.grow_to(n, args.join_concurrency)
            await asyncio.sleep(args.warmup)
            progress(f"[{mode}] {n} viewers: measuring {args.seconds:g} s")
            await workers.all("mark")
            cpu0 = server.cpu_seconds() if server else None
            each0 = await processes_cpu(sockets)
            own0 = time.process_time()
            w0 = time.monotonic()
            await asyncio.sleep(args.seconds)
            wall = time.monotonic() - w0
            cpu = 100 * (server.cpu_seconds() - cpu0) / wall if server else None
            each1 = await processes_cpu(sockets)
            own = time.process_time() - own0
            answers = await workers.all("collect", timeout=120)
            ingest_now = ingest_counters(base_url)
            ingest = {k: ingest_now[k] - ingest_before[k] for k in ingest_now}
            ingest_before = ingest_now
            figures = step_figures(args, n, joins, join_wall, answers, track.sent,
                                   track.ambiguous, wall, cpu, ingest)  # fmt: skip
            figures["mode"] = mode
            if sockets:
                figures["processes"] = per_process(answers, each0, each1, wall, n,
                                                   holder(publisher.location), track.sent,
                                                   track.ambiguous)  # fmt: skip
            # the machine's 1-minute load average: other work on a shared host shows here
            figures["loadavg"] = os.getloadavg()[0]
            figures["load_cpu_pct"] = 100 * (own + sum(a["cpu_s"] for a in answers)) / wall
            figures["publisher_kbps"] = pub_kbps
            steps.append(figures)
            progress(
                f"[{mode}] {n} viewers: CPU {fmt_opt(figures['server_cpu_pct'])}%  fps min "
                f"{fmt_opt(figures['fps_min'])} median {fmt_opt(figures['fps_median'])}  "
                f"loss {fmt_opt(figures['loss_pct'], 3)}%  ingest gaps {ingest['gaps']:.0f}  "
                f"latency p99 {fmt_opt(figures['latency_p99_ms'])} ms  "
                f"load generator CPU {figures['load_cpu_pct']:.0f}%"
            )
            for row in figures.get("processes", []):
                progress(
                    f"[{mode}]   process {row['process']}{' (host)' if row['host'] else ''}: "
                    f"{row['viewers']} viewers, CPU {fmt_opt(row['cpu_pct'])}%, "
                    f"{fmt_opt(row['cpu_us_per_packet'], 2)} µs/packet, latency p50 "
                    f"{fmt_opt(row['latency_p50_ms'])} p99 {fmt_opt(row['latency_p99_ms'])} ms"
                )
            if figures["join_failed"] > max(1, n // 10):
                progress(f"[{mode}] stopping the ramp: {figures['join_failed']} joins failed "
                         f"({figures['join_errors']})")  # fmt: skip
                break
            if mode == "transcode" and not figures["held"]:
                progress("[transcode] stopping the ramp: the frame rate is no longer held")
                break
    finally:
        if workers is not None:
            await workers.stop()
        if publisher is not None:
            await publisher.close()
        if server is not None:
            server.stop()
        tmp.cleanup()
    return {"mode": mode, "publisher_kbps": pub_kbps, "publisher_fps": pub_fps, "steps": steps}


def process_sockets(server, count: int, timeout: float = 30) -> dict[str, str]:
    """process id -> its own HTTP socket, for each of the server's ``count`` workers."""
    from ..config import Settings
    from ..node import run_dir

    run = run_dir(Settings(data_dir=server.workdir / "data"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {p.name.removesuffix(".http"): str(p) for p in run.glob("*.http")}
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"{count} server processes did not come up")


async def processes_cpu(sockets: dict[str, str]) -> dict[str, float]:
    """Each server process's CPU seconds, from its own /metrics."""
    import aiohttp

    out = {}
    for process, path in sockets.items():
        try:
            connector = aiohttp.UnixConnector(path=path)
            async with (
                aiohttp.ClientSession(connector=connector) as s,
                s.get("http://livecast/metrics?process=self") as res,
            ):
                text = await res.text()
        except (aiohttp.ClientError, OSError):
            continue
        for line in text.splitlines():
            if line.startswith("process_cpu_seconds_total "):
                out[process] = float(line.split()[1])
    return out


def per_process(answers, before, after, wall: float, n: int, host: str | None,
                sent: dict, ambiguous: set) -> list[dict]:  # fmt: skip
    """Per server process: its viewers, its CPU, and its CPU per RTP packet it sent
    (its light viewers' packets, scaled to all its viewers)."""
    light = [v for a in answers for v in a["light"]]
    rows = []
    for process in sorted(after):
        mine = [v for v in light if v["process"] == process]
        packets = sum(v["video"][0] + v["audio"][0] for v in mine)
        share = len(mine) / len(light) if light else 0
        viewers = round(share * n)
        cpu = 100 * (after[process] - before.get(process, after[process])) / wall
        latencies = [(t - sent[key]) * 1000 for v in mine for key, t in v["starts"]
                     if key in sent and key not in ambiguous]  # fmt: skip
        rows.append({
            "process": process, "host": process == host, "viewers": viewers,
            "cpu_pct": cpu, "latency_p50_ms": percentile(latencies, 50),
            "latency_p99_ms": percentile(latencies, 99),
            "cpu_us_per_packet": cpu / 100 * wall * 1e6 / packets if packets else None,
        })  # fmt: skip
    return rows


def fmt_opt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def held(run: dict) -> int:
    return max((s["viewers"] for s in run["steps"] if s["held"]), default=0)


async def run_all(args) -> dict:
    if args.pin:
        cpus = os.sched_getaffinity(0)
        if len(cpus) > 1:
            os.sched_setaffinity(0, cpus - {0})
    runs = [await ramp(args, "forward")]
    if args.baseline:
        runs.append(await ramp(args, "transcode"))
    return {"bench": "relay", "machine": machine(),
            "args": {k: v for k, v in vars(args).items() if k != "admin_token"},
            "runs": runs}  # fmt: skip


COLUMNS = [
    ("viewers", "viewers"), ("server_cpu_pct", "CPU %"), ("cpu_per_viewer_pct", "CPU %/viewer"),
    ("cpu_us_per_packet", "CPU µs/pkt"),
    ("fps_min", "fps min"), ("fps_median", "fps med"), ("audio_pps_median", "audio pkt/s"),
    ("loss_pct", "loss %"), ("ingest_gaps", "ingest gaps"), ("joins_per_s", "joins/s"),
    ("ttff_p50_ms", "TTFF p50 ms"), ("ttff_p95_ms", "TTFF p95 ms"),
    ("latency_p50_ms", "lat p50 ms"), ("latency_p95_ms", "lat p95 ms"),
    ("latency_p99_ms", "lat p99 ms"), ("load_cpu_pct", "load CPU %"),
    ("loadavg", "loadavg"),
]  # fmt: skip


def draw(data: dict, args):
    def fn(plt):
        fig, axes = plt.subplots(1, 3, figsize=(15, 4))
        for run in data["runs"]:
            xs = [s["viewers"] for s in run["steps"]]
            mode = run["mode"]
            axes[0].plot(xs, [s["server_cpu_pct"] or 0 for s in run["steps"]], "o-", label=mode)
            axes[1].plot(xs, [s["fps_min"] or 0 for s in run["steps"]], "o-",
                         label=f"{mode} min")  # fmt: skip
            axes[1].plot(xs, [s["fps_median"] or 0 for s in run["steps"]], "x--",
                         label=f"{mode} median")  # fmt: skip
            if mode == "forward":
                for p in (50, 95, 99):
                    ys = [s[f"latency_p{p}_ms"] for s in run["steps"]]
                    ys = [float("nan") if y is None else y for y in ys]
                    axes[2].plot(xs, ys, "o-", label=f"p{p}")
        axes[0].set(xlabel="viewers", ylabel="server CPU (% of one core)", title="server CPU")
        axes[1].set(xlabel="viewers", ylabel="frames/s per viewer", title="delivered fps")
        axes[1].axhline(args.fps, color="grey", lw=0.5)
        axes[2].set(xlabel="viewers", ylabel="ms", title="latency added (forward)")
        for ax in axes:
            ax.set_xscale("log", base=2)
            ax.grid(True, alpha=0.3)
            ax.legend()

    return fn


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv or [])
    logging.getLogger("aioice").setLevel(logging.WARNING)
    data = asyncio.run(run_all(args))
    for run in data["runs"]:
        print_table(
            f"bench relay [{run['mode']}]: VP8 {args.size} {run['publisher_fps']:.1f} fps "
            f"{run['publisher_kbps']:.0f} kbit/s + Opus; held {args.fps} fps up to "
            f"{held(run)} viewers",
            run["steps"],
            COLUMNS,
        )
        for s in run["steps"]:
            if s["join_failed"] or s["decoded_backwards"]:
                print(f"  {s['viewers']} viewers: {s['join_failed']} joins failed "
                      f"{s['join_errors']}; decoded counter went backwards "
                      f"{s['decoded_backwards']} times")  # fmt: skip
    if args.baseline:
        fwd, base = held(data["runs"][0]), held(data["runs"][1])
        ratio = f"{fwd / base:.1f}x" if base else "inf (transcode held none)"
        print(f"\nviewers held at {args.fps} fps: forward {fwd}, transcode {base}: {ratio}")
        data["held_ratio"] = fwd / base if base else None
    write_json(args.json_path, data)
    plot(args.plot, draw(data, args))
    return 0
