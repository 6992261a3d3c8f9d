"""A recording when `livecast serve` is SIGKILLed: at most ~2 s lost, and the next start
finalises it (seek index, duration) so the recordings API lists it."""

from __future__ import annotations

import asyncio
import json
import time

import av
import pytest

from livecast.devtools.peers import Publisher
from tests.faults.conftest import http, wait_until
from tests.support import ADMIN

pytestmark = pytest.mark.media

LIVE_SECONDS = 8.0


def readable_seconds(path) -> float:
    """Seconds of media a player can read from ``path`` (up to a torn end)."""
    first = last = None
    try:
        with av.open(str(path)) as container:
            try:
                for packet in container.demux():
                    if packet.pts is None:
                        continue
                    t = float(packet.pts * packet.time_base)
                    first = t if first is None else min(first, t)
                    last = t if last is None else max(last, t)
            except av.FFmpegError:
                pass
    except av.FFmpegError:
        return 0.0
    return 0.0 if first is None else last - first


async def test_a_killed_recording_loses_at_most_2_s_and_is_finalised_at_start(live_server):
    server = live_server()
    created = http("POST", server.base_url + "/api/shows", {"title": "녹화"}, headers=ADMIN)
    show, key = created.json()["show"]["id"], created.json()["host_key"]
    # a low bitrate: the muxer's buffers fill slowly (the file stayed at 0 bytes for 12 s)
    host = Publisher(server.base_url, show, key, fps=15, width=160, height=120, bitrate=40_000)
    try:
        assert (await host.start()).status == 201
        await host.wait_connected(20)
        folder = server.workdir / "recordings" / show
        await asyncio.to_thread(
            wait_until, lambda: list(folder.glob("*.webm")), timeout=10, what="a recording"
        )
        started = time.monotonic()
        await asyncio.sleep(LIVE_SECONDS)
        server.process.kill()  # SIGKILL: no trailer, no .json
        lived = time.monotonic() - started
        server.stop()
    finally:
        await host.close(delete=False)

    [media] = folder.glob("*.webm")
    assert not media.with_suffix(".json").exists()
    assert media.stat().st_size > 0
    assert readable_seconds(media) >= lived - 2.0, (readable_seconds(media), lived)

    server.start()
    listed = wait_until(
        lambda: [
            r
            for r in http("GET", f"{server.base_url}/api/shows/{show}/recordings").json()
            if r["duration"]
        ],
        timeout=15,
        what="the finalised recording listed with a duration",
    )
    [item] = listed
    assert item["file"] == media.name
    assert item["duration"] >= lived - 2.0
    meta = json.loads(media.with_suffix(".json").read_text())
    assert meta["interrupted"] is True and meta["duration"] == item["duration"]
    with av.open(str(media)) as container:  # a complete file: duration and a seek index
        assert container.duration / av.time_base >= lived - 2.0
        container.seek(int((lived - 3.0) * av.time_base))
        assert next(container.demux(video=0)).pts is not None
