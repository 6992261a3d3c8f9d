"""Viewers' senders: pre-encoded packets in, keyframe requests out, the direct fan-out.

- Sending pre-encoded frames: aiortc 1.16's ``RTCRtpSender._next_encoded_frame`` packs
  an ``av.Packet`` returned by ``track.recv()`` with ``encoder.pack`` (pts and time_base
  honoured) and never encodes it. :class:`PacketTrack` is a track whose ``recv()``
  returns packets.
- Viewers' keyframe requests: ``RTCRtpSender._handle_rtcp_packet`` turns a PLI/FIR into
  ``RTCRtpSender._send_keyframe()``, which only matters to its encoder; pre-encoded
  packets ignore it. :func:`on_keyframe_request` wraps that method on one sender.
- :class:`DirectSender` sends a viewer's RTP synchronously from payloads packetized
  once per frame, on the ICE pair's socket, and keeps the sender's RTCP figures right.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from aiortc import rtcrtpsender
from aiortc.codecs import get_encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

log = logging.getLogger(__name__)

SENDER = "_RTCRtpSender__"
SENDER_STATS = ("ntp_timestamp", "rtp_timestamp", "packet_count", "octet_count")
_AST_PROBE = 0xA5C3E1


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


def capture_send_parameters(sender: rtcrtpsender.RTCRtpSender) -> dict:
    """Record the parameters ``pc`` starts ``sender`` with (payload type, MID...)."""
    captured: dict = {}
    original = sender.send

    async def send(parameters) -> None:
        captured["parameters"] = parameters
        await original(parameters)

    sender.send = send
    return captured


class Packetizer:
    """Packetizes a kind's pre-encoded frames once for every viewer (aiortc's ``pack``)."""

    def __init__(self, mime_type: str, clock_rate: int) -> None:
        codec = RTCRtpCodecParameters(mimeType=mime_type, clockRate=clock_rate, payloadType=0)
        self._encoder = get_encoder(codec)

    def pack(self, packet) -> tuple[list[bytes], int]:
        return self._encoder.pack(packet)


def ntp_now() -> int:
    from aiortc import clock

    return clock.current_ntp_time()


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
        extensions = getattr(sender, SENDER + "rtp_header_extensions_map")

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
        setattr(s, SENDER + "ntp_timestamp", ntp)
        setattr(s, SENDER + "rtp_timestamp", ts)
        setattr(s, SENDER + "packet_count", self.packets)
        setattr(s, SENDER + "octet_count", self.octets)

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
