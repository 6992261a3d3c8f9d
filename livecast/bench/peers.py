"""Synthetic WHIP publishers and WHEP viewers (real aiortc peers), for tests and benchmarks.

The publisher draws a frame counter into its picture (16 black/white blocks, one bit
each); a decoding viewer reads it back, so a test can tell frames really flowed in
order. A counting viewer does not decode at all: it taps its receivers like the server
does and counts encoded frames and keyframes (cheap enough for many viewers).
"""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass, field

import aiohttp
import av
import numpy as np
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack

from ..media import aiortc_tap
from ..media.ice import gathering
from ..media.keyframe import is_keyframe

GRID = 4  # 4 x 4 blocks = 16 bits of counter
LOOPBACK = ("127.0.0.1",)


def counter_frame(counter: int, width: int, height: int) -> av.VideoFrame:
    """A yuv420p picture whose 16 blocks spell ``counter`` (bit 0 top left)."""
    y = np.empty((height, width), np.uint8)
    bh, bw = height // GRID, width // GRID
    for bit in range(GRID * GRID):
        row, col = divmod(bit, GRID)
        y[row * bh : (row + 1) * bh, col * bw : (col + 1) * bw] = 235 if counter >> bit & 1 else 16
    chroma = np.full((height // 2, width), 128, np.uint8)
    return av.VideoFrame.from_ndarray(np.vstack([y, chroma]), format="yuv420p")


def read_counter(frame: av.VideoFrame) -> int:
    """The counter :func:`counter_frame` drew, read from a decoded picture."""
    y = frame.to_ndarray(format="gray")
    height, width = y.shape
    bh, bw = height // GRID, width // GRID
    value = 0
    for bit in range(GRID * GRID):
        row, col = divmod(bit, GRID)
        cy, cx = row * bh + bh // 2, col * bw + bw // 2
        patch = y[cy - bh // 4 : cy + bh // 4, cx - bw // 4 : cx + bw // 4]
        if patch.mean() > 128:
            value |= 1 << bit
    return value


class CounterTrack(MediaStreamTrack):
    """Video at ``fps``: frame n shows the counter n."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 20) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.count = 0
        self._start: float | None = None
        self._time_base = fractions.Fraction(1, 90000)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self.count / self.fps
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = counter_frame(self.count % (1 << GRID * GRID), self.width, self.height)
        frame.pts = int(self.count * 90000 / self.fps)
        frame.time_base = self._time_base
        self.count += 1
        return frame


def _prefer(transceiver, kind: str, codec: str | None, capabilities) -> None:
    if codec is None:
        return
    codecs = capabilities(kind).codecs
    chosen = [c for c in codecs if c.mimeType.lower() == f"{kind}/{codec}".lower()]
    chosen += [c for c in codecs if c.mimeType.lower() == f"{kind}/rtx"]
    transceiver.setCodecPreferences(chosen)


@dataclass
class Answer:
    status: int
    headers: dict
    body: str

    def json(self):
        import json

        return json.loads(self.body)


async def post_sdp(
    http: aiohttp.ClientSession,
    url: str,
    sdp: str,
    *,
    key: str | None = None,
    content_type: str = "application/sdp",
) -> Answer:
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    async with http.post(url, data=sdp.encode(), headers=headers) as res:
        return Answer(res.status, res.headers.copy(), await res.text())


async def _offer(pc: RTCPeerConnection, addresses) -> str:
    with gathering(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


class Peer:
    """What publishers and viewers share: a peer connection and a WHIP/WHEP resource."""

    path = ""

    def __init__(self, base_url: str, show: str, *, addresses=LOOPBACK) -> None:
        self.base_url = base_url.rstrip("/")
        self.show = show
        self.addresses = addresses
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.answer: Answer | None = None
        self.location: str | None = None
        self._http: aiohttp.ClientSession | None = None

    async def _connect(self, key: str | None = None) -> Answer:
        self._http = aiohttp.ClientSession()
        offer = await _offer(self.pc, self.addresses)
        self.answer = await post_sdp(
            self._http, f"{self.base_url}/{self.path}/{self.show}", offer, key=key
        )
        if self.answer.status == 201:
            self.location = self.answer.headers["Location"]
            await self.pc.setRemoteDescription(
                RTCSessionDescription(sdp=self.answer.body, type="answer")
            )
        return self.answer

    async def wait_connected(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if time.monotonic() > deadline or self.pc.connectionState in ("failed", "closed"):
                raise TimeoutError(f"{self.path} peer is {self.pc.connectionState}")
            await asyncio.sleep(0.05)

    async def delete(self) -> int | None:
        if self.location is None or self._http is None:
            return None
        async with self._http.delete(self.base_url + self.location) as res:
            self.location = None
            return res.status

    async def close(self, *, delete: bool = True) -> None:
        if delete:
            try:
                await self.delete()
            except aiohttp.ClientError:
                pass
        await self.pc.close()
        if self._http is not None:
            await self._http.close()
            self._http = None


class Publisher(Peer):
    """A host: counter video (VP8 or H264) and Opus silence, over WHIP."""

    path = "whip"

    def __init__(
        self,
        base_url: str,
        show: str,
        key: str,
        *,
        codec: str = "VP8",
        fps: int = 20,
        width: int = 320,
        height: int = 240,
        addresses=LOOPBACK,
    ) -> None:
        super().__init__(base_url, show, addresses=addresses)
        self.key = key
        self.video = CounterTrack(width, height, fps)
        self.audio = AudioStreamTrack()
        video = self.pc.addTransceiver(self.video, direction="sendonly")
        _prefer(video, "video", codec, RTCRtpSender.getCapabilities)
        self.pc.addTransceiver(self.audio, direction="sendonly")

    async def start(self) -> Answer:
        return await self._connect(self.key)


@dataclass
class Reception:
    """What a viewer got: (arrival time, counter or None) per video frame, audio count."""

    video: list[tuple[float, int | None]] = field(default_factory=list)
    keyframes: int = 0
    audio: int = 0

    def counters(self) -> list[int]:
        return [c for _, c in self.video if c is not None]

    def frames_since(self, moment: float) -> int:
        return sum(1 for t, _ in self.video if t >= moment)


class Viewer(Peer):
    """A player over WHEP. ``decode``: read the counter from each decoded picture;
    otherwise count encoded frames without decoding (for many viewers in a benchmark)."""

    path = "whep"

    def __init__(
        self,
        base_url: str,
        show: str,
        *,
        decode: bool = True,
        codec: str | None = None,
        audio: bool = True,
        addresses=LOOPBACK,
    ) -> None:
        super().__init__(base_url, show, addresses=addresses)
        self.decode = decode
        self.got = Reception()
        self.started_at: float | None = None
        self._tasks: list[asyncio.Task] = []
        video = self.pc.addTransceiver("video", direction="recvonly")
        _prefer(video, "video", codec, RTCRtpReceiver.getCapabilities)
        transceivers = [video]
        if audio:
            transceivers.append(self.pc.addTransceiver("audio", direction="recvonly"))
        if decode:
            self.pc.on("track", self._on_track)
        else:
            for t in transceivers:
                aiortc_tap.tap_receiver(t.receiver, self._counter(t.kind))

    def _counter(self, kind: str):
        def on_frame(codec, frame) -> None:
            if kind == "video":
                self.got.video.append((time.monotonic(), None))
                if is_keyframe(codec.name, frame.data):
                    self.got.keyframes += 1
            else:
                self.got.audio += 1

        return on_frame

    def _on_track(self, track) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(self._consume(track)))

    async def _consume(self, track) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.got.video.append((time.monotonic(), read_counter(frame)))
                else:
                    self.got.audio += 1
        except (MediaStreamError, asyncio.CancelledError):
            pass

    async def start(self) -> Answer:
        self.started_at = time.monotonic()
        return await self._connect()

    @property
    def first_frame_delay(self) -> float | None:
        if not self.got.video or self.started_at is None:
            return None
        return self.got.video[0][0] - self.started_at

    async def wait_frames(self, count: int, timeout: float = 10, since: float | None = None) -> int:
        """Wait until ``count`` video frames arrived (after ``since``); returns how many."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.got.frames_since(since) if since is not None else len(self.got.video)
            if got >= count or time.monotonic() > deadline:
                return got
            await asyncio.sleep(0.05)

    async def close(self, *, delete: bool = True) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await super().close(delete=delete)
