"""A viewer's queue: bounded, video starts at a keyframe, overflow waits for the next one."""

from __future__ import annotations

import fractions

import av

from livecast.media.relay import Timeline, ViewerTrack


def packet(n: int) -> av.Packet:
    p = av.Packet(bytes([n % 256]) * 10)
    p.pts = n
    p.time_base = fractions.Fraction(1, 90000)
    return p


async def test_video_waits_for_a_keyframe_then_flows():
    asked = []
    track = ViewerTrack("video", "VP8", max_queue=5, need_keyframe=lambda: asked.append(1))
    assert not track.push(packet(0), True)  # not connected yet: nothing queued
    track.reading = True
    assert not track.push(packet(1), False)
    assert track.push(packet(2), True)
    assert track.push(packet(3), False)
    assert (await track.recv()).pts == 2
    assert (await track.recv()).pts == 3


async def test_overflow_drops_to_the_next_keyframe_and_asks_for_one():
    asked = []
    track = ViewerTrack("video", "VP8", max_queue=3, need_keyframe=lambda: asked.append(1))
    track.reading = True
    track.waiting_keyframe = False
    for n in range(3):
        assert track.push(packet(n), n == 0)
    assert not track.push(packet(3), False)  # a stalled viewer: full
    assert track.waiting_keyframe and asked == [1] and track.overflows == 1
    assert not track.push(packet(4), False)
    assert track.push(packet(5), True)
    assert (await track.recv()).pts == 5


async def test_audio_overflow_drops_the_oldest():
    track = ViewerTrack("audio", "OPUS", max_queue=2, need_keyframe=lambda: None)
    track.reading = True
    for n in range(4):
        assert track.push(packet(n), True)
    assert [(await track.recv()).pts for _ in range(2)] == [2, 3]
    assert track.dropped == 2


def test_timeline_stays_continuous_across_host_sessions():
    timeline = Timeline()
    first = [timeline.place("video", ts, 90000) for ts in (1000, 4000, 7000)]
    assert first[1] - first[0] == 3000 and first[2] - first[1] == 3000
    timeline.new_session()  # the host reconnects; its RTP timestamps start over
    again = timeline.place("video", 10, 90000)
    assert again > first[-1]
    assert timeline.place("video", 3010, 90000) == again + 3000
