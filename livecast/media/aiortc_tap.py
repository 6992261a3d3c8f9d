"""Every touch of aiortc internals, in one place, written against aiortc==1.16.0.

aiortc has no public API for forwarding encoded media. What livecast needs, and how
it gets it from aiortc 1.16.0:

- The host's complete encoded frames, before decoding. ``RTCRtpReceiver`` assembles
  them in its jitter buffer and puts ``(codec, JitterFrame)`` on a private
  ``queue.Queue`` (``_RTCRtpReceiver__decoder_queue``) read by a decoder thread.
  :func:`tap_receiver` swaps that queue, before ``receive()`` starts the thread, for a
  :class:`FrameTap` that hands every frame to a callback on the event loop and passes
  only the thread's stop marker (``None``) on: the thread never gets a frame, so it
  never builds a decoder.
- "No decoder in the server" made observable: the decoder thread calls the module
  attribute ``aiortc.rtcrtpreceiver.get_decoder``; :func:`install_decoder_census`
  wraps it to count decoders built on threads of tapped receivers
  (:func:`server_decoders_built`).
- A keyframe from the host: ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)``.
- Viewers' keyframe requests: ``RTCRtpSender._handle_rtcp_packet`` turns a PLI/FIR into
  ``RTCRtpSender._send_keyframe()``, which only matters to its encoder; pre-encoded
  packets ignore it. :func:`on_keyframe_request` wraps that method on one sender.
- Sending pre-encoded frames: ``RTCRtpSender._next_encoded_frame`` packs an ``av.Packet``
  returned by ``track.recv()`` with ``encoder.pack`` (pts and time_base honoured) and
  never encodes it. :class:`PacketTrack` is a track whose ``recv()`` returns packets.

:func:`check_internals` verifies all of the above exists; tests/media/test_aiortc_tap.py
calls it so an aiortc upgrade that moves these internals fails loudly.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
import weakref
from collections.abc import Callable

import aiortc
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.codecs import base as codecs_base
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

log = logging.getLogger(__name__)

AIORTC_VERSION = "1.16.0"
_QUEUE_ATTR = "_RTCRtpReceiver__decoder_queue"
_THREAD_ATTR = "_RTCRtpReceiver__decoder_thread"
_STARTED_ATTR = "_RTCRtpReceiver__started"
_RTX_ATTR = "_RTCRtpReceiver__rtx_ssrc"

FrameCallback = Callable[[RTCRtpCodecParameters, JitterFrame], None]


class InternalsMoved(RuntimeError):
    """The installed aiortc does not have the internals this module was written for."""


def check_internals() -> None:
    """Raise :class:`InternalsMoved` naming what changed, if anything did."""
    problems = []
    if aiortc.__version__ != AIORTC_VERSION:
        problems.append(
            f"aiortc is {aiortc.__version__}, this tap was written for {AIORTC_VERSION}"
        )
    receiver_src = inspect.getsource(rtcrtpreceiver.RTCRtpReceiver)
    for needle in (
        "self.__decoder_queue: queue.Queue = queue.Queue()",
        "self.__decoder_queue.put((codec, encoded_frame))",
        "self.__decoder_queue.put(None)",
        "self.__rtx_ssrc: dict[int, int] = {}",
        "async def _send_rtcp_pli(self, media_ssrc: int)",
    ):
        if needle not in receiver_src:
            problems.append(f"RTCRtpReceiver no longer has {needle!r}")
    worker_src = inspect.getsource(rtcrtpreceiver.decoder_worker)
    if "decoder = get_decoder(codec)" not in worker_src or "input_q.get()" not in worker_src:
        problems.append("decoder_worker no longer calls get_decoder(codec) / input_q.get()")
    if not callable(getattr(rtcrtpreceiver, "get_decoder", None)):
        problems.append("aiortc.rtcrtpreceiver.get_decoder is gone")
    sender_src = inspect.getsource(rtcrtpsender.RTCRtpSender)
    for needle in (
        "payloads, timestamp = self.__encoder.pack(data)",
        "self._send_keyframe()",
        "def _send_keyframe(self)",
    ):
        if needle not in sender_src:
            problems.append(f"RTCRtpSender no longer has {needle!r}")
    if not hasattr(codecs_base.Encoder, "pack"):
        problems.append("aiortc.codecs.base.Encoder.pack is gone")
    if problems:
        raise InternalsMoved("; ".join(problems))


# the decoder census
class _DecoderCensus:
    """Counts decoders aiortc builds, and those built for tapped receivers."""

    def __init__(self, original) -> None:
        self.original = original
        self.tapped_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
        self.lock = threading.Lock()
        self.total = 0
        self.tapped = 0

    def __call__(self, codec):
        with self.lock:
            self.total += 1
            if threading.current_thread() in self.tapped_threads:
                self.tapped += 1
        return self.original(codec)


def install_decoder_census() -> _DecoderCensus:
    """Wrap aiortc's get_decoder once per process (the function is process-wide)."""
    current = rtcrtpreceiver.get_decoder
    if isinstance(current, _DecoderCensus):
        return current
    census = _DecoderCensus(current)
    rtcrtpreceiver.get_decoder = census
    return census


def server_decoders_built() -> int:
    """Decoders aiortc built for receivers livecast tapped (must stay 0)."""
    return install_decoder_census().tapped


def all_decoders_built() -> int:
    """Decoders aiortc built in this process for any receiver (tests' viewers decode)."""
    return install_decoder_census().total


# the frame tap
class FrameTap:
    """Stands in for the receiver's decoder queue: frames go to ``on_frame``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_frame: FrameCallback) -> None:
        self._loop = loop
        self._on_frame = on_frame
        self._thread_q: queue.Queue = queue.Queue()

    # called by RTCRtpReceiver on the event loop
    def put(self, item) -> None:
        if item is None:
            self._thread_q.put(None)  # stops the (idle) decoder thread
            return
        codec, frame = item
        try:
            self._on_frame(codec, frame)
        except Exception:
            log.exception("frame tap callback failed")

    # called by the decoder thread
    def get(self, *args, **kwargs):
        return self._thread_q.get(*args, **kwargs)


def tap_receiver(receiver: rtcrtpreceiver.RTCRtpReceiver, on_frame: FrameCallback) -> None:
    """Route ``receiver``'s assembled frames to ``on_frame`` instead of a decoder.

    Call before the receiver starts (right after ``addTransceiver``).
    """
    if getattr(receiver, _STARTED_ATTR):
        raise RuntimeError("tap_receiver must be called before the receiver starts")
    census = install_decoder_census()
    setattr(receiver, _QUEUE_ATTR, FrameTap(asyncio.get_running_loop(), on_frame))
    original_receive = receiver.receive

    async def receive(parameters):
        await original_receive(parameters)
        thread = getattr(receiver, _THREAD_ATTR)
        if thread is not None:
            census.tapped_threads.add(thread)

    receiver.receive = receive


def media_ssrc(receiver: rtcrtpreceiver.RTCRtpReceiver) -> int | None:
    """The SSRC the host is sending media on (not its RTX SSRC), if known."""
    rtx = getattr(receiver, _RTX_ATTR, {})
    sources = [s for s in receiver.getSynchronizationSources() if s.source not in rtx]
    if not sources:
        return None
    return max(sources, key=lambda s: s.timestamp).source


async def send_pli(receiver: rtcrtpreceiver.RTCRtpReceiver) -> bool:
    """Ask the host for a keyframe (RTCP PLI); False if nothing was received yet."""
    ssrc = media_ssrc(receiver)
    if ssrc is None:
        return False
    await receiver._send_rtcp_pli(ssrc)
    return True


def on_keyframe_request(sender: rtcrtpsender.RTCRtpSender, fn: Callable[[], None]) -> None:
    """Call ``fn`` when the viewer behind ``sender`` sends a PLI or FIR."""
    original = sender._send_keyframe

    def _send_keyframe() -> None:
        original()
        try:
            fn()
        except Exception:
            log.exception("keyframe request callback failed")

    sender._send_keyframe = _send_keyframe


class PacketTrack(MediaStreamTrack):
    """A track whose ``recv()`` returns encoded ``av.Packet`` objects for the sender.

    Subclasses implement :meth:`next_packet`; the sender packetizes what it returns.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def next_packet(self):  # pragma: no cover - abstract
        raise NotImplementedError

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self.next_packet()
        if packet is None:
            raise MediaStreamError
        return packet
