"""Keyframe rules and the coalescing of PLIs, as plain functions."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from livecast.media.keyframe import (
    KeyframeRequester,
    h264_nal_units,
    h264_parameter_sets,
    is_keyframe,
    vp8_size,
)


def encode(codec: str, count: int = 3) -> list[bytes]:
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt = 160, 120, "yuv420p"
    ctx.time_base = fractions.Fraction(1, 30)
    if codec == "libx264":
        ctx.options = {"tune": "zerolatency"}
    out = []
    for i in range(count):
        frame = av.VideoFrame.from_ndarray(np.full((180, 160), i * 40, np.uint8), format="yuv420p")
        frame.pts = i
        out += [bytes(p) for p in ctx.encode(frame)]
    return out


def test_vp8_keyframe_bit_and_size():
    key, delta, *_ = encode("libvpx")
    assert is_keyframe("VP8", key) and not is_keyframe("VP8", delta)
    assert vp8_size(key) == (160, 120)
    assert vp8_size(delta) is None


def test_h264_idr_and_parameter_sets():
    key, delta, *_ = encode("libx264")
    assert is_keyframe("H264", key) and not is_keyframe("H264", delta)
    types = [nal[0] & 0x1F for nal in h264_nal_units(key)]
    assert 7 in types and 8 in types and 5 in types
    sets = h264_parameter_sets(key)
    assert sets.startswith(b"\x00\x00\x00\x01\x67")
    assert h264_parameter_sets(delta) is None
    assert not is_keyframe("VP8", b"") and is_keyframe("OPUS", b"\x01")


async def test_keyframe_requests_are_coalesced():
    now = [100.0]
    sent, waited = [], []

    async def send():
        sent.append(now[0])
        return True

    async def sleep(seconds: float) -> None:  # the clock moves only when asked to
        waited.append(seconds)
        now[0] += seconds

    requester = KeyframeRequester(send, interval=0.2, clock=lambda: now[0], sleep=sleep)
    for _ in range(100):  # a hundred viewers join at once
        requester.request()
    await requester._pending
    assert sent == [100.0] and waited == []
    now[0] += 0.05
    for _ in range(100):
        requester.request()
    await requester._pending
    assert waited == [pytest.approx(0.15)]  # held until the interval since the last PLI
    assert sent == [100.0, pytest.approx(100.2)]
    assert requester.requested == 200 and requester.sent == 2
    requester.request()
    await requester.stop()
