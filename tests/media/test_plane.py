"""Metrics and app cleanup of the media plane."""

from __future__ import annotations

import pytest

from livecast.app import create_app
from livecast.devtools.peers import Publisher, Viewer
from livecast.media import MEDIA

pytestmark = pytest.mark.media


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_metrics_and_cleanup_close_every_peer_connection(aiohttp_client, settings, show, r):
    app = create_app(settings)
    client = await aiohttp_client(app)
    base_url = str(client.make_url("")).rstrip("/")
    show_id = show["show"]["id"]
    host = Publisher(base_url, show_id, show["host_key"])
    viewer = Viewer(base_url, show_id, decode=False)
    try:
        assert (await host.start()).status == 201
        assert (await viewer.start()).status == 201
        assert await viewer.wait_frames(10) >= 10
        text = await (await client.get("/metrics")).text()
        assert metric(text, "livecast_live_shows") == 1
        assert metric(text, "livecast_whep_sessions") == 1
        assert metric(text, "livecast_recordings_active") == 1
        assert metric(text, 'livecast_forwarded_packets_total{kind="video"}') >= 10
        assert metric(text, 'livecast_forwarded_packets_total{kind="audio"}') > 0

        plane = app[MEDIA]
        pcs = [s.pc for s in plane.whip.values()] + [s.pc for s in plane.whep.values()]
        await client.close()  # app cleanup
        assert all(pc.connectionState == "closed" for pc in pcs)
        assert not plane.whip and not plane.whep and not plane.recorders
        # the show stays live for its host to come back to the restarted server
        assert await r.hget(f"livecast:show:{show_id}", "status") == "live"
        assert await r.hget(f"livecast:show:{show_id}:host", "state") == "lost"
        folder = settings.recordings_dir / show_id
        assert [p.suffix for p in sorted(folder.iterdir())] == [".jsonl", ".json", ".webm"]
    finally:
        await viewer.close(delete=False)
        await host.close(delete=False)
