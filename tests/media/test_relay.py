"""Forwarding behaviour with real peers: late joiners, H.264, host reconnects, dead viewers."""

from __future__ import annotations

import asyncio
import time

import pytest

from livecast import hub
from livecast.appkeys import HUB
from livecast.media import aiortc_tap
from livecast.media.aiortc_tap import census

pytestmark = pytest.mark.media


def increasing(counters: list[int]) -> bool:
    return len(counters) >= 2 and all(b > a for a, b in zip(counters, counters[1:], strict=False))


async def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def go_live(peers, base_url, show, **kwargs):
    host = peers.publisher(base_url, show["show"]["id"], show["host_key"], **kwargs)
    answer = await host.start()
    assert answer.status == 201, answer.body
    await host.wait_connected()
    return host


async def test_late_joiner_gets_a_keyframe_first_and_quickly(base_url, show, plane, peers):
    show_id = show["show"]["id"]
    await go_live(peers, base_url, show)
    first = peers.viewer(base_url, show_id)
    assert (await first.start()).status == 201
    assert await first.wait_frames(40) >= 40  # well past the publisher's first keyframe
    late = peers.viewer(base_url, show_id, decode=False)
    assert (await late.start()).status == 201
    assert await late.wait_frames(10) >= 10
    # (how quickly: `livecast bench relay` measures the time to first frame)
    # its video started at a keyframe that was asked for (PLI), not at whatever came next
    assert late.got.keyframes >= 1
    assert plane.relays[show_id].keyframes.sent >= 2


async def test_h264_host_to_h264_viewers(base_url, show, plane, peers):
    show_id = show["show"]["id"]
    host = await go_live(peers, base_url, show, codec="H264")
    assert "H264/90000" in host.answer.body
    viewers = [peers.viewer(base_url, show_id) for _ in range(2)]
    for viewer in viewers:
        answer = await viewer.start()
        assert answer.status == 201
        assert "H264/90000" in answer.body and "VP8/90000" not in answer.body
    for viewer in viewers:
        assert await viewer.wait_frames(20, timeout=15) >= 20
        assert increasing(viewer.got.counters()), viewer.got.counters()[:30]
    assert plane.relays[show_id].video_codec == "H264"
    assert census.server_decoders_built() == 0


async def test_viewer_before_the_host_waits_then_plays(base_url, show, peers):
    show_id = show["show"]["id"]
    viewer = peers.viewer(base_url, show_id)
    assert (await viewer.start()).status == 201
    await viewer.wait_connected()
    await asyncio.sleep(0.3)
    assert viewer.got.video == []
    await go_live(peers, base_url, show)
    assert await viewer.wait_frames(15) >= 15
    assert increasing(viewer.got.counters())


async def test_host_reconnect_keeps_viewers_and_the_show_live(base_url, show, plane, peers, app, r):
    show_id = show["show"]["id"]
    statuses = []
    app[HUB].subscribe(lambda e: e.kind == hub.SHOW_STATUS and statuses.append(e.data["status"]))
    first_host = await go_live(peers, base_url, show)
    viewers = [peers.viewer(base_url, show_id) for _ in range(2)]
    for viewer in viewers:
        assert (await viewer.start()).status == 201
        assert await viewer.wait_frames(10) >= 10
    viewer_sessions = set(plane.whep)

    # the host's connection drops without a DELETE (OBS crashed, Wi-Fi gone)
    await first_host.close(delete=False)
    relay = plane.relays[show_id]
    assert await wait_for(lambda: relay.host is None or not relay.host.alive(2.0), 10)

    # it comes back with the host key: the dead session is replaced, viewers stay
    second_host = await go_live(peers, base_url, show)
    assert second_host.location != first_host.answer.headers["Location"]
    resumed = time.monotonic()
    for viewer in viewers:
        assert await viewer.wait_frames(15, since=resumed) >= 15
        after = [c for t, c in viewer.got.video if t >= resumed and c is not None]
        # a frame of the first host may still come out of the player's jitter buffer;
        # then the new host's picture from its first keyframe on, in order
        start = next(i for i, c in enumerate(after) if c < 5)
        assert start <= 2 and increasing(after[start:]), after[:30]
        assert viewer.pc.connectionState == "connected"
    assert set(plane.whep) == viewer_sessions
    assert statuses == ["live"]
    assert await r.hget(f"livecast:show:{show_id}", "status") == "live"


async def test_a_dead_viewer_does_not_stop_the_others(base_url, show, plane, peers):
    show_id = show["show"]["id"]
    await go_live(peers, base_url, show)
    viewers = [peers.viewer(base_url, show_id, decode=(i == 0)) for i in range(3)]
    for viewer in viewers:
        assert (await viewer.start()).status == 201
        assert await viewer.wait_frames(5) >= 5
    await viewers[2].close(delete=False)  # vanishes: the server keeps sending into the void
    moment = time.monotonic()
    for viewer in viewers[:2]:
        assert await viewer.wait_frames(30, since=moment) >= 30
    assert increasing([c for t, c in viewers[0].got.video if t >= moment and c is not None])


async def test_host_gone_ends_the_show_after_the_grace_period(base_url, show, plane, peers, app, r):
    plane.options.no_media_timeout = 1.5
    plane.options.reconnect_grace = 1.0
    show_id = show["show"]["id"]
    statuses = []
    app[HUB].subscribe(lambda e: e.kind == hub.SHOW_STATUS and statuses.append(e.data["status"]))
    host = await go_live(peers, base_url, show)
    await asyncio.sleep(0.5)
    await host.close(delete=False)
    assert await wait_for(lambda: statuses == ["live", "ended"], 10), statuses
    assert await r.hget(f"livecast:show:{show_id}", "status") == "ended"
    assert show_id not in plane.relays  # nothing left of the show in the media plane
    assert not plane.whip


async def test_a_viewers_pli_is_sent_upstream_coalesced(base_url, show, plane, peers):
    show_id = show["show"]["id"]
    await go_live(peers, base_url, show)
    viewers = [peers.viewer(base_url, show_id, decode=False) for _ in range(3)]
    for viewer in viewers:
        assert (await viewer.start()).status == 201
        assert await viewer.wait_frames(5) >= 5
    relay = plane.relays[show_id]
    await asyncio.sleep(0.5)
    requested, sent = relay.keyframes.requested, relay.keyframes.sent
    keyframes = [v.got.keyframes for v in viewers]
    # every viewer reports picture loss twice at once (a real RTCP PLI from its receiver)
    for _ in range(2):
        for viewer in viewers:
            receiver = viewer.pc.getTransceivers()[0].receiver
            assert await aiortc_tap.send_pli(receiver)
    assert await wait_for(lambda: relay.keyframes.requested >= requested + 6, 5)
    assert await wait_for(
        lambda: all(v.got.keyframes > k for v, k in zip(viewers, keyframes, strict=True)), 5
    )
    await asyncio.sleep(0.5)
    assert 1 <= relay.keyframes.sent - sent <= 2  # six requests, one or two PLIs upstream
