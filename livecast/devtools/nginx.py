"""Debian's nginx as an HLS cache in front of livecast, on loopback (tests, ``bench hls``).

The configuration is the one docs/deploy.md explains: ``/hls/`` through ``proxy_cache``
(the origin's Cache-Control decides how long; one request per URL reaches the origin,
the others wait on the cache lock; long timeouts for blocking playlist reloads), the
rest proxied with websocket upgrades. ``X-Cache-Status`` tells HIT from MISS.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from .processes import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """\
{user}
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/client_body;
  proxy_temp_path {prefix}/proxy;
  proxy_cache_path {prefix}/cache levels=1:2 keys_zone=hls:16m max_size=2g inactive=10m
                   use_temp_path=off;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  upstream livecast {{ server {upstream}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /nginx-ready {{ return 204; }}
    location /hls/ {{
      proxy_pass http://livecast;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache hls;
      proxy_cache_key $request_uri;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 10s;
      proxy_cache_lock_age 10s;
      proxy_cache_valid 404 1s;
      proxy_read_timeout 15s;
      add_header X-Cache-Status $upstream_cache_status always;
    }}
    location / {{
      proxy_pass http://livecast;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
      proxy_buffering off;
    }}
  }}
}}
"""


def config(prefix: Path, port: int, upstream: str, *, workers: int = 1) -> str:
    # as root, nginx's workers would run as nobody and could not reach a private tmp dir
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    return CONFIG.format(user=user, workers=workers, prefix=prefix, port=port, upstream=upstream)


class NginxCache:
    """``nginx`` with :func:`config` in ``workdir``, in front of ``upstream`` (host:port)."""

    def __init__(self, workdir: Path, upstream: str, *, workers: int = 1) -> None:
        self.prefix = Path(workdir)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.upstream = upstream
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> NginxCache:
        assert Path(NGINX).exists(), "Debian's nginx is needed: apt-get install nginx"
        self.prefix.mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(config(self.prefix, self.port, self.upstream, workers=self.workers))
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.errors()}")
            try:
                with urllib.request.urlopen(self.base_url + "/nginx-ready", timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not answer in {timeout}s:\n{self.errors()}")

    def errors(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pids(self) -> list[int]:
        """The master and its workers (for CPU figures)."""
        if self.process is None:
            return []
        out = [self.process.pid]
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                out.append(int(status.parent.name))
        return out

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (fast shutdown), then SIGKILL; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
