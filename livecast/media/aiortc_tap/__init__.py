"""Every touch of aiortc and aioice internals, in one package (written against aiortc
1.16.0 and aioice 0.13.0); the rest of livecast uses only what is exported here.

aiortc has no public API for forwarding encoded media, and aioice none for choosing the
addresses and ports it gathers on:

- ``receiver``: the host's assembled frames before decoding (:func:`tap_receiver`),
  PLIs upstream (:func:`send_pli`), every incoming RTP packet counted
  (:func:`count_ingest`);
- ``sender``: pre-encoded packets to viewers (:class:`PacketTrack`), their keyframe
  requests (:func:`on_keyframe_request`), the direct fan-out (:class:`DirectSender`);
- ``ice``: :func:`gathering` on chosen addresses and ports, RTP read off the ICE
  connection (:func:`intercept_rtp`, benchmark viewers);
- ``census``: the decoders aiortc builds (tests only);
- ``check``: :func:`check_internals`, run by the media plane at start-up: ``livecast
  serve`` refuses to start, with one line naming the package and version, when an
  upgrade moved what the tap uses.
"""

from .check import InternalsMoved, check_internals
from .ice import gathering, intercept_rtp
from .receiver import count_ingest, send_pli, tap_receiver
from .sender import (
    DirectSender,
    Packetizer,
    PacketTrack,
    capture_send_parameters,
    ntp_now,
    on_keyframe_request,
)

__all__ = [
    "DirectSender",
    "InternalsMoved",
    "PacketTrack",
    "Packetizer",
    "capture_send_parameters",
    "check_internals",
    "count_ingest",
    "gathering",
    "intercept_rtp",
    "ntp_now",
    "on_keyframe_request",
    "send_pli",
    "tap_receiver",
]
