"""The host's receivers: assembled frames out before decoding, PLIs, ingest counting.

aiortc 1.16's ``RTCRtpReceiver`` puts ``(codec, JitterFrame)`` on a private
``queue.Queue`` (``_RTCRtpReceiver__decoder_queue``) read by a decoder thread that
``receive()`` starts. :func:`tap_receiver` swaps that queue, before the receiver
starts, for a :class:`FrameTap` that hands every frame to a callback on the event loop
and passes only the thread's stop marker (``None``) on: the thread never gets a frame,
so it never builds a decoder. It also swaps the jitter buffer for a
:class:`PromptJitterBuffer`.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable

from aiortc import rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

log = logging.getLogger(__name__)

QUEUE_ATTR = "_RTCRtpReceiver__decoder_queue"
THREAD_ATTR = "_RTCRtpReceiver__decoder_thread"
STARTED_ATTR = "_RTCRtpReceiver__started"
RTX_ATTR = "_RTCRtpReceiver__rtx_ssrc"
JITTER_ATTR = "_RTCRtpReceiver__jitter_buffer"
KIND_ATTR = "_RTCRtpReceiver__kind"
CODECS_ATTR = "_RTCRtpReceiver__codecs"

FrameCallback = Callable[[RTCRtpCodecParameters, JitterFrame], None]


class PromptJitterBuffer(JitterBuffer):
    """aiortc's jitter buffer, but a frame leaves as soon as it is complete.

    aiortc releases a video frame only when the first packet of the NEXT frame arrives
    (one frame interval of delay, 33 ms at 30 fps) and holds audio for 4 packets (80 ms).
    Here a video frame leaves on its marker packet when every packet since the buffer's
    origin is there with the same timestamp (otherwise aiortc's rule still applies, after
    NACK repairs), and each audio packet leaves at once (an Opus packet is a frame).
    """

    def add(self, packet):
        if not self._is_video:
            return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)
        pli_flag, frame = super().add(packet)
        if frame is None and packet.marker:
            frame = self._complete(packet)
        return pli_flag, frame

    def _complete(self, last) -> JitterFrame | None:
        origin = self._origin
        count = ((last.sequence_number - origin) & 0xFFFF) + 1
        if count > self._capacity:
            return None
        packets = []
        for i in range(count):
            packet = self._packets[(origin + i) % self._capacity]
            if packet is None or packet.timestamp != last.timestamp:
                return None
            packets.append(packet)
        self.remove(count)
        return JitterFrame(data=b"".join(p._data for p in packets), timestamp=last.timestamp)


class FrameTap:
    """Stands in for the receiver's decoder queue: frames go to ``on_frame``."""

    def __init__(self, on_frame: FrameCallback) -> None:
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
    if getattr(receiver, STARTED_ATTR):
        raise RuntimeError("tap_receiver must be called before the receiver starts")
    setattr(receiver, QUEUE_ATTR, FrameTap(on_frame))
    video = getattr(receiver, KIND_ATTR) == "video"
    setattr(receiver, JITTER_ATTR, PromptJitterBuffer(capacity=512 if video else 16,
                                                      is_video=video))  # fmt: skip


def decoder_thread(receiver: rtcrtpreceiver.RTCRtpReceiver):
    """The receiver's decoder thread, once ``receive()`` started it."""
    return getattr(receiver, THREAD_ATTR)


def media_ssrc(receiver: rtcrtpreceiver.RTCRtpReceiver) -> int | None:
    """The SSRC the host is sending media on (not its RTX SSRC), if known."""
    rtx = getattr(receiver, RTX_ATTR, {})
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


def count_ingest(receiver: rtcrtpreceiver.RTCRtpReceiver, count) -> None:
    """Feed every RTP packet ``receiver`` gets to ``count.add(ssrc, seq, rtx)``
    (RTX included: ``rtx`` is True for a retransmission)."""
    original = receiver._handle_rtp_packet
    rtx = getattr(receiver, RTX_ATTR)  # the receiver's own dict, filled on receive()

    async def _handle_rtp_packet(packet, arrival_time_ms: int) -> None:
        count.add(packet.ssrc, packet.sequence_number, packet.ssrc in rtx)
        await original(packet, arrival_time_ms=arrival_time_ms)

    receiver._handle_rtp_packet = _handle_rtp_packet
