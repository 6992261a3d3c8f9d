"""The benchmark's baseline (livecast.bench.transcode): viewers get re-encoded video."""

from __future__ import annotations

import asyncio

import pytest

from livecast.bench.transcode import TranscodeBaseline
from livecast.media import MEDIA

pytestmark = pytest.mark.media


@pytest.fixture
def baseline() -> TranscodeBaseline:
    return TranscodeBaseline()


@pytest.fixture
def app(app, baseline):
    app[MEDIA].options.hook = baseline
    return app


async def test_transcode_baseline_decodes_and_reencodes_for_viewers(
    base_url, show, plane, peers, baseline
):
    show_id = show["show"]["id"]
    viewer = peers.viewer(base_url, show_id)
    assert (await viewer.start()).status == 409  # needs the host's decoded tracks
    host = peers.publisher(base_url, show_id, show["host_key"])
    assert (await host.start()).status == 201
    await host.wait_connected()
    await asyncio.wait_for(baseline.arrived(show_id).wait(), 10)
    viewer = peers.viewer(base_url, show_id)
    assert (await viewer.start()).status == 201
    assert await viewer.wait_frames(10, timeout=20) >= 10
    counters = viewer.got.counters()
    assert all(b >= a for a, b in zip(counters, counters[1:], strict=False)), counters[:40]
    assert plane.relays[show_id].frames_in == 0  # nothing went through the forwarding tap
