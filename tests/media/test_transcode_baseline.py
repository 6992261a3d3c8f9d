"""LIVECAST_RELAY_MODE=transcode (benchmark baseline): viewers get re-encoded video."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.media


@pytest.fixture
def settings(settings):
    return settings.with_(relay_mode="transcode")


async def test_transcode_baseline_decodes_and_reencodes_for_viewers(base_url, show, plane, peers):
    show_id = show["show"]["id"]
    viewer = peers.viewer(base_url, show_id)
    assert (await viewer.start()).status == 409  # needs the host's decoded tracks
    host = peers.publisher(base_url, show_id, show["host_key"])
    assert (await host.start()).status == 201
    await host.wait_connected()
    relay = plane.relays[show_id]
    for _ in range(100):  # the host's track arrives with its first packets
        if "video" in relay.decoded:
            break
        await asyncio.sleep(0.1)
    viewer = peers.viewer(base_url, show_id)
    assert (await viewer.start()).status == 201
    assert await viewer.wait_frames(10, timeout=20) >= 10
    counters = viewer.got.counters()
    assert all(b >= a for a, b in zip(counters, counters[1:], strict=False)), counters[:40]
