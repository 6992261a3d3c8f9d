"""Keyframes: recognising them in encoded frames, and asking the host for one (PLI).

Plain functions on the bytes of one complete encoded frame (as the receiver's jitter
buffer assembles it: a VP8 frame without payload descriptor, or H.264 in Annex B).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator

log = logging.getLogger(__name__)

H264_IDR = 5
H264_SPS = 7
H264_PPS = 8


def h264_nal_units(data: bytes) -> Iterator[bytes]:
    """NAL units of an Annex B stream (start codes removed)."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i != -1:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    for n, start in enumerate(starts):
        end = starts[n + 1] - 3 if n + 1 < len(starts) else len(data)
        if n + 1 < len(starts) and end > start and data[end - 1] == 0:
            end -= 1  # 4-byte start code of the next unit
        if end > start:
            yield data[start:end]


def is_keyframe(codec_name: str, data: bytes) -> bool:
    """VP8: bit 0 of the first byte is 0. H.264: an IDR slice or an SPS."""
    if not data:
        return False
    name = codec_name.upper()
    if name == "VP8":
        return data[0] & 0x01 == 0
    if name == "H264":
        return any(nal[0] & 0x1F in (H264_IDR, H264_SPS) for nal in h264_nal_units(data))
    return True  # audio: every frame stands alone


def vp8_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (RFC 6386 section 9.1)."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


def h264_parameter_sets(data: bytes) -> bytes | None:
    """SPS and PPS of a keyframe as Annex B (the extradata a muxer needs), if present."""
    sets = [nal for nal in h264_nal_units(data) if nal[0] & 0x1F in (H264_SPS, H264_PPS)]
    if not any(nal[0] & 0x1F == H264_SPS for nal in sets):
        return None
    return b"".join(b"\x00\x00\x00\x01" + nal for nal in sets)


class KeyframeRequester:
    """Coalesces keyframe requests: at most one PLI per ``interval``, however many ask.

    ``send`` is the coroutine that sends one PLI upstream (returns False if it could not);
    ``clock`` and ``sleep`` are the time it goes by (tests give their own).
    """

    def __init__(
        self,
        send: Callable[[], Awaitable[bool]],
        interval: float = 0.3,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._send = send
        self._clock = clock
        self._sleep = sleep
        self.interval = interval
        self._last = -1e9
        self._pending: asyncio.Task | None = None
        self.sent = 0
        self.requested = 0

    def request(self) -> None:
        self.requested += 1
        if self._pending is not None and not self._pending.done():
            return
        delay = max(0.0, self._last + self.interval - self._clock())
        self._pending = asyncio.get_running_loop().create_task(self._send_after(delay))

    async def _send_after(self, delay: float) -> None:
        try:
            if delay:
                await self._sleep(delay)
            self._last = self._clock()
            if await self._send():
                self.sent += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending a PLI failed")

    async def stop(self) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
            try:
                await self._pending
            except asyncio.CancelledError:
                pass
        self._pending = None
