"""The forwarding core: one show's host frames fanned out to its viewers, never decoded.

The host's receivers hand complete encoded frames to :meth:`ShowRelay.on_frame` (as
soon as the marker packet completes them). Each frame becomes ONE ``av.Packet`` (pts on
the show's own timeline, so a host that reconnects does not make viewers' timestamps
jump back) packetized ONCE into RTP payloads for every viewer. A connected viewer's
:class:`ViewerTrack` sends them at once through its ``aiortc_tap.DirectSender``: per
viewer and packet only the RTP header is written, then SRTP and a ``sendto``. Until the
direct sender exists (or if it cannot be made) the track queues packets for its
``RTCRtpSender`` to packetize, as aiortc does.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Callable

import av

from . import aiortc_tap, worker_link
from .aiortc_tap import PacketTrack
from .keyframe import KeyframeRequester, is_keyframe

log = logging.getLogger(__name__)


class ViewerTrack(PacketTrack):
    """One viewer's track: frames sent directly, or a bounded queue its sender reads.

    Video starts at a keyframe. Nothing is sent or queued until the sender first asks for
    a packet (the viewer is connected); then the direct sender takes over and the
    sender's loop waits until the track stops. In the queued fallback, on overflow the
    queue is emptied and the viewer waits for the next keyframe (one is requested); audio
    drops its oldest packet instead.
    """

    def __init__(self, kind: str, codec_name: str, *, max_queue: int, need_keyframe) -> None:
        super().__init__(kind)
        self.codec_name = codec_name
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=max_queue)
        self._need_keyframe: Callable[[], None] = need_keyframe
        self.reading = False
        # the direct fan-out (aiortc_tap.DirectSender), set up once the viewer is connected
        self.sender = None  # our RTCRtpSender, and the parameters it was started with
        self.send_parameters: dict = {}
        self.direct: aiortc_tap.DirectSender | None = None
        self._idle = asyncio.Event()
        self.waiting_keyframe = kind == "video"
        self.delivered = 0
        self.dropped = 0
        self.overflows = 0

    def push(self, packet: av.Packet, keyframe: bool, packed=None) -> bool:
        """Send (directly) or queue a packet for this viewer; False if it was dropped.

        ``packed`` is ``(payloads, timestamp, ntp)``: the frame packetized once for all.
        """
        if not self.reading or self.readyState != "live":
            return False
        direct = self.direct
        if direct is not None and packed is not None:
            if self.waiting_keyframe:
                if not keyframe:
                    self.dropped += 1
                    return False
                self.waiting_keyframe = False
            try:
                direct.send(*packed)
            except Exception:  # the ICE pair or SRTP went away: the session ends soon
                self.dropped += 1
                return False
            self.delivered += 1
            return True
        if packet is None:  # packetized elsewhere (another process) and no direct sender yet
            self.dropped += 1
            return False
        if self.kind == "video":
            if self.waiting_keyframe:
                if not keyframe:
                    self.dropped += 1
                    return False
                self.waiting_keyframe = False
            if self._queue.full():
                self._drain()
                self.overflows += 1
                if not keyframe:
                    self.waiting_keyframe = True
                    self.dropped += 1
                    self._need_keyframe()
                    return False
        elif self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(packet)
        return True

    def restart(self) -> None:
        """A new host stream begins: drop what is queued and wait for its keyframe."""
        self._drain()
        if self.kind == "video":
            self.waiting_keyframe = True

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self.dropped += 1

    def stop(self) -> None:
        super().stop()
        self._idle.set()
        if self.direct is not None:
            self.direct.close()

    def _go_direct(self) -> None:
        parameters = self.send_parameters.get("parameters")
        if self.sender is None or parameters is None:
            return
        try:
            self.direct = aiortc_tap.DirectSender(self.sender, parameters)
        except Exception:
            log.exception("direct sending unavailable; using the sender's loop")

    async def next_packet(self):
        if not self.reading:
            self._go_direct()
            self.reading = True
            if self.kind == "video":
                self._need_keyframe()
        if self.direct is not None:
            # frames go out in push(); the sender's loop waits here until the end
            self._drain()
            await self._idle.wait()
            return None
        packet = await self._queue.get()
        self.delivered += 1
        return packet


class Timeline:
    """Maps each host session's RTP timestamps onto one continuous show timeline.

    The first frame of a kind in a session is placed at its arrival time on the show's
    clock (never before the last packet sent), later ones follow the host's timestamps.
    """

    def __init__(self) -> None:
        self.origin = time.monotonic()
        self._anchor: dict[str, tuple[int, int]] = {}
        self._last: dict[str, int] = {}

    def new_session(self) -> None:
        self._anchor.clear()

    def now_ticks(self, clock_rate: int) -> int:
        return int((time.monotonic() - self.origin) * clock_rate)

    def place(self, kind: str, timestamp: int, clock_rate: int) -> int:
        anchor = self._anchor.get(kind)
        if anchor is None:
            base = self.now_ticks(clock_rate)
            if kind in self._last:
                base = max(base, self._last[kind] + 1)
            anchor = self._anchor[kind] = (timestamp, base)
        pts = anchor[1] + timestamp - anchor[0]
        last = self._last.get(kind)
        if last is not None and pts <= last:
            pts = last + 1
        self._last[kind] = pts
        return pts


class ShowRelay:
    """One show: the current host session, its codecs, and the viewers fed from it."""

    def __init__(
        self,
        show: str,
        *,
        pli_interval: float,
        keyframe_every: float = 0.0,
        hls_keyframe_every: float = 0.0,
        on_forward=None,
    ) -> None:
        self.show = show
        self.host = None  # the current WhipSession
        # the show's frames from the process or node holding its host (media/feeds.py)
        self.feed = None
        # the other processes of this node subscribed to the show (media/worker_link.py)
        self.remote: set = set()
        self.video_codec: str | None = None  # "VP8" / "H264" of the current or last host
        self.viewers: set = set()  # WhepSession
        self.private = False  # a rehearsal: only the host's own players (previews) get frames
        self.pending = 0  # WHIP/WHEP offers being negotiated
        self.timeline = Timeline()
        self.keyframes = KeyframeRequester(self._send_pli, interval=pli_interval)
        self.recorder = None
        self.frames_in = 0
        # while recording, ask for a keyframe if none came for this long (seekable files)
        self.keyframe_every = keyframe_every
        # while packaging HLS (media/hls/), segments start at keyframes: one this often
        self.hls = None
        self.hls_keyframe_every = hls_keyframe_every
        self._last_keyframe = 0.0
        self._on_forward = on_forward
        self._time_bases: dict[int, fractions.Fraction] = {}
        self._packetizers: dict[tuple[str, int], aiortc_tap.Packetizer] = {}

    async def _send_pli(self) -> bool:
        source = self.host or self.feed
        if source is None:
            return False
        return await source.request_keyframe()

    @property
    def on_air(self) -> bool:
        """Frames come in: from a host here, or a feed from where the host is."""
        return self.host is not None or self.feed is not None

    def attach_host(self, session) -> None:
        self.host = session
        self.timeline.new_session()
        if session.video_codec:
            self.video_codec = session.video_codec
        for viewer in list(self.viewers):
            viewer.host_changed(self.video_codec)

    def detach_host(self, session) -> bool:
        if self.host is session:
            self.host = None
            return True
        return False

    def on_frame(self, session, kind: str, codec_name: str, clock_rate: int, data: bytes, ts: int):
        """A complete encoded frame from ``session``'s receiver (on the event loop): the
        host's, or a feed's that receives the frames (media/edge.py)."""
        if session is not self.host and (session is not self.feed or self.host is not None):
            return
        self.frames_in += 1
        keyframe = is_keyframe(codec_name, data) if kind == "video" else True
        if kind == "video" and codec_name != self.video_codec:
            self.video_codec = codec_name
            for viewer in list(self.viewers):
                viewer.host_changed(codec_name)
        pts = self.timeline.place(kind, ts, clock_rate)
        packet = av.Packet(data)
        packet.pts = pts
        packet.dts = pts
        time_base = self._time_bases.get(clock_rate)
        if time_base is None:
            time_base = self._time_bases[clock_rate] = fractions.Fraction(1, clock_rate)
        packet.time_base = time_base
        sent = 0
        if self.viewers or self.remote:
            packed = self._pack(kind, codec_name, clock_rate, packet)
            private = self.private
            for viewer in self.viewers:
                if private and not viewer.preview:
                    continue
                if viewer.push(kind, packet, keyframe, packed):
                    sent += 1
            if self.remote and packed is not None:
                data = worker_link.pack_frame(self.show, kind, codec_name, keyframe, packed)
                for link in self.remote:
                    if private and self.show not in link.previews:
                        continue
                    link.send_frame(self.show, data, kind, keyframe)
        if keyframe and kind == "video":
            self._last_keyframe = time.monotonic()
        recorder, hls = self.recorder, self.hls
        if recorder is not None or hls is not None:
            every = self._keyframe_period()
            if kind == "video" and every and time.monotonic() - self._last_keyframe > every:
                self._last_keyframe = time.monotonic()  # one request per period
                self.keyframes.request()
            if recorder is not None:
                recorder.write(kind, data, pts - recorder.origin_ticks(clock_rate), keyframe)
            if hls is not None:
                hls.write(kind, data, pts, keyframe)
        if self._on_forward is not None and sent:
            self._on_forward(kind, sent)

    def _keyframe_period(self) -> float:
        """How long without a keyframe before asking for one (0: never)."""
        periods = []
        if self.recorder is not None and self.keyframe_every:
            periods.append(self.keyframe_every)
        if self.hls is not None and self.hls_keyframe_every:
            periods.append(self.hls_keyframe_every)
        return min(periods, default=0.0)

    def on_packed(self, kind: str, codec_name: str, keyframe: bool, packed) -> int:
        """A frame packetized by the process holding the host (media/worker_link.py):
        ``packed`` is ``(payloads, timestamp, ntp)``; sent to this process's viewers."""
        if kind == "video" and codec_name != self.video_codec:
            self.video_codec = codec_name
            for viewer in list(self.viewers):
                viewer.host_changed(codec_name)
        sent = 0
        private = self.private
        for viewer in self.viewers:
            if private and not viewer.preview:
                continue
            if viewer.push(kind, None, keyframe, packed):
                sent += 1
        if self._on_forward is not None and sent:
            self._on_forward(kind, sent)
        return sent

    def _pack(self, kind: str, codec_name: str, clock_rate: int, packet):
        """The frame's RTP payloads, once for every viewer (None: no packetizer)."""
        key = (codec_name, clock_rate)
        packetizer = self._packetizers.get(key)
        if packetizer is None:
            try:
                packetizer = aiortc_tap.Packetizer(f"{kind}/{codec_name}", clock_rate)
            except Exception:
                return None
            self._packetizers[key] = packetizer
        payloads, timestamp = packetizer.pack(packet)
        return payloads, timestamp, aiortc_tap.ntp_now()

    async def stop(self) -> None:
        await self.keyframes.stop()
