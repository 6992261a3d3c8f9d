"""``livecast serve --workers N``: one node, N processes on one port.

The parent prepares the data dir, runs the embedded Redis (when ``REDIS_URL`` is unset),
opens the listening socket and starts N workers, each a whole ``livecast serve`` that
accepts on that inherited socket. Any worker takes any request; the media of a show
crosses between them (media/worker_link.py), Socket.IO rooms through Redis as before,
and a request for a session another worker holds is forwarded to it (livecast/routing.py).

The parent restarts a worker that dies (its viewers reconnect to the others; a host
that was on it comes back within the reconnect grace), with backoff; a worker that
cannot start ``MAX_QUICK_EXITS`` times in a row stops the node (exit 1). SIGTERM or
SIGINT stops the workers (SIGTERM, then SIGKILL after ``STOP_SECONDS``) and the Redis.
Workers die with the parent (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

from .config import Settings

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0
QUICK_EXIT = 10.0  # a worker that exits this soon after its start failed to start
MAX_QUICK_EXITS = 5
BACKOFF = (0.5, 10.0)
LISTEN_FD_ENV = "LIVECAST_LISTEN_FD"
PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def die_with_parent() -> None:
    """In a worker: SIGTERM when the parent dies (Linux), so no worker outlives it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def listen(settings: Settings) -> socket.socket:
    """The node's listening socket (inherited by every worker)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    host = settings.host or "0.0.0.0"
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, settings.port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


class Worker:
    def __init__(self, index: int) -> None:
        self.index = index
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.quick_exits = 0


class Node:
    """The parent: its workers, the embedded Redis, the listening socket."""

    def __init__(self, settings: Settings, count: int, *, env: dict[str, str]) -> None:
        self.settings = settings
        self.count = count
        self.env = env
        self.node_id = settings.node_id or uuid.uuid4().hex[:12]
        self.workers = [Worker(i) for i in range(count)]
        self.sock: socket.socket | None = None
        self.stopping = False
        self.failed: str | None = None

    def spawn(self, worker: Worker) -> None:
        env = {
            **self.env,
            "LIVECAST_WORKERS": "1",
            "LIVECAST_NODE_ID": self.node_id,
            "LIVECAST_WORKER": str(worker.index),
            LISTEN_FD_ENV: str(self.sock.fileno()),
            "PYTHONUNBUFFERED": "1",
        }
        worker.process = subprocess.Popen(
            [sys.executable, "-m", "livecast", "serve"],
            env=env,
            pass_fds=(self.sock.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        worker.started = time.monotonic()

    async def watch(self, worker: Worker) -> None:
        """Restart ``worker`` whenever it dies, until the node stops."""
        from .store.embedded import describe_exit, wait_exit

        while not self.stopping:
            code = await wait_exit(worker.process)
            if self.stopping:
                return
            quick = time.monotonic() - worker.started < QUICK_EXIT
            worker.quick_exits = worker.quick_exits + 1 if quick else 0
            reason = describe_exit(code)
            if worker.quick_exits >= MAX_QUICK_EXITS:
                self.failed = f"worker {worker.index} cannot start ({reason}, {MAX_QUICK_EXITS}×)"
                log.critical("%s; livecast stops", self.failed)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            delay = min(BACKOFF[1], BACKOFF[0] * 2**worker.quick_exits) if quick else 0.0
            log.warning("worker %d died (%s); restarting it in %.1f s", worker.index, reason,
                        delay)  # fmt: skip
            await asyncio.sleep(delay)
            if not self.stopping:
                self.spawn(worker)

    async def stop_workers(self) -> None:
        from .store.embedded import wait_exit

        self.stopping = True
        running = [w.process for w in self.workers if w.process and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(
                asyncio.gather(*(wait_exit(p, 0.1) for p in running)), STOP_SECONDS
            )
        except TimeoutError:
            for process in running:
                if process.poll() is None:
                    log.warning("worker pid %d did not stop: killed", process.pid)
                    process.kill()
                    process.wait()


async def preflight(settings: Settings) -> None:
    """The workers' start-up checks, once, before any starts: a moved third-party
    internal stops ``serve`` with one line (InternalsMoved), not N workers' restarts."""
    from .media import aiortc_tap
    from .realtime.server import create_server

    await aiortc_tap.check_internals()
    create_server(settings.with_(redis_url=None))


async def answering(settings: Settings, node: Node, timeout: float = 60) -> bool:
    """Wait until a worker answers on the node's port (False: the node is failing)."""
    import ssl
    import urllib.request

    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    url = f"{settings.scheme}://{host}:{node.sock.getsockname()[1]}/healthz"
    context = ssl._create_unverified_context() if settings.scheme == "https" else None

    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as res:
                return res.status == 200
        except OSError:
            return False

    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not node.failed:
        if await loop.run_in_executor(None, probe):
            return True
        await asyncio.sleep(0.2)
    return False


async def run(settings: Settings, count: int, *, demo: bool, banner) -> int:
    """Run the node until SIGTERM/SIGINT; returns the exit code."""
    from .media.recorder import finalise_interrupted
    from .store import connect
    from .store.demo import ensure_demo_show
    from .store.embedded import EmbeddedRedis, Supervisor

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    env = dict(os.environ)
    embedded = supervisor = None
    url = settings.redis_url
    node = None
    fatal: list[str] = []
    await preflight(settings)
    try:
        if url is None:
            embedded = EmbeddedRedis(settings.data_dir)
            url = await loop.run_in_executor(None, embedded.start)

            def give_up(reason: str) -> None:
                fatal.append(reason)
                stop.set()

            supervisor = Supervisor(embedded, on_give_up=give_up)
            supervisor.start()
        env["REDIS_URL"] = url
        if settings.tls_cert is not None:
            env["LIVECAST_TLS_CERT"] = str(settings.tls_cert)
            env["LIVECAST_TLS_KEY"] = str(settings.tls_key)
        await loop.run_in_executor(None, finalise_interrupted, settings.recordings_dir)
        demo_show = None
        if demo:
            r = connect(url)
            try:
                demo_show = await ensure_demo_show(r)
            finally:
                await r.aclose()
        node = Node(settings, count, env=env)
        node.sock = listen(settings)
        for worker in node.workers:
            node.spawn(worker)
        watchers = [loop.create_task(node.watch(w)) for w in node.workers]
        ready = loop.create_task(answering(settings, node))
        stopped = loop.create_task(stop.wait())
        await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done() and ready.result():
            banner(demo_show)
            await stopped
        else:
            ready.cancel()
            if not stop.is_set() and not node.failed:
                node.failed = "no worker answered within 60 s"
        stopped.cancel()
        if node.failed:
            fatal.append(node.failed)
        await node.stop_workers()
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    finally:
        if node is not None and node.sock is not None:
            node.sock.close()
        if supervisor is not None:
            await supervisor.stop()
        if embedded is not None:
            await loop.run_in_executor(None, embedded.stop)
    if fatal:
        print(f"livecast: error: {fatal[0]}", file=sys.stderr)
        return 1
    return 0
