"""Helpers for tests: real redis-server processes, a real `livecast serve`, demo data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from livecast.devtools.processes import ServerProcess, free_port  # noqa: F401 (re-exported)

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ROOT = Path(__file__).resolve().parent.parent

PRODUCTS = [
    {"sku": "kimchi-1kg", "name": "포기김치 1kg", "price": 12900, "stock": 100, "max_per_order": 5},
    {"sku": "waffle-10p", "name": "수제 와플 10개입", "price": 9900, "stock": 50},
    {"sku": "tote", "name": "에코백", "price": 5000},
]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


class LiveServer(ServerProcess):
    """`python -m livecast serve` as a real subprocess on loopback, with the test admin token."""

    def __init__(self, workdir: Path, *, env: dict | None = None, args: tuple = ()):
        super().__init__(
            workdir, env={"LIVECAST_ADMIN_TOKEN": ADMIN_TOKEN, **(env or {})}, args=args
        )


def run_cli(*args: str, env: dict, cwd: Path | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "livecast", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
