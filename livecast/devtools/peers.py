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
from ..media.aiortc_tap import gathering
from ..media.keyframe import is_keyframe

GRID = 4  # 4 x 4 blocks = 16 bits of counter
LOOPBACK = ("127.0.0.1",)


def counter_frame(
    counter: int, width: int, height: int, texture: np.ndarray | None = None
) -> av.VideoFrame:
    """A yuv420p picture whose 16 blocks spell ``counter`` (bit 0 top left).

    With ``texture`` (a luma picture of the same size) the blocks are patches in the
    middle of their cells, drawn over the texture, so an encoder has real detail to code.
    """
    bh, bw = height // GRID, width // GRID
    if texture is None:
        y = np.empty((height, width), np.uint8)
        my = mx = 0
    else:
        y = texture.copy()
        my, mx = bh // 5, bw // 5  # patches cover the middle 60% of a cell
    for bit in range(GRID * GRID):
        row, col = divmod(bit, GRID)
        y[row * bh + my : (row + 1) * bh - my, col * bw + mx : (col + 1) * bw - mx] = (
            235 if counter >> bit & 1 else 16
        )
    chroma = np.full((height // 2, width), 128, np.uint8)
    return av.VideoFrame.from_ndarray(np.vstack([y, chroma]), format="yuv420p")


class MovingTexture:
    """Smoothed noise panning over a gradient: detail and motion for a real bitrate."""

    def __init__(self, width: int, height: int, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        big = rng.integers(0, 256, (height * 2, width * 2), np.uint8).astype(np.uint16)
        big = (big + np.roll(big, 1, 0) + np.roll(big, 1, 1) + np.roll(big, 1, (0, 1))) // 8
        self.noise = big.astype(np.uint8)  # 0..127
        gy, gx = np.mgrid[0:height, 0:width]
        self.gradient = ((gx + gy) * 100 // (width + height)).astype(np.uint8)
        self.width, self.height = width, height

    def luma(self, n: int) -> np.ndarray:
        ox, oy = (n * 3) % self.width, (n * 2) % self.height
        window = self.noise[oy : oy + self.height, ox : ox + self.width]
        return window + self.gradient + np.uint8((n * 2) % 28)


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


async def pace(track) -> None:
    """Sleep until the track's next frame is due: ``count / fps`` after its first one."""
    if track._start is None:
        track._start = time.monotonic()
    delay = track._start + track.count / track.fps - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


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
        await pace(self)
        frame = counter_frame(self.count % (1 << GRID * GRID), self.width, self.height)
        frame.pts = int(self.count * 90000 / self.fps)
        frame.time_base = self._time_base
        self.count += 1
        return frame


class EncodedCounterTrack(MediaStreamTrack):
    """Video at ``fps`` encoded here (VP8, PyAV/libvpx at ``bitrate``): ``recv()``
    returns ``av.Packet`` objects that the sender only packetizes.

    Frame n shows the counter n over a moving texture. ``sent`` maps the first bytes of
    each encoded frame (what a viewer sees after the VP8 payload descriptor of the
    frame's first packet) to the ``time.monotonic()`` at which it went to the sender.
    """

    kind = "video"
    KEY_BYTES = 24

    def __init__(
        self, width: int = 640, height: int = 480, fps: int = 30, bitrate: int = 1_000_000
    ) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.count = 0
        self.bytes = 0
        self.keyframes = 0
        self.sent: dict[bytes, float] = {}
        self.ambiguous: set[bytes] = set()
        self.force_keyframe = False
        self._texture = MovingTexture(width, height)
        self._start: float | None = None
        self._time_base = fractions.Fraction(1, 90000)
        ctx = av.CodecContext.create("libvpx", "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.bit_rate = bitrate
        ctx.time_base = fractions.Fraction(1, fps)
        ctx.framerate = fps
        ctx.gop_size = 3000  # keyframes on request (PLI) only, like a browser
        ctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0",
                       "error-resilient": "1", "auto-alt-ref": "0", "static-thresh": "0",
                       "buf-sz": "1000", "buf-initial-sz": "500", "buf-optimal-sz": "600",
                       "undershoot-pct": "95", "overshoot-pct": "5"}  # fmt: skip
        self._codec = ctx

    def _encode(self, n: int, keyframe: bool) -> bytes:
        frame = counter_frame(
            n % (1 << GRID * GRID), self.width, self.height, self._texture.luma(n)
        )
        frame.pts = n
        frame.time_base = self._codec.time_base
        if keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        return b"".join(bytes(p) for p in self._codec.encode(frame))

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        while True:
            await pace(self)
            n = self.count
            self.count += 1
            keyframe, self.force_keyframe = self.force_keyframe, False
            data = await loop.run_in_executor(None, self._encode, n, keyframe)
            if data:
                break
        self.bytes += len(data)
        if data[0] & 1 == 0:
            self.keyframes += 1
        key = data[: self.KEY_BYTES]
        if key in self.sent:
            self.ambiguous.add(key)
        packet = av.Packet(data)
        packet.pts = int(n * 90000 / self.fps)
        packet.time_base = self._time_base
        self.sent[key] = time.monotonic()
        return packet

    @property
    def bitrate(self) -> float:
        """Encoded bits per second so far."""
        return self.bytes * 8 * self.fps / self.count if self.count else 0.0


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

    def __init__(
        self, base_url: str, show: str, *, addresses=LOOPBACK, unix: str | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.show = show
        self.addresses = addresses
        self.unix = unix  # one process of `serve --workers`: its own socket
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.answer: Answer | None = None
        self.location: str | None = None
        self._http: aiohttp.ClientSession | None = None

    async def _connect(self, key: str | None = None) -> Answer:
        connector = aiohttp.UnixConnector(path=self.unix) if self.unix else None
        self._http = aiohttp.ClientSession(connector=connector)
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
        bitrate: int | None = None,
        unix: str | None = None,
    ) -> None:
        """``bitrate``: encode VP8 here at that rate over a moving texture
        (:class:`EncodedCounterTrack`, send times recorded) instead of aiortc's encoder."""
        super().__init__(base_url, show, addresses=addresses, unix=unix)
        self.key = key
        if bitrate is not None:
            if codec != "VP8":
                raise ValueError("the pre-encoded publisher sends VP8 only")
            self.video = EncodedCounterTrack(width, height, fps, bitrate)
        else:
            self.video = CounterTrack(width, height, fps)
        self.audio = AudioStreamTrack()
        video = self.pc.addTransceiver(self.video, direction="sendonly")
        _prefer(video, "video", codec, RTCRtpSender.getCapabilities)
        if bitrate is not None:
            track = self.video

            def keyframe_requested() -> None:
                track.force_keyframe = True

            aiortc_tap.on_keyframe_request(video.sender, keyframe_requested)
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
        unix: str | None = None,
    ) -> None:
        super().__init__(base_url, show, addresses=addresses, unix=unix)
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


def _payload_types(sdp: str) -> dict[int, str]:
    """Payload type -> "video"/"audio"/"rtx" from an SDP's rtpmap lines."""
    kinds: dict[int, str] = {}
    kind = ""
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
        elif line.startswith("a=rtpmap:"):
            pt, name = line[9:].split(" ", 1)
            kinds[int(pt)] = "rtx" if name.lower().startswith("rtx/") else kind
    return kinds


def vp8_frame_start(payload: bytes) -> bytes | None:
    """The VP8 data of a packet that starts a frame (S=1, PID=0), else None."""
    b0 = payload[0]
    if not b0 & 0x10 or b0 & 0x07:
        return None
    pos = 1
    if b0 & 0x80:
        ext = payload[1]
        pos = 2
        if ext & 0x80:
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:
            pos += 1
        if ext & 0x30:
            pos += 1
    return payload[pos:]


@dataclass
class RtpCount:
    """RTP of one kind as a light viewer saw it."""

    packets: int = 0
    gaps: int = 0  # sequence numbers skipped
    late: int = 0  # arrived behind the highest seen
    frames: int = 0  # video: distinct RTP timestamps
    keyframes: int = 0
    last_seq: int | None = None
    last_ts: int | None = None

    def snapshot(self) -> tuple[int, int, int, int, int]:
        return (self.packets, self.gaps, self.late, self.frames, self.keyframes)


class LightViewer(Peer):
    """A WHEP player that completes ICE/DTLS/SRTP and counts RTP without decoding.

    Its receivers never see a packet: :func:`aiortc_tap.intercept_rtp` hands each SRTP
    datagram over with its clear RTP header (sequence, timestamp, marker). Only the
    first packet of each video frame is unprotected, to tell keyframes and to record
    ``(first bytes of the VP8 frame, arrival time)`` in ``frame_starts`` for latency.
    """

    path = "whep"

    def __init__(self, base_url: str, show: str, *, addresses=LOOPBACK) -> None:
        super().__init__(base_url, show, addresses=addresses)
        for kind in ("video", "audio"):
            t = self.pc.addTransceiver(kind, direction="recvonly")
            _prefer(t, kind, "VP8" if kind == "video" else None, RTCRtpReceiver.getCapabilities)
        self.video = RtpCount()
        self.audio = RtpCount()
        self.frame_starts: list[tuple[bytes, float]] = []
        self.started_at: float | None = None
        self.first_frame_at: float | None = None
        self._kinds: dict[int, str] = {}

    async def start(self) -> Answer:
        self.started_at = time.monotonic()
        answer = await self._connect()
        if answer.status == 201:
            self._kinds = _payload_types(answer.body)
            aiortc_tap.intercept_rtp(self.pc, self._on_rtp)
        return answer

    def _on_rtp(self, data: bytes, srtp) -> None:
        kind = self._kinds.get(data[1] & 0x7F)
        if kind == "video":
            count = self.video
        elif kind == "audio":
            count = self.audio
        else:
            return
        seq = data[2] << 8 | data[3]
        count.packets += 1
        last = count.last_seq
        if last is not None:
            delta = (seq - last) & 0xFFFF
            if delta == 0 or delta >= 0x8000:
                count.late += 1
                return
            count.gaps += delta - 1
        count.last_seq = seq
        if kind != "video":
            return
        ts = int.from_bytes(data[4:8], "big")
        if ts == count.last_ts:
            return
        count.last_ts = ts
        count.frames += 1
        now = time.monotonic()
        if self.first_frame_at is None:
            self.first_frame_at = now
        try:
            clear = srtp.unprotect(data)
        except Exception:
            return
        b0 = clear[0]
        pos = 12 + 4 * (b0 & 0x0F)
        if b0 & 0x10:
            pos += 4 + 4 * int.from_bytes(clear[pos + 2 : pos + 4], "big")
        vp8 = vp8_frame_start(clear[pos:])
        if vp8:
            if vp8[0] & 1 == 0:
                count.keyframes += 1
            self.frame_starts.append((vp8[: EncodedCounterTrack.KEY_BYTES], now))
