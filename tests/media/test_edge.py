"""Two nodes (two `livecast serve`, one Redis): a show hosted on A plays on B through B's
edge feed (WHEP from B to A), and chat, buys and the show's end cross between them."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest

from livecast.devtools.peers import Publisher, Viewer, read_counter
from livecast.media import aiortc_tap
from tests.realtime.conftest import Peer as SocketPeer
from tests.support import LiveServer

pytestmark = pytest.mark.media

SECRET = "shared-secret-0123456789abcdef"


class Node(LiveServer):
    """One node: its own data dir and port, the shared Redis and secret, one process."""

    def __init__(self, workdir, redis_url: str):
        super().__init__(
            workdir,
            env={"REDIS_URL": redis_url, "LIVECAST_SECRET": SECRET, "LIVECAST_WORKERS": "1"},
        )
        self.env["LIVECAST_NODE_URL"] = self.base_url  # how the other node reaches this one

    async def metric(self, name: str) -> float:
        async with aiohttp.ClientSession() as http, http.get(self.base_url + "/metrics") as res:
            text = await res.text()
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"no {name} in /metrics")


class SizedViewer(Viewer):
    """A decoding viewer that also keeps each decoded picture's size."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sizes: set[tuple[int, int]] = set()

    async def _consume(self, track) -> None:
        from aiortc.mediastreams import MediaStreamError

        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.sizes.add((frame.width, frame.height))
                    self.got.video.append((time.monotonic(), read_counter(frame)))
                else:
                    self.got.audio += 1
        except (MediaStreamError, asyncio.CancelledError):
            pass


@pytest.fixture
def nodes(tmp_path, redis_server, redis_url):
    """Nodes A and B started side by side; both stopped at the end of the test."""
    made = [Node(tmp_path / name, redis_server.tcp_url) for name in ("a", "b")]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda node: node.start(), made))
        yield made
    finally:
        for node in made:
            node.stop()


@pytest.fixture
async def closing():
    """Peers (aiortc and Socket.IO) closed at the end of the test."""
    made: list = []
    yield made.append
    for peer in reversed(made):
        await peer.close()


async def until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.1)


def increasing(counters: list[int]) -> bool:
    return len(counters) >= 2 and all(b > a for a, b in zip(counters, counters[1:], strict=False))


async def go_live(closing, node, show: dict, **kwargs) -> tuple[Publisher, list[float]]:
    """The host on ``node``; returns it and the times of the PLIs it got."""
    host = Publisher(node.base_url, show["show"]["id"], show["host_key"], **kwargs)
    closing(host)
    plis: list[float] = []
    video_sender = host.pc.getTransceivers()[0].sender
    aiortc_tap.on_keyframe_request(video_sender, lambda: plis.append(time.monotonic()))
    answer = await host.start()
    assert answer.status == 201, answer.body
    await host.wait_connected()
    return host, plis


async def watch(closing, node, show_id: str) -> SizedViewer:
    viewer = SizedViewer(node.base_url, show_id)
    closing(viewer)
    answer = await viewer.start()
    assert answer.status == 201, answer.body
    return viewer


async def test_a_show_hosted_on_one_node_plays_on_the_other(nodes, show, closing):
    a, b = nodes
    show_id = show["show"]["id"]
    host, plis = await go_live(closing, a, show, codec="H264", width=320, height=240)
    on_a = await watch(closing, a, show_id)
    on_b = await watch(closing, b, show_id)
    assert "H264/90000" in on_b.answer.body  # B answered with the codec the host sends on A
    assert await on_a.wait_frames(30) >= 30
    assert await on_b.wait_frames(30) >= 30
    assert await a.metric("livecast_whep_sessions") == 2  # A's viewer and B's edge feed
    assert await b.metric("livecast_whep_sessions") == 1

    # the same pictures on both nodes: the host's counters, in order, at its size
    since = time.monotonic()
    assert await on_b.wait_frames(30, since=since) >= 30
    await asyncio.sleep(0.3)  # what B decoded, A has decoded too by now
    seen_a = on_a.got.counters()
    seen_b = [c for t, c in on_b.got.video if t >= since and c is not None]
    assert increasing(seen_b) and increasing(seen_a), (seen_a, seen_b)
    assert len(set(seen_b) & set(seen_a)) >= 0.9 * len(seen_b), (seen_a, seen_b)
    assert on_a.sizes == on_b.sizes == {(320, 240)}

    # HLS is packaged on A; B answers it too (from A), byte for byte
    async with aiohttp.ClientSession() as http:

        async def get(node, name):
            async with http.get(f"{node.base_url}/hls/{show_id}/{name}") as res:
                return res.status, await res.read()

        deadline = time.monotonic() + 10
        while (playlist := await get(b, "index.m3u8"))[0] != 200:
            assert time.monotonic() < deadline, playlist
            await asyncio.sleep(0.2)
        assert playlist[1].startswith(b"#EXTM3U")
        part = next(line for line in playlist[1].decode().splitlines() if "URI=" in line)
        name = part.split('URI="', 1)[1].split('"', 1)[0]
        assert await get(b, name) == await get(a, name)

    # a second broadcast through B is decided on A, where the host is live: refused
    second = Publisher(b.base_url, show_id, show["host_key"])
    closing(second)
    answer = await second.start()
    assert answer.status == 409 and answer.json()["error"] == "already_live", answer.body
    assert seen_a[-1] - seen_b[-1] < 20, (seen_a, seen_b)  # B is live, not replaying old frames

    # B's viewer reports picture loss: each PLI reaches the host through B's feed
    receiver = on_b.pc.getTransceivers()[0].receiver
    for _ in range(3):
        await asyncio.sleep(0.4)  # past both nodes' PLI coalescing interval
        before = len(plis)
        assert await aiortc_tap.send_pli(receiver)

        async def host_got_one(before=before):
            return len(plis) > before

        await until(host_got_one, 5, "B's PLI reaches the host on A")

    # B's only viewer leaves: B's feed ends (after its idle time) and A's session with it
    assert await on_b.delete() == 200

    async def edge_gone():
        return await a.metric("livecast_whep_sessions") == 1

    await until(edge_gone, 10, "B's edge session on A ends")
    assert await on_a.wait_frames(10, since=time.monotonic()) >= 10  # A plays on

    # a new viewer on B: a new feed, playing from a keyframe
    again = await watch(closing, b, show_id)
    assert await again.wait_frames(20) >= 20
    assert increasing(again.got.counters())
    assert await a.metric("livecast_whep_sessions") == 2


async def test_the_show_ending_on_its_node_ends_it_on_the_other(nodes, show, closing):
    a, b = nodes
    show_id = show["show"]["id"]
    host, _ = await go_live(closing, a, show)  # VP8
    on_b = await watch(closing, b, show_id)
    assert await on_b.wait_frames(20) >= 20
    shopper = await SocketPeer().connect(b.base_url, {"show": show_id, "name": "b-shopper"})
    closing(shopper)
    assert shopper.state["show"]["status"] == "live"

    assert await host.delete() == 200  # the host ends the show on A
    last_sent = host.video.count  # A took no frame after this one
    await shopper.wait_for("show", lambda d: d["status"] == "ended")

    async def feed_gone():
        return await a.metric("livecast_whep_sessions") == 0

    await until(feed_gone, 10, "B's feed leaves A once the show ended")
    await asyncio.sleep(1.0)
    counters = on_b.got.counters()
    assert counters and max(counters) < last_sent  # B showed nothing after the end


async def test_chat_and_buys_cross_nodes(nodes, live_show, closing):
    a, b = nodes
    show_id = live_show["show"]["id"]
    on_a = await SocketPeer().connect(a.base_url, {"show": show_id, "name": "on-a"})
    closing(on_a)
    on_b = await SocketPeer().connect(b.base_url, {"show": show_id, "name": "on-b"})
    closing(on_b)

    ack = await on_a.call("chat:send", {"text": "안녕 from A"})
    assert ack["ok"], ack
    assert (await on_b.wait_chat(ack["id"]))["text"] == "안녕 from A"

    buy = {"sku": "kimchi-1kg", "qty": 2, "order_id": uuid.uuid4().hex}
    ack = await on_b.call("buy", buy)
    assert ack["ok"], ack
    sales = await on_a.wait_for("sales", lambda s: s["kimchi-1kg"]["sold"] == 2)
    assert sales["kimchi-1kg"]["remaining"] == 98


async def test_the_host_moving_to_the_other_node_turns_the_feed_around(nodes, show, closing):
    a, b = nodes
    show_id = show["show"]["id"]
    first, _ = await go_live(closing, a, show)
    on_a = await watch(closing, a, show_id)
    on_b = await watch(closing, b, show_id)
    assert await on_a.wait_frames(10) >= 10 and await on_b.wait_frames(10) >= 10

    # the host's connection to A drops (no DELETE) and, once A has noticed, it comes back
    # through B (before that, B hands the POST to A, which still holds the show's host)
    await first.close(delete=False)

    async def a_lost_its_host():
        return await a.metric("livecast_live_shows") == 0

    await until(a_lost_its_host, 15, "A noticed its host left")
    again, _ = await go_live(closing, b, show)
    moved = time.monotonic()
    # B plays the host directly; A now gets the show from B (its own edge feed)
    assert await on_b.wait_frames(20, since=moved) >= 20
    assert await on_a.wait_frames(20, since=moved) >= 20
    after_a = [c for t, c in on_a.got.video if t >= moved and c is not None]
    after_b = [c for t, c in on_b.got.video if t >= moved and c is not None]
    assert increasing(after_a[-10:]) and increasing(after_b[-10:])
    assert 0 <= again.video.count - after_a[-1] < 40  # the new host's pictures on A

    async def turned_around():
        return (
            await a.metric("livecast_whep_sessions") == 1  # A's viewer
            and await b.metric("livecast_whep_sessions") == 2  # B's viewer and A's feed
        )

    await until(turned_around, 10, "A's feed comes from B, B's old feed from A is gone")
