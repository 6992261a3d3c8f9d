"""The direct fan-out: viewers' RTP written from shared payloads, counted at the ingest."""

from __future__ import annotations

import asyncio

import pytest

from livecast.devtools.peers import LightViewer
from livecast.media import aiortc_tap

pytestmark = pytest.mark.media


async def test_viewers_get_gapless_rtp_from_the_direct_fan_out(
    base_url, show, plane, peers, client
):
    show_id = show["show"]["id"]
    host = peers.publisher(base_url, show_id, show["host_key"])
    assert (await host.start()).status == 201
    await host.wait_connected()
    light = LightViewer(base_url, show_id)
    decoding = peers.viewer(base_url, show_id)
    try:
        assert (await light.start()).status == 201
        assert (await decoding.start()).status == 201
        assert await decoding.wait_frames(20, timeout=15) >= 20
        for _ in range(100):
            if light.video.frames >= 20 and light.audio.packets >= 20:
                break
            await asyncio.sleep(0.1)
        assert light.video.frames >= 20 and light.video.keyframes >= 1
        assert light.video.gaps == 0 and light.audio.gaps == 0
        assert light.frame_starts  # first packets of frames unprotected and parsed
        counters = decoding.got.counters()
        assert all(b > a for a, b in zip(counters, counters[1:], strict=False)), counters[:40]
        sessions = plane.relays[show_id].viewers
        assert sessions and all(
            isinstance(t.direct, aiortc_tap.DirectSender)
            for s in sessions
            for t in s.tracks.values()
        )
        metrics = (await (await client.get("/metrics")).text()).splitlines()
        packets = [line for line in metrics if line.startswith("livecast_ingest_packets_total")]
        assert packets and all(float(line.rsplit(" ", 1)[1]) > 0 for line in packets)
    finally:
        await light.close()
