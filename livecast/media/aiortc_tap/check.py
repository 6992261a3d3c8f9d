"""Start-up check: the aiortc and aioice internals the tap uses are there and behave.

Attribute and behaviour checks on throwaway objects (no source text is read, no packet
leaves the machine): a receiver is tapped and fed one RTP packet, a sender packs an
``av.Packet`` and reports a PLI, a pair of transports shows the attributes the direct
fan-out reads, and aioice gathers on 127.0.0.1 only when told to. A miss raises
:class:`InternalsMoved` whose message is one line naming the package and its version.
"""

from __future__ import annotations

import fractions
import inspect
import queue

import aioice.ice
import av
from aiortc import RTCCertificate, RTCDtlsTransport, RTCIceGatherer, RTCIceTransport
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket, RtpPacket

from ... import errors
from ...internals import installed_version, run_to_end
from . import receiver as rx
from . import sender as tx
from .ice import gathering

AIORTC_WRITTEN_FOR = "1.16.0"
AIOICE_WRITTEN_FOR = "0.13.0"


class InternalsMoved(errors.InternalsMoved):
    """The installed aiortc or aioice lacks an internal the tap uses."""


class _Transport:
    state = "new"


def _check_receiver() -> list[str]:
    receiver = RTCRtpReceiver("audio", _Transport())
    expected = {
        rx.QUEUE_ATTR: queue.Queue,
        rx.JITTER_ATTR: JitterBuffer,
        rx.RTX_ATTR: dict,
        rx.CODECS_ATTR: dict,
    }
    problems = [
        f"RTCRtpReceiver has no {attr} ({kind.__name__})"
        for attr, kind in expected.items()
        if not isinstance(getattr(receiver, attr, None), kind)
    ]
    if getattr(receiver, rx.STARTED_ATTR, None) is not False:
        problems.append(f"RTCRtpReceiver has no {rx.STARTED_ATTR}")
    if getattr(receiver, rx.KIND_ATTR, None) != "audio":
        problems.append(f"RTCRtpReceiver has no {rx.KIND_ATTR}")
    if not hasattr(receiver, rx.THREAD_ATTR):
        problems.append(f"RTCRtpReceiver has no {rx.THREAD_ATTR}")
    if not inspect.iscoroutinefunction(getattr(receiver, "_send_rtcp_pli", None)):
        problems.append("RTCRtpReceiver._send_rtcp_pli(media_ssrc) is gone")
    if problems:
        return problems
    frames = []
    rx.tap_receiver(receiver, lambda codec, frame: frames.append(frame.data))
    if not isinstance(getattr(receiver, rx.JITTER_ATTR), rx.PromptJitterBuffer):
        return ["RTCRtpReceiver ignores a swapped jitter buffer"]
    seen = []
    rx.count_ingest(receiver, _Recorder(seen))
    codec = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2,
                                  payloadType=111)  # fmt: skip
    getattr(receiver, rx.CODECS_ATTR)[111] = codec
    setattr(receiver, rx.THREAD_ATTR, object())  # as if receive() had started it
    packet = RtpPacket(payload_type=111, sequence_number=7, timestamp=960, ssrc=4321,
                       payload=b"\xfc\x01\x02")  # fmt: skip
    try:
        run_to_end(receiver._handle_rtp_packet(packet, arrival_time_ms=0))
    except Exception as exc:
        return [f"RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms) failed: {exc!r}"]
    if frames != [b"\xfc\x01\x02"]:
        problems.append("RTCRtpReceiver no longer puts assembled frames on its decoder queue")
    if seen != [(4321, 7, False)]:
        problems.append("RTCRtpReceiver._handle_rtp_packet is no longer where packets arrive")
    return problems


class _Recorder:
    def __init__(self, seen: list) -> None:
        self.seen = seen

    def add(self, ssrc: int, seq: int, rtx: bool) -> None:
        self.seen.append((ssrc, seq, rtx))


def _check_jitter_buffer() -> list[str]:
    buffer = rx.PromptJitterBuffer(capacity=512, is_video=True)
    for name in ("_origin", "_packets", "_capacity", "_is_video", "remove"):
        if not hasattr(buffer, name):
            return [f"JitterBuffer has no {name}"]
    first = RtpPacket(sequence_number=100, timestamp=3000, marker=0)
    first._data = b"ab"
    last = RtpPacket(sequence_number=101, timestamp=3000, marker=1)
    last._data = b"cd"
    buffer.add(first)
    try:
        frame = buffer.add(last)[1]
    except Exception as exc:
        return [f"JitterBuffer internals changed: {exc!r}"]
    if frame is None or frame.data != b"abcd":
        return ["JitterBuffer no longer keeps packets in _packets from _origin"]
    return []


class _ProbeTrack(tx.PacketTrack):
    async def next_packet(self):
        packet = av.Packet(b"\x10\x02\x00\x9d\x01\x2a")
        packet.pts = packet.dts = 3000
        packet.time_base = fractions.Fraction(1, 90000)
        return packet


def _check_sender() -> list[str]:
    sender = RTCRtpSender(_ProbeTrack("video"), _Transport())
    problems = [
        f"RTCRtpSender has no {tx.SENDER}{name}"
        for name in tx.SENDER_STATS
        if not isinstance(getattr(sender, tx.SENDER + name, None), int)
    ]
    if not hasattr(sender, tx.SENDER + "rtp_header_extensions_map"):
        problems.append(f"RTCRtpSender has no {tx.SENDER}rtp_header_extensions_map")
    if not isinstance(getattr(sender, "_ssrc", None), int):
        problems.append("RTCRtpSender has no _ssrc")
    for name in ("_retransmit", "_next_encoded_frame", "_handle_rtcp_packet", "send"):
        if not inspect.iscoroutinefunction(getattr(sender, name, None)):
            problems.append(f"RTCRtpSender.{name} is gone")
    if not callable(getattr(sender, "_send_keyframe", None)):
        problems.append("RTCRtpSender._send_keyframe is gone")
    if problems:
        return problems
    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    try:
        frame = run_to_end(sender._next_encoded_frame(codec))
    except Exception as exc:
        return [f"RTCRtpSender._next_encoded_frame(codec) failed on an av.Packet: {exc!r}"]
    if frame is None or not getattr(frame, "payloads", None) or frame.timestamp != 3000:
        problems.append("RTCRtpSender no longer packs a pre-encoded av.Packet as it is")
    asked = []
    tx.on_keyframe_request(sender, lambda: asked.append(1))
    pli = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=sender._ssrc)
    try:
        run_to_end(sender._handle_rtcp_packet(pli))
    except Exception as exc:
        return [f"RTCRtpSender._handle_rtcp_packet(PLI) failed: {exc!r}"]
    if asked != [1]:
        problems.append("RTCRtpSender no longer calls _send_keyframe() on a PLI")
    return problems


def _check_transports() -> list[str]:
    problems = []
    ice = RTCIceTransport(RTCIceGatherer())
    connection = getattr(ice, "_connection", None)
    if not isinstance(connection, aioice.ice.Connection):
        return ["RTCIceTransport._connection (an aioice Connection) is gone"]
    if not isinstance(getattr(connection, "_protocols", None), list):
        problems.append("aioice Connection._protocols is gone")
    if not isinstance(getattr(connection, "_nominated", None), dict):
        problems.append("aioice Connection._nominated is gone")
    candidate = aioice.Candidate("1", 1, "udp", 1, "127.0.0.1", 9, "host")
    pair = aioice.ice.CandidatePair(None, candidate)
    if getattr(pair, "protocol", 0) is not None or getattr(pair, "remote_addr", None) != (
        "127.0.0.1",
        9,
    ):
        problems.append("aioice CandidatePair.protocol / remote_addr moved")
    params = list(inspect.signature(aioice.ice.StunProtocol.datagram_received).parameters)
    if params[1:3] != ["data", "addr"]:
        problems.append("aioice StunProtocol.datagram_received(data, addr) moved")
    dtls = RTCDtlsTransport(ice, [RTCCertificate.generateCertificate()])
    for name in ("_tx_srtp", "_rx_srtp"):
        if not hasattr(dtls, name):
            problems.append(f"RTCDtlsTransport.{name} is gone")
    if getattr(dtls, "transport", None) is not ice:
        problems.append("RTCDtlsTransport.transport is no longer its RTCIceTransport")
    return problems


async def _check_gathering() -> list[str]:
    if not callable(getattr(aioice.ice, "get_host_addresses", None)):
        return ["aioice.ice.get_host_addresses is gone"]
    connection = aioice.Connection(ice_controlling=True, use_ipv6=False)
    try:
        with gathering(("127.0.0.1",)):
            await connection.gather_candidates()
        hosts = {c.host for c in connection.local_candidates}
    except OSError:
        return []  # no loopback to bind on: nothing to learn here
    finally:
        await connection.close()
    if hosts != {"127.0.0.1"}:
        return ["aioice no longer looks up aioice.ice.get_host_addresses when gathering"]
    return []


async def check_internals() -> None:
    """Raise :class:`InternalsMoved` naming the package, its version and what moved."""
    aiortc_problems: list[str] = []
    for check in (_check_receiver, _check_jitter_buffer, _check_sender):
        try:
            aiortc_problems += check()
        except Exception as exc:  # a constructor's signature changed, say
            aiortc_problems.append(f"{check.__name__[7:]}: {exc!r}")
    try:
        transport_problems = _check_transports() + await _check_gathering()
    except Exception as exc:
        transport_problems = [f"transports: {exc!r}"]
    aioice_problems = [p for p in transport_problems if p.startswith("aioice")]
    aiortc_problems += [p for p in transport_problems if not p.startswith("aioice")]
    if aiortc_problems:
        raise InternalsMoved(
            f"aiortc {installed_version('aiortc')} moved what livecast/media/aiortc_tap uses "
            f"(written for {AIORTC_WRITTEN_FOR}): " + "; ".join(aiortc_problems)
        )
    if aioice_problems:
        raise InternalsMoved(
            f"aioice {installed_version('aioice')} moved what livecast/media/aiortc_tap uses "
            f"(written for {AIOICE_WRITTEN_FOR}): " + "; ".join(aioice_problems)
        )
