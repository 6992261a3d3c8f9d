"""What an origin asks of another node's feed (media/edge.py): a signature under the
shared secret, and a public broadcast received here (never a rehearsal, never a feed)."""

from __future__ import annotations

import time

import pytest
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection

from livecast.appkeys import PROCESS_CARD
from livecast.media.aiortc_tap import gathering
from livecast.media.edge import EDGE_HEADER, MAX_AGE, sign_edge, verify_edge
from livecast.store import host_lease, processes

pytestmark = pytest.mark.media


@pytest.fixture
def settings(settings):
    return settings.with_(max_viewers=1)


def test_an_edge_signature_names_its_node_for_one_show_a_short_while():
    value = sign_edge("s3cret", "show1", "node-b")
    assert verify_edge("s3cret", "show1", value) == "node-b"
    assert verify_edge("other", "show1", value) is None  # another secret
    assert verify_edge("s3cret", "show2", value) is None  # another show
    node, t, signature = value.split(".")
    assert verify_edge("s3cret", "show1", f"node-c.{t}.{signature}") is None
    now = time.time()
    old = sign_edge("s3cret", "show1", "node-b", now=now - MAX_AGE - 1)
    assert verify_edge("s3cret", "show1", old, now=now) is None
    ahead = sign_edge("s3cret", "show1", "node-b", now=now + MAX_AGE - 5)
    assert verify_edge("s3cret", "show1", ahead, now=now) == "node-b"  # a clock a bit ahead
    for junk in ("", "node-b", "a.b.c", f"{value}x", f"node b.{t}.{signature}"):
        assert verify_edge("s3cret", "show1", junk) is None


@pytest.fixture
async def offers():
    """Factory: a recvonly video+audio offer (one peer each, closed at the end)."""
    pcs: list[RTCPeerConnection] = []

    async def offer() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(pc)
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        with gathering(("127.0.0.1",)):
            await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp

    yield offer
    for pc in pcs:
        await pc.close()


async def whep(client, show_id: str, sdp: str, edge: str | None = None):
    headers = {"Content-Type": "application/sdp"}
    if edge is not None:
        headers[EDGE_HEADER] = edge
    res = await client.post(f"/whep/{show_id}", data=sdp, headers=headers)
    body = await res.text()
    return res.status, (await res.json() if res.content_type == "application/json" else body)


async def test_the_origin_feeds_an_edge_only_its_public_broadcast(
    client, settings, show, base_url, peers, offers, plane
):
    show_id = show["show"]["id"]
    signed = sign_edge(settings.secret, show_id, "node-b")

    # not on air here: nothing to feed
    status, body = await whep(client, show_id, await offers(), signed)
    assert (status, body["error"]) == (409, "not_origin")

    # a rehearsal is the host's alone: an edge is refused, not fed in silence
    rehearsal = peers.publisher(base_url, f"{show_id}?rehearsal=1", show["host_key"])
    assert (await rehearsal.start()).status == 201
    status, body = await whep(client, show_id, await offers(), signed)
    assert (status, body["error"]) == (409, "not_origin")
    await rehearsal.close()

    # on air: a wrong signature is refused loudly, the right one gets a session
    host = peers.publisher(base_url, show_id, show["host_key"])
    assert (await host.start()).status == 201
    forged = sign_edge("not-the-shared-secret", show_id, "node-b")
    status, body = await whep(client, show_id, await offers(), forged)
    assert (status, body["error"]) == (401, "bad_edge")
    assert "LIVECAST_SECRET" in body["message"]
    assert (await whep(client, show_id, await offers()))[0] == 201  # the one viewer allowed
    assert (await whep(client, show_id, await offers()))[0] == 503  # LIVECAST_MAX_VIEWERS=1
    status, answer = await whep(client, show_id, await offers(), signed)
    assert status == 201, answer  # an edge carries a node's audience: not counted
    assert "m=video" in answer and "VP8/90000" in answer
    assert len(plane.whep) == 2


async def test_an_edge_is_not_fed_from_a_feed_nor_from_its_own_node(
    client, settings, show, offers, plane, r, aiohttp_server
):
    show_id = show["show"]["id"]
    # the host is on a third node C (its lease and card in Redis, its URL a real server
    # that notes every request): this node would only relay a relay, so it refuses
    # before asking C for anything
    asked = []

    async def node_c(request):
        asked.append(request.path)
        return web.Response(status=503)

    c_app = web.Application()
    c_app.router.add_route("*", "/{tail:.*}", node_c)
    c = await aiohttp_server(c_app)
    card = {"node": "node-c", "url": str(c.make_url("")).rstrip("/"), "media": "", "http": ""}
    await processes.renew(r, "proc-c", card)
    await host_lease.renew(r, show_id, "proc-c", "session-c")
    signed = sign_edge(settings.secret, show_id, "node-b")
    status, body = await whep(client, show_id, await offers(), signed)
    assert (status, body["error"]) == (409, "not_origin")
    assert asked == [] and show_id not in plane.relays  # no feed tried, nothing left
    # (a viewer there is fed from C: the only request C sees)
    assert (await whep(client, show_id, await offers()))[0] == 201
    assert asked == [f"/whep/{show_id}"]
    # a node whose LIVECAST_NODE_URL points back at itself is told so
    own = client.server.app[PROCESS_CARD].node
    itself = sign_edge(settings.secret, show_id, own)
    status, body = await whep(client, show_id, await offers(), itself)
    assert (status, body["error"]) == (409, "same_node")
    assert "LIVECAST_NODE_URL" in body["message"]
