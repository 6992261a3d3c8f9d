"""Host -> server -> viewers with real aiortc peers on 127.0.0.1: frames forwarded, not decoded."""

from __future__ import annotations

import asyncio

import pytest

from livecast.media.aiortc_tap import census

pytestmark = pytest.mark.media


def increasing(counters: list[int]) -> bool:
    return len(counters) >= 2 and all(b > a for a, b in zip(counters, counters[1:], strict=False))


async def test_vp8_host_reaches_three_viewers_without_server_decoding(base_url, show, plane, peers):
    show_id = show["show"]["id"]
    decoders_before = census.server_decoders_built()
    host = peers.publisher(base_url, show_id, show["host_key"])
    answer = await host.start()
    assert answer.status == 201, answer.body
    await host.wait_connected()
    viewers = [peers.viewer(base_url, show_id) for _ in range(3)]
    for viewer in viewers:
        assert (await viewer.start()).status == 201
    for viewer in viewers:
        assert await viewer.wait_frames(30, timeout=15) >= 30
    for viewer in viewers:
        counters = viewer.got.counters()
        assert increasing(counters), counters[:40]
        assert viewer.got.audio > 0
    relay = plane.relays[show_id]
    assert relay.frames_in > 0
    assert census.server_decoders_built() == decoders_before == 0
    # the viewers did decode (the census sees them, so it is not blind)
    assert census.all_decoders_built() > 0
    await asyncio.sleep(0)
