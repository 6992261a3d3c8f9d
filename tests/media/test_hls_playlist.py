"""The LL-HLS playlist rules, as plain functions (no server, no muxer)."""

from __future__ import annotations

import pytest

from livecast.media.hls import fmp4
from livecast.media.hls.playlist import (
    BadReload,
    Edge,
    Part,
    Segment,
    media_playlist,
    read_edge,
    reload_request,
    reload_state,
    starts_segment,
    vod_playlist,
)


def segment(msn, durations, *, complete=True, init="init0.mp4", at=1.7e9):
    s = Segment(msn, init, at + msn, complete=complete)
    s.parts = [Part(d, i == 0) for i, d in enumerate(durations)]
    return s


def test_a_segment_starts_only_at_an_independent_part_once_long_enough():
    assert starts_segment(None, Part(0.44, False))  # the very first part
    current = segment(0, [0.44, 0.44], complete=False)
    assert not starts_segment(current, Part(0.44, True))  # 0.88 s: too short yet
    current.parts.append(Part(0.44, False))
    assert starts_segment(current, Part(0.44, True))  # 1.32 s
    assert not starts_segment(current, Part(0.44, False))  # never inside a GOP
    short = segment(0, [0.5, 0.5, 0.5], complete=False)
    assert starts_segment(short, Part(0.6, True))  # would pass 2 s
    # a keyframe (a viewer's PLI) cut the part before it short: that part ends the segment
    cut = segment(0, [0.44, 0.1], complete=False)
    assert starts_segment(cut, Part(0.44, True))
    assert not starts_segment(segment(0, [0.44, 0.44], complete=False), Part(0.44, True))


def test_live_playlist_lists_parts_of_recent_segments_only():
    segments = [segment(n, [0.4, 0.4, 0.4, 0.3]) for n in range(5, 11)]
    segments.append(segment(11, [0.4, 0.2], complete=False))
    text = media_playlist(segments)
    assert text.startswith("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n")
    assert "#EXT-X-MEDIA-SEQUENCE:5\n" in text
    assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5\n" in text
    assert text.count('#EXT-X-MAP:URI="init0.mp4"') == 1
    assert "part7.0.m4s" not in text and "part8.0.m4s" in text  # 3 complete segments back
    assert '#EXT-X-PART:DURATION=0.4,URI="part11.0.m4s",INDEPENDENT=YES\n' in text
    assert '#EXT-X-PART:DURATION=0.2,URI="part11.1.m4s"\n' in text
    assert "#EXTINF:1.5,\nseg10.m4s\n" in text
    assert text.count("#EXTINF") == 6 and "#EXT-X-ENDLIST" not in text
    assert read_edge(text) == Edge(last_part=(11, 1), last_segment=10, ended=False)
    assert media_playlist(segments, ended=True).endswith("#EXT-X-ENDLIST\n")


def test_a_new_host_session_is_a_discontinuity_with_its_own_init():
    first = segment(3, [0.4, 0.4, 0.4])
    second = segment(4, [0.4], complete=False, init="init4.mp4")
    second.discontinuity = True
    text = media_playlist([first, second])
    assert '#EXTINF:1.2,\nseg3.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init4.mp4"\n' in text
    vod = vod_playlist([first, segment(4, [0.4, 0.4], init="init4.mp4")])
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in vod and vod.endswith("#EXT-X-ENDLIST\n")
    assert '#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init4.mp4"\n#EXTINF:0.8,\nseg4.m4s' in vod
    assert "part" not in vod


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, None),
        ({"_HLS_msn": "12"}, (12, None)),
        ({"_HLS_msn": "12", "_HLS_part": "3"}, (12, 3)),
    ],
)
def test_reload_request(query, expected):
    assert reload_request(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        {"_HLS_part": "1"},
        {"_HLS_msn": "-1"},
        {"_HLS_msn": "1.5"},
        {"_HLS_msn": "١"},
        {"_HLS_msn": "1", "_HLS_part": "x"},
        {"_HLS_msn": "1" * 10},
    ],
)
def test_bad_reload_requests(query):
    with pytest.raises(BadReload):
        reload_request(query)


def test_reload_state_follows_rfc8216bis():
    edge = Edge(last_part=(11, 1), last_segment=10, ended=False)
    assert reload_state(edge, 11, 1) == "ready"
    assert reload_state(edge, 11, 0) == "ready"
    assert reload_state(edge, 10, 7) == "ready"  # a later segment is there
    assert reload_state(edge, 11, 2) == "wait"
    assert reload_state(edge, 12, 0) == "wait"
    assert reload_state(edge, 11, None) == "wait"  # segment 11 is not complete yet
    assert reload_state(edge, 10, None) == "ready"
    assert reload_state(edge, 13, 0) == "wait"  # last msn + 2
    assert reload_state(edge, 14, 0) == "too_far"
    assert reload_state(edge, 11, 5) == "too_far"  # more than 3 parts ahead
    assert reload_state(Edge((11, 1), 10, ended=True), 99, 0) == "ready"


def test_box_splitter_and_fragment_timing():
    def box(kind, payload):
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    tfhd = box(b"tfhd", bytes([0, 0x02, 0, 0]) + (1).to_bytes(4, "big"))  # default-base-is-moof
    tfdt = box(b"tfdt", bytes([1, 0, 0, 0]) + (90000).to_bytes(8, "big"))
    # trun: first-sample-flags + per-sample durations, 3 samples of 3000
    trun = box(
        b"trun",
        bytes([0, 0, 0x01, 0x04])
        + (3).to_bytes(4, "big")
        + (0x02000000).to_bytes(4, "big")
        + b"".join((3000).to_bytes(4, "big") for _ in range(3)),
    )
    moof = box(b"moof", box(b"mfhd", bytes(8)) + box(b"traf", tfhd + tfdt + trun))
    mdat = box(b"mdat", b"x" * 10)
    splitter = fmp4.BoxSplitter()
    data = moof + mdat
    assert splitter.feed(data[:7]) == []
    boxes = splitter.feed(data[7:])
    assert [k for k, _ in boxes] == ["moof", "mdat"]
    assert fmp4.fragment_timing(boxes[0][1], 1) == fmp4.Timing(90000, 9000, True)
    assert fmp4.fragment_timing(boxes[0][1], 2) is None
