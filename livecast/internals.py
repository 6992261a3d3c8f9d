"""Helpers of the start-up checks of third-party internals (media/aiortc_tap/check.py,
realtime/fanout.py): each plane keeps its own checks, these two are shared."""

from __future__ import annotations

from importlib import metadata


def installed_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "(unknown version)"


def run_to_end(coro):
    """Run a coroutine that never suspends to its end, without an event loop."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise AssertionError("it now waits for something")
