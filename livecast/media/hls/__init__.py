"""HLS for mass audiences: low-latency HLS packaged from the forwarded frames.

Public face: :class:`HlsPackager` (fed by the relay's tap), :func:`finish_show` (the
show ended: ENDLIST and vod.m3u8), :func:`show_directory` and :func:`add_routes`.
"""

from __future__ import annotations

from pathlib import Path

from .packager import HlsPackager, finish_show

__all__ = ["HlsPackager", "finish_show", "show_directory"]


def show_directory(data_dir: Path, show: str) -> Path:
    """Where a show's HLS files are: ``{data_dir}/hls/{show}/`` (private, like the data dir)."""
    return Path(data_dir) / "hls" / show
