"""Frames between the processes of one node (``serve --workers``): being written."""

from __future__ import annotations


class WorkerFeed:
    def __init__(self, plane, relay, card) -> None:
        self.owner = card.process
        self.video_codec = None
        self.closed = False

    async def start(self) -> None:
        raise NotImplementedError("frames between workers")

    async def request_keyframe(self) -> bool:
        return False

    async def close(self) -> None:
        self.closed = True
