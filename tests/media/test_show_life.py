"""A show's broadcast over its life: audio only, rehearsal, the end, and the host's lease."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from livecast import hub
from livecast.app import create_app
from livecast.appkeys import HUB
from livecast.devtools.peers import AudioStreamTrack, Publisher, Viewer
from livecast.media import MEDIA
from livecast.media.aiortc_tap import gathering
from livecast.show_sweeper import ShowSweeper
from livecast.store import catalog, host_lease, keys
from tests.support import bearer

pytestmark = pytest.mark.media


class Preview(Viewer):
    """The studio's own player: WHEP with the host key (sees a rehearsal)."""

    def __init__(self, *args, key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key

    async def start(self):
        return await self._connect(self.key)


def rehearsal_of(show_id: str) -> str:
    return f"{show_id}?rehearsal=1"  # the peers build /whip/{show}


async def post(client, path: str, sdp: str, key: str | None = None):
    headers = {"Content-Type": "application/sdp", **(bearer(key) if key else {})}
    return await client.post(path, data=sdp, headers=headers)


async def answer_pc(pc: RTCPeerConnection, res) -> None:
    from aiortc import RTCSessionDescription

    await pc.setRemoteDescription(RTCSessionDescription(sdp=await res.text(), type="answer"))


async def test_an_audio_only_broadcast_goes_live(client, show, r):
    show_id = show["show"]["id"]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    try:
        with gathering(("127.0.0.1",)):
            await pc.setLocalDescription(await pc.createOffer())
        res = await post(client, f"/whip/{show_id}", pc.localDescription.sdp, show["host_key"])
        assert res.status == 201, await res.text()
        assert "m=audio" in await res.text()
        await answer_pc(pc, res)
        assert await r.hget(keys.show(show_id), "status") == "live"
        # a viewer still gets an answer with video (for when the camera comes back)
        viewer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        viewer.addTransceiver("video", direction="recvonly")
        viewer.addTransceiver("audio", direction="recvonly")
        with gathering(("127.0.0.1",)):
            await viewer.setLocalDescription(await viewer.createOffer())
        watched = await post(client, f"/whep/{show_id}", viewer.localDescription.sdp)
        assert watched.status == 201
        await viewer.close()
    finally:
        await pc.close()


async def test_whip_for_an_ended_show_is_409_ended(client, show, r, base_url, peers):
    show_id = show["show"]["id"]
    await catalog.set_status(r, show_id, "live")
    await catalog.set_status(r, show_id, "ended")
    host = peers.publisher(base_url, show_id, show["host_key"])
    answer = await host.start()
    assert answer.status == 409
    assert answer.json()["error"] == "ended"
    assert await r.hget(keys.show(show_id), "status") == "ended"


async def test_deleting_the_broadcast_ends_the_show_for_good(client, show, r, base_url, peers):
    show_id = show["show"]["id"]
    host = peers.publisher(base_url, show_id, show["host_key"])
    assert (await host.start()).status == 201
    assert (await host_lease.read(r, show_id))["state"] == "connected"
    await host.close()  # DELETE
    assert await r.hget(keys.show(show_id), "status") == "ended"
    assert await host_lease.read(r, show_id) is None
    again = peers.publisher(base_url, show_id, show["host_key"])
    assert (await again.start()).status == 409


async def test_a_rehearsal_is_private_and_going_live_replaces_it(
    client, show, r, base_url, peers, plane
):
    show_id = show["show"]["id"]
    rehearsal = peers.publisher(base_url, rehearsal_of(show_id), show["host_key"])
    assert (await rehearsal.start()).status == 201
    assert await r.hget(keys.show(show_id), "status") == "scheduled"
    assert await host_lease.read(r, show_id) is None
    shopper = peers.viewer(base_url, show_id, decode=False)
    preview = Preview(base_url, show_id, decode=False, key=show["host_key"])
    assert (await shopper.start()).status == 201
    assert (await preview.start()).status == 201
    assert await preview.wait_frames(5) >= 5
    assert shopper.got.video == []  # the public sees nothing of a rehearsal
    assert not plane.recorders  # and it is not recorded

    host = peers.publisher(base_url, show_id, show["host_key"])
    assert (await host.start()).status == 201  # replaces the rehearsal (no 409)
    assert await r.hget(keys.show(show_id), "status") == "live"
    assert await shopper.wait_frames(5) >= 5
    assert plane.recorders
    await preview.close()


async def test_a_rehearsal_deleted_leaves_the_show_scheduled(client, show, r, base_url, peers):
    show_id = show["show"]["id"]
    rehearsal = peers.publisher(base_url, rehearsal_of(show_id), show["host_key"])
    assert (await rehearsal.start()).status == 201
    await rehearsal.close()
    assert await r.hget(keys.show(show_id), "status") == "scheduled"


async def test_a_lost_host_gives_the_show_a_deadline_a_sweep_ends_it(client, show, r, plane):
    show_id = show["show"]["id"]
    app = client.server.app
    seen: list[hub.Event] = []
    app[HUB].subscribe(seen.append)
    await catalog.set_status(r, show_id, "live")
    await host_lease.renew(r, show_id, "proc-1", "session-1", grace=0.2)
    lease = await host_lease.read(r, show_id)
    assert lease["owner"] == "proc-1" and lease["session"] == "session-1"
    assert lease["state"] == "connected"
    # a newer session's lease is left alone by the old session's loss
    assert await host_lease.lost(r, show_id, "session-0", grace=0.2) == 0
    assert await host_lease.lost(r, show_id, "session-1", grace=0.2) > 0
    assert (await host_lease.read(r, show_id))["state"] == "lost"
    sweeper = ShowSweeper(app)
    assert await sweeper.sweep_once() == 0  # not yet
    await asyncio.sleep(0.3)
    assert await sweeper.sweep_once() == 1
    assert await r.hget(keys.show(show_id), "status") == "ended"
    assert await host_lease.read(r, show_id) is None
    assert [e.data["status"] for e in seen if e.kind == hub.SHOW_STATUS] == ["ended"]
    assert await sweeper.sweep_once() == 0  # once


async def test_each_due_show_is_claimed_by_one_sweep(r, show):
    show_id = show["show"]["id"]
    await host_lease.adopt(r, [show_id], grace=0)
    assert await host_lease.adopt(r, [show_id], grace=100) == 0  # NX: kept
    await asyncio.sleep(0.01)
    claims = await asyncio.gather(*(host_lease.claim_due(r) for _ in range(8)))
    assert sum(show_id in c for c in claims) == 1


async def test_the_deadline_survives_a_restart_and_the_next_process_ends_the_show(
    aiohttp_client, settings, show, r
):
    """A host on a process that stops: the show stays live for the grace (so the studio
    can come back to the restarted server), then the restarted process ends it."""
    show_id = show["show"]["id"]
    first = create_app(settings)
    first[MEDIA].options.reconnect_grace = 1.5
    client = await aiohttp_client(first)
    base_url = str(client.make_url("")).rstrip("/")
    host = Publisher(base_url, show_id, show["host_key"])
    try:
        assert (await host.start()).status == 201
        await client.close()  # the process stops; the host's pc is gone with it
        assert await r.hget(keys.show(show_id), "status") == "live"
        lease = await host_lease.read(r, show_id)
        assert lease["state"] == "lost" and lease["deadline"]
        second = create_app(settings)
        await aiohttp_client(second)  # its sweeper runs every second
        for _ in range(80):
            if await r.hget(keys.show(show_id), "status") == "ended":
                break
            await asyncio.sleep(0.1)
        assert await r.hget(keys.show(show_id), "status") == "ended"
    finally:
        await host.close(delete=False)


async def test_a_live_show_nobody_watches_gets_a_deadline_on_start(aiohttp_client, settings, r):
    created = await catalog.create_show(r, {"title": "orphan"})
    show_id = created["show"]["id"]
    await catalog.set_status(r, show_id, "live")
    await aiohttp_client(create_app(settings))
    for _ in range(30):
        if await r.zscore(keys.HOST_DEADLINES, show_id):
            break
        await asyncio.sleep(0.1)
    assert await r.zscore(keys.HOST_DEADLINES, show_id)
