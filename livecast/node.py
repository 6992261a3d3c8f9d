"""Where this process is: its node (the machine's `livecast serve`) and its own sockets.

A node is one `livecast serve` (one process, or a parent and its ``--workers``); its
processes share ``node_id`` and reach each other through unix sockets in the node's run
dir. Other nodes reach it at ``LIVECAST_NODE_URL``. Each process publishes this as its
card, with its lease (store/processes.py), so any process can find the one holding a
show's host.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .store.embedded import private_dir

# sun_path holds 108 bytes; leave room for "<process id>.media"
_MAX_RUN_DIR = 80


def run_dir(settings: Settings) -> Path:
    """The node's private dir for its processes' unix sockets (0700)."""
    path = Path(settings.data_dir).resolve() / "run"
    if len(str(path)) > _MAX_RUN_DIR:
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"livecast-{os.getuid()}-{digest}"
    private_dir(path)
    return path


@dataclass(frozen=True)
class Card:
    """What other processes need to reach this one."""

    process: str
    node: str
    url: str  # the node's URL for other nodes
    media: str  # unix datagram socket: frames and keyframe requests between processes
    http: str  # unix stream socket: this process's own HTTP (requests for its sessions)
    pid: int = 0

    def as_dict(self) -> dict:
        return {"node": self.node, "url": self.url, "media": self.media, "http": self.http,
                "pid": self.pid}  # fmt: skip

    @classmethod
    def from_dict(cls, process: str, data: dict) -> Card:
        return cls(process, str(data["node"]), str(data["url"]), str(data["media"]),
                   str(data["http"]), int(data.get("pid") or 0))  # fmt: skip


def card_for(settings: Settings, process_id: str) -> Card:
    run = run_dir(settings)
    return Card(
        process=process_id,
        node=settings.node_id or process_id,
        url=settings.node_url or settings.base_url,
        media=str(run / f"{process_id}.media"),
        http=str(run / f"{process_id}.http"),
        pid=os.getpid(),
    )
