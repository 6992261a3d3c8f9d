"""The aiortc internals the tap relies on are where aiortc 1.16.0 has them."""

from __future__ import annotations

import tomllib

import aiortc
import pytest
from aiortc import rtcrtpreceiver

from livecast.media import aiortc_tap
from tests.support import ROOT


def test_installed_aiortc_has_the_internals_the_tap_uses():
    aiortc_tap.check_internals()  # raises InternalsMoved naming what moved


def test_pyproject_pins_the_aiortc_the_tap_was_written_for():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"aiortc=={aiortc_tap.AIORTC_VERSION}" in project["dependencies"]


def test_check_fails_loudly_when_aiortc_changes(monkeypatch):
    monkeypatch.setattr(aiortc, "__version__", "9.9.9")
    with pytest.raises(aiortc_tap.InternalsMoved, match="9.9.9"):
        aiortc_tap.check_internals()


def test_check_fails_when_the_decoder_queue_moves(monkeypatch):
    real = aiortc_tap.inspect.getsource

    def moved(obj):
        source = real(obj)
        return (
            source.replace("__decoder_queue", "__frames")
            if obj is rtcrtpreceiver.RTCRtpReceiver
            else source
        )

    monkeypatch.setattr(aiortc_tap.inspect, "getsource", moved)
    with pytest.raises(aiortc_tap.InternalsMoved, match="decoder_queue"):
        aiortc_tap.check_internals()


def test_decoder_census_wraps_get_decoder_once():
    census = aiortc_tap.install_decoder_census()
    assert aiortc_tap.install_decoder_census() is census
    assert rtcrtpreceiver.get_decoder is census


def test_ingest_count_tells_gaps_from_late_packets():
    changes = []
    count = aiortc_tap.IngestCount(lambda *c: changes.append(c))
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
    buffer = aiortc_tap.PromptJitterBuffer(capacity=512, is_video=True)
    assert buffer.add(rtp(100, 3000, 0, b"ab"))[1] is None
    frame = buffer.add(rtp(101, 3000, 1, b"cd"))[1]
    assert frame is not None and frame.data == b"abcd" and frame.timestamp == 3000
    # a gap: nothing until the missing packet arrives (a NACK repair)
    assert buffer.add(rtp(103, 6000, 1, b"ff"))[1] is None
    assert (
        buffer.add(rtp(102, 6000, 0, b"ee"))[1] is not None
        or buffer.add(rtp(104, 9000, 1, b"gg"))[1].data == b"eeff"
    )


def test_audio_packets_leave_at_once():
    buffer = aiortc_tap.PromptJitterBuffer(capacity=16, is_video=False)
    assert buffer.add(rtp(7, 960, 0, b"opus"))[1].data == b"opus"
