"""The aiortc/aioice internals the tap relies on: checked at start-up, and loudly."""

from __future__ import annotations

import tomllib

import aioice.ice
import pytest
from aiortc import rtcrtpreceiver
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from livecast.errors import InternalsMoved
from livecast.media import aiortc_tap
from livecast.media.aiortc_tap import census
from livecast.media.aiortc_tap.check import AIOICE_WRITTEN_FOR, AIORTC_WRITTEN_FOR
from livecast.media.aiortc_tap.receiver import PromptJitterBuffer
from livecast.media.ingest import IngestCount
from tests.support import ROOT


async def test_installed_aiortc_and_aioice_have_what_the_tap_uses():
    await aiortc_tap.check_internals()


def test_pyproject_pins_the_aiortc_the_tap_was_written_for_and_bounds_aioice():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"aiortc=={AIORTC_WRITTEN_FOR}" in project["dependencies"]
    [aioice] = [d for d in project["dependencies"] if d.startswith("aioice")]
    low, high = aioice.removeprefix("aioice").split(",")
    assert low.startswith(">=") and high.startswith("<")
    version = tuple(int(x) for x in AIOICE_WRITTEN_FOR.split("."))
    assert tuple(int(x) for x in low[2:].split(".")) <= version
    assert version < tuple(int(x) for x in high[1:].split("."))


async def test_a_moved_decoder_queue_names_aiortc_and_its_version(monkeypatch):
    init = RTCRtpReceiver.__init__

    def moved(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._RTCRtpReceiver__frames = self.__dict__.pop("_RTCRtpReceiver__decoder_queue")

    monkeypatch.setattr(RTCRtpReceiver, "__init__", moved)
    with pytest.raises(InternalsMoved) as raised:
        await aiortc_tap.check_internals()
    message = str(raised.value)
    assert message.startswith("aiortc 1.16.0 moved what") and "\n" not in message
    assert "_RTCRtpReceiver__decoder_queue" in message


async def test_a_receiver_that_stops_handing_frames_over_is_noticed(monkeypatch):
    async def elsewhere(self, packet, arrival_time_ms):
        return None  # the attribute is there, the behaviour is not

    monkeypatch.setattr(RTCRtpReceiver, "_handle_rtp_packet", elsewhere)
    with pytest.raises(InternalsMoved, match="no longer puts assembled frames"):
        await aiortc_tap.check_internals()


async def test_a_sender_that_ignores_plis_is_noticed(monkeypatch):
    monkeypatch.setattr(RTCRtpSender, "_handle_rtcp_packet", RTCRtpSender.send)
    with pytest.raises(InternalsMoved, match="aiortc 1.16.0.*PLI"):
        await aiortc_tap.check_internals()


async def test_aioice_without_its_host_address_lookup_is_named(monkeypatch):
    monkeypatch.delattr(aioice.ice, "get_host_addresses")
    with pytest.raises(InternalsMoved, match=r"^aioice 0\.13\.0 .*get_host_addresses"):
        await aiortc_tap.check_internals()


def test_decoder_census_wraps_get_decoder_once():
    first = census.install()
    assert census.install() is first
    assert rtcrtpreceiver.get_decoder is first
    before = first.total
    decoder = rtcrtpreceiver.get_decoder(
        aiortc_tap.check.RTCRtpCodecParameters("audio/opus", 48000, 2, 111)
    )
    assert decoder is not None and first.total == before + 1


def test_ingest_count_tells_gaps_from_late_packets():
    changes = []
    count = IngestCount(lambda *c: changes.append(c))
    for seq in (65534, 65535, 0, 3, 2, 4):  # wraps, skips 1 and 2, then 2 arrives late
        count.add(1234, seq, rtx=False)
    count.add(999, 7, rtx=True)  # a retransmission
    assert (count.packets, count.gaps, count.late) == (7, 2, 2)
    assert sum(c[1] for c in changes) == 2 and len(changes) == 7


def rtp(seq: int, ts: int, marker: int, data: bytes):
    from aiortc.rtp import RtpPacket

    packet = RtpPacket(sequence_number=seq, timestamp=ts, marker=marker)
    packet._data = data
    return packet


def test_video_frame_leaves_on_its_marker_packet():
    buffer = PromptJitterBuffer(capacity=512, is_video=True)
    assert buffer.add(rtp(100, 3000, 0, b"ab"))[1] is None
    frame = buffer.add(rtp(101, 3000, 1, b"cd"))[1]
    assert frame is not None and frame.data == b"abcd" and frame.timestamp == 3000
    # a gap: nothing until the missing packet arrives (a NACK repair)
    assert buffer.add(rtp(103, 6000, 1, b"ff"))[1] is None
    # the repair has no marker, so aiortc's own rule releases the frame: at the next one
    assert buffer.add(rtp(102, 6000, 0, b"ee"))[1] is None
    repaired = buffer.add(rtp(104, 9000, 1, b"gg"))[1]
    assert repaired is not None and repaired.data == b"eeff" and repaired.timestamp == 6000


def test_audio_packets_leave_at_once():
    buffer = PromptJitterBuffer(capacity=16, is_video=False)
    assert buffer.add(rtp(7, 960, 0, b"opus"))[1].data == b"opus"
