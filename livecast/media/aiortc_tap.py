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
import os
import queue
import socket
import threading
import weakref
from collections.abc import Callable

import aiortc
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.codecs import base as codecs_base
from aiortc.codecs import get_encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

log = logging.getLogger(__name__)

AIORTC_VERSION = "1.16.0"
_QUEUE_ATTR = "_RTCRtpReceiver__decoder_queue"
_THREAD_ATTR = "_RTCRtpReceiver__decoder_thread"
_STARTED_ATTR = "_RTCRtpReceiver__started"
_RTX_ATTR = "_RTCRtpReceiver__rtx_ssrc"
_JITTER_ATTR = "_RTCRtpReceiver__jitter_buffer"
_KIND_ATTR = "_RTCRtpReceiver__kind"

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
        "self.__jitter_buffer = JitterBuffer(capacity=16, prefetch=4)",
        "self.__jitter_buffer = JitterBuffer(capacity=512, is_video=True)",
        "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)",
        "self.__kind = kind",
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
        "self.__rtp_header_extensions_map = rtp.HeaderExtensionsMap()",
        "self.__ntp_timestamp = 0",
        "self.__rtp_timestamp = 0",
        "self.__octet_count = 0",
        "self.__packet_count = 0",
        "async def _retransmit(self, sequence_number: int)",
        "async def send(self, parameters: RTCRtpSendParameters)",
        "packet.extensions.abs_send_time = (",
        "payloads, timestamp = self.__encoder.pack(data)",
        "self._send_keyframe()",
        "def _send_keyframe(self)",
    ):
        if needle not in sender_src:
            problems.append(f"RTCRtpSender no longer has {needle!r}")
    if "async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int)" not in (
        receiver_src
    ):
        problems.append("RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms) moved")
    problems += _check_transport_internals()
    jitter_src = inspect.getsource(JitterBuffer)
    for needle in ("self._origin", "self._packets", "def remove(self, count: int)"):
        if needle not in jitter_src:
            problems.append(f"JitterBuffer no longer has {needle!r}")
    if not hasattr(codecs_base.Encoder, "pack"):
        problems.append("aiortc.codecs.base.Encoder.pack is gone")
    if problems:
        raise InternalsMoved("; ".join(problems))


def _check_transport_internals() -> list[str]:
    from aioice import ice as aioice_ice
    from aiortc import rtcdtlstransport, rtcicetransport

    problems = []
    ice_src = inspect.getsource(rtcicetransport.RTCIceTransport)
    if "self._connection = gatherer._connection" not in ice_src:
        problems.append("RTCIceTransport._connection is gone")
    dtls_src = inspect.getsource(rtcdtlstransport.RTCDtlsTransport)
    for needle in ("self._rx_srtp = Session(", "self._tx_srtp = Session("):
        if needle not in dtls_src:
            problems.append(f"RTCDtlsTransport no longer has {needle!r}")
    conn_src = inspect.getsource(aioice_ice.Connection)
    if "self._protocols: list[StunProtocol] = []" not in conn_src:
        problems.append("aioice Connection._protocols is gone")
    proto_src = inspect.getsource(aioice_ice.StunProtocol)
    if "def datagram_received(self, data: bytes | str, addr: tuple[Any, ...])" not in proto_src:
        problems.append("aioice StunProtocol.datagram_received(data, addr) moved")
    if "self._nominated: dict[int, CandidatePair] = {}" not in conn_src:
        problems.append("aioice Connection._nominated is gone")
    return problems


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


# frames out as soon as they are complete
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
    video = getattr(receiver, _KIND_ATTR) == "video"
    setattr(receiver, _JITTER_ATTR, PromptJitterBuffer(capacity=512 if video else 16,
                                                       is_video=video))  # fmt: skip
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


# the host's ingest: sequence gaps seen by the server, before any repair
class IngestCount:
    """Counts one receiver's incoming RTP: packets, sequence numbers skipped, late ones.

    ``gaps`` counts sequence numbers skipped when a packet arrives ahead of the next one
    expected; ``late`` counts packets that arrive behind the highest seen (reordered,
    or retransmitted over RTX). ``gaps - late`` is what the host lost for good.
    """

    def __init__(self, on_change: Callable[[int, int, int], None] | None = None) -> None:
        self.packets = 0
        self.gaps = 0
        self.late = 0
        self._max: dict[int, int] = {}  # ssrc -> highest sequence number seen
        self._on_change = on_change

    def add(self, ssrc: int, seq: int, rtx: bool) -> None:
        gaps = late = 0
        if rtx:
            late = 1
        else:
            last = self._max.get(ssrc)
            if last is None:
                self._max[ssrc] = seq
            else:
                delta = (seq - last) & 0xFFFF
                if delta == 0:
                    late = 1  # a duplicate
                elif delta < 0x8000:
                    gaps = delta - 1
                    self._max[ssrc] = seq
                else:
                    late = 1
        self.packets += 1
        self.gaps += gaps
        self.late += late
        if self._on_change is not None:
            self._on_change(1, gaps, late)


def count_ingest(receiver: rtcrtpreceiver.RTCRtpReceiver, count: IngestCount) -> None:
    """Feed every RTP packet ``receiver`` gets (RTX included, as late) to ``count``."""
    original = receiver._handle_rtp_packet
    rtx = getattr(receiver, _RTX_ATTR)  # the receiver's own dict, filled on receive()

    async def _handle_rtp_packet(packet, arrival_time_ms: int) -> None:
        count.add(packet.ssrc, packet.sequence_number, packet.ssrc in rtx)
        await original(packet, arrival_time_ms=arrival_time_ms)

    receiver._handle_rtp_packet = _handle_rtp_packet


# benchmark viewers: RTP read straight off the ICE connection
def ice_connection(pc):
    """The aioice ``Connection`` and the ``RTCDtlsTransport`` under a (bundled) pc."""
    dtls = pc.getTransceivers()[0].receiver.transport
    return dtls.transport._connection, dtls


def intercept_rtp(pc, on_rtp: Callable[[bytes, object], None]) -> None:
    """Hand every SRTP (not SRTCP) datagram of ``pc`` to ``on_rtp(data, rx_srtp)``.

    For light benchmark viewers: their receivers never see media (no jitter buffer, no
    NACK, no decoding); ``on_rtp`` reads the clear RTP header and unprotects only what it
    must with ``rx_srtp.unprotect``. DTLS, STUN and RTCP go the usual way. Call after
    ``setRemoteDescription``.
    """
    connection, dtls = ice_connection(pc)
    for protocol in connection._protocols:  # one per local candidate, made when gathering
        original = protocol.datagram_received

        def datagram_received(data: bytes, addr, original=original) -> None:
            if 127 < data[0] < 192 and not 191 < data[1] < 224:
                srtp = getattr(dtls, "_rx_srtp", None)
                if srtp is not None:
                    on_rtp(data, srtp)
                    return
            original(data, addr)

        protocol.datagram_received = datagram_received


# the direct fan-out: a frame packetized once, sent to each viewer without its sender's loop
class Packetizer:
    """Packetizes a kind's pre-encoded frames once for every viewer (aiortc's ``pack``)."""

    def __init__(self, mime_type: str, clock_rate: int) -> None:
        codec = RTCRtpCodecParameters(mimeType=mime_type, clockRate=clock_rate, payloadType=0)
        self._encoder = get_encoder(codec)

    def pack(self, packet) -> tuple[list[bytes], int]:
        return self._encoder.pack(packet)


def capture_send_parameters(sender: rtcrtpsender.RTCRtpSender) -> dict:
    """Record the parameters ``pc`` starts ``sender`` with (payload type, MID...)."""
    captured: dict = {}
    original = sender.send

    async def send(parameters) -> None:
        captured["parameters"] = parameters
        await original(parameters)

    sender.send = send
    return captured


_SENDER = "_RTCRtpSender__"
_AST_PROBE = 0xA5C3E1


class DirectSender:
    """Sends a viewer's RTP for its ``RTCRtpSender``, synchronously, from shared payloads.

    Per packet only the header differs between viewers: SSRC, payload type, sequence
    number, timestamp, marker and the abs-send-time extension are written into a header
    template the sender's own extension map serialized once; then SRTP and a ``sendto``
    on the ICE pair's socket. The sender's RTCP keeps running: its sender-report figures
    are updated once per frame, and NACKed packets are resent from a small history.
    """

    HISTORY = 128

    def __init__(self, sender: rtcrtpsender.RTCRtpSender, parameters) -> None:
        from aiortc.rtp import RtpPacket

        self.sender = sender
        dtls = sender.transport
        self._dtls = dtls
        self._srtp = dtls._tx_srtp
        pair = dtls.transport._connection._nominated[1]
        transport = pair.protocol.transport
        self._buffered_sendto = transport.sendto
        # the pair's socket, duplicated: a plain sendto skips the transport's per-call
        # checks (a third of the fan-out's time); when the kernel buffer is full the
        # transport's own sendto queues the datagram instead
        self._sock = socket.socket(fileno=os.dup(transport.get_extra_info("socket").fileno()))
        self._sock.setblocking(False)
        self._addr = pair.remote_addr
        self.payload_type = parameters.codecs[0].payloadType
        extensions = getattr(sender, _SENDER + "rtp_header_extensions_map")

        def header(abs_send_time: int) -> bytes:
            probe = RtpPacket(payload_type=self.payload_type, ssrc=sender._ssrc)
            probe.extensions.mid = parameters.muxId
            probe.extensions.abs_send_time = abs_send_time
            return probe.serialize(extensions)

        template = header(0)
        probed = header(_AST_PROBE)
        self._ast_at = next(
            (i for i in range(len(template) - 2)
             if probed[i : i + 3] == _AST_PROBE.to_bytes(3, "big")),
            None,
        )  # fmt: skip
        self._template = template
        self.seq = rtcrtpsender.random_sequence_number()
        self.ts_origin = rtcrtpsender.random32()
        self._history: list = [None] * self.HISTORY
        self.packets = 0
        self.octets = 0
        sender._retransmit = self._retransmit

    def send(self, payloads: list[bytes], timestamp: int, ntp: int) -> None:
        ts = (self.ts_origin + timestamp) & 0xFFFFFFFF
        header = bytearray(self._template)
        header[4:8] = ts.to_bytes(4, "big")
        if self._ast_at is not None:
            header[self._ast_at : self._ast_at + 3] = ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big")
        last = len(payloads) - 1
        protect, sendto = self._srtp.protect, self._sock.sendto
        addr, history = self._addr, self._history
        seq = self.seq
        octets = 0
        for i, payload in enumerate(payloads):
            header[1] = self.payload_type | (0x80 if i == last else 0)
            header[2] = seq >> 8
            header[3] = seq & 0xFF
            data = bytes(header) + payload
            history[seq % self.HISTORY] = (seq, data)
            packet = protect(data)
            try:
                sendto(packet, addr)
            except (BlockingIOError, InterruptedError):
                self._buffered_sendto(packet, addr)
            seq = (seq + 1) & 0xFFFF
            octets += len(payload)
        self.seq = seq
        self.packets += len(payloads)
        self.octets += octets
        # what the sender's RTCP sender reports carry
        s = self.sender
        setattr(s, _SENDER + "ntp_timestamp", ntp)
        setattr(s, _SENDER + "rtp_timestamp", ts)
        setattr(s, _SENDER + "packet_count", self.packets)
        setattr(s, _SENDER + "octet_count", self.octets)

    def _sendto(self, data: bytes, addr) -> None:
        try:
            self._sock.sendto(data, addr)
        except (BlockingIOError, InterruptedError):
            self._buffered_sendto(data, addr)

    async def _retransmit(self, sequence_number: int) -> None:
        entry = self._history[sequence_number % self.HISTORY]
        if entry is not None and entry[0] == sequence_number:
            self._sendto(self._srtp.protect(entry[1]), self._addr)

    def close(self) -> None:
        """Close the duplicated socket; safe to call twice."""
        self._sock.close()


def ntp_now() -> int:
    from aiortc import clock

    return clock.current_ntp_time()
