"""Recordings: remuxed without decoding, seekable, listed, served with Range, events in step."""

from __future__ import annotations

import asyncio
import json
import time

import av
import pytest

from livecast import hub
from livecast.appkeys import HUB
from livecast.devtools.peers import read_counter
from livecast.media import MEDIA

pytestmark = pytest.mark.media


@pytest.mark.parametrize(
    ("codec", "suffix", "decoder"), [("VP8", ".webm", "vp8"), ("H264", ".mkv", "h264")]
)
async def test_live_session_is_recorded_with_its_events(
    client, base_url, show, peers, settings, app, codec, suffix, decoder
):
    client.server.app[MEDIA].options.keyframe_every = 0.8
    show_id = show["show"]["id"]
    recording_events = []
    app[HUB].subscribe(
        lambda e: (
            e.kind in (hub.RECORDING_STARTED, hub.RECORDING_STOPPED) and recording_events.append(e)
        )
    )
    host = peers.publisher(base_url, show_id, show["host_key"], codec=codec)
    assert (await host.start()).status == 201
    await host.wait_connected()
    started = time.monotonic()
    await asyncio.sleep(1.5)
    chat = {"id": "m1", "user": {"id": "u1", "name": "지수", "role": "viewer"}, "text": "얼마예요?"}
    app[HUB].publish(show_id, hub.CHAT, chat)
    app[HUB].publish("another-show", hub.CHAT, {"id": "x", "text": "not ours"})
    app[HUB].publish(show_id, hub.FEATURED, {"sku": "kimchi-1kg"})
    await asyncio.sleep(1.5)
    assert (await host.delete()) == 200
    live_for = time.monotonic() - started

    assert [e.kind for e in recording_events] == [hub.RECORDING_STARTED, hub.RECORDING_STOPPED]
    res = await client.get(f"/api/shows/{show_id}/recordings")
    assert res.status == 200
    [item] = await res.json()
    assert set(item) >= {"file", "url", "started_at", "duration", "size"}
    assert item["file"].endswith(suffix)
    assert item["url"] == f"/recordings/{show_id}/{item['file']}"
    assert item["size"] > 1000
    assert 1.5 < item["duration"] <= live_for + 0.5

    # served with Range support
    part = await client.get(item["url"], headers={"Range": "bytes=0-99"})
    assert part.status == 206
    assert len(await part.read()) == 100
    assert (await client.get(item["url"])).status == 200
    assert (await client.get(f"/recordings/{show_id}/..%2Fsecret.webm")).status == 404

    # the file opens, has the right codecs and a plausible duration, and plays in order
    path = settings.recordings_dir / show_id / item["file"]
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        assert video.codec_context.name == decoder
        assert audio.codec_context.name == "opus"
        assert 1.5 < container.duration / av.time_base <= live_for + 0.5
        counters = [read_counter(f) for f in container.decode(video=0)]
    assert len(counters) > 20
    assert all(b > a for a, b in zip(counters, counters[1:], strict=False)), counters[:40]
    with av.open(str(path)) as container:  # seeking works (cues written)
        container.seek(int(2.0 * av.time_base))
        frame = next(container.decode(video=0))
        assert frame.time is not None and frame.time >= 0.8

    # the sidecar: this show's events, times relative to the recording start
    sidecar = path.with_suffix(".events.jsonl")
    lines = [json.loads(line) for line in sidecar.read_text().splitlines()]
    kinds = [line["kind"] for line in lines]
    assert kinds == [hub.SHOW_STATUS, hub.CHAT, hub.FEATURED, hub.SHOW_STATUS]
    assert lines[-1]["data"] == {"status": "ended"}
    assert abs(lines[-1]["t"] - item["duration"]) < 1.0
    assert lines[0]["data"] == {"status": "live"} and lines[0]["t"] < 0.5
    assert lines[1]["data"] == chat
    assert 1.0 < lines[1]["t"] < 2.5
    assert lines[1]["t"] < item["duration"]
    events_url = f"/recordings/{show_id}/{sidecar.name}"
    assert (await client.get(events_url)).status == 200


async def test_recordings_of_unknown_show_is_404(client):
    res = await client.get("/api/shows/nosuchshow/recordings")
    assert res.status == 404


async def test_recordings_empty_list(client, show):
    res = await client.get(f"/api/shows/{show['show']['id']}/recordings")
    assert await res.json() == []
