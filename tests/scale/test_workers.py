"""`livecast serve --workers 2`: one node, two processes on one port.

Each worker is reached on its own unix socket (its card in Redis), so a test decides
which process gets which peer: a host on one, viewers on both (real aiortc peers that
decode every frame), session requests sent to the wrong process, a worker killed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import aiohttp
import pytest
import redis.asyncio as aioredis

from livecast.devtools.peers import Publisher, Viewer
from livecast.routing import owner_of
from livecast.store import keys
from tests.faults.conftest import http
from tests.support import ADMIN, LiveServer

pytestmark = pytest.mark.media

SECRET = "workers-secret-0123456789abcdef"


async def cards(redis_url: str) -> dict[str, dict]:
    r = aioredis.from_url(redis_url, decode_responses=True)
    try:
        found = {}
        async for key in r.scan_iter(keys.process("*")):
            raw = await r.get(key)
            if raw and raw.startswith("{"):
                process = key.rsplit(":", 1)[1]
                found[process] = {**json.loads(raw), "process": process}
        return found
    finally:
        await r.aclose()


async def workers_up(redis_url: str, n: int, timeout: float = 30) -> list[dict]:
    """The n workers' cards, once each answers on its own socket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in (await cards(redis_url)).values() if _alive(c["pid"])]
        answering = []
        for card in found:
            try:
                async with (
                    aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=card["http"])) as s,
                    s.get("http://livecast/healthz") as res,
                ):
                    if res.status == 200:
                        answering.append(card)
            except (aiohttp.ClientError, OSError):
                pass
        if len(answering) >= n:
            return sorted(answering, key=lambda c: c["pid"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"{n} workers did not come up")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


async def delete_via(socket_path: str, location: str) -> int:
    """DELETE a session resource through one given process."""
    connector = aiohttp.UnixConnector(path=socket_path)
    async with (
        aiohttp.ClientSession(connector=connector) as s,
        s.delete("http://livecast" + location) as res,
    ):
        return res.status


async def http_async(method: str, socket_path: str, path: str, key: str) -> int:
    """A WHIP-like request (a throwaway offer) through one given process."""
    offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {key}"}
    connector = aiohttp.UnixConnector(path=socket_path)
    async with (
        aiohttp.ClientSession(connector=connector) as s,
        s.request(method, "http://livecast" + path, data=offer, headers=headers) as res,
    ):
        return res.status


def new_show(server) -> tuple[str, str]:
    res = http("POST", server.base_url + "/api/shows", {"title": "두 프로세스 라이브"},
               headers=ADMIN)  # fmt: skip
    assert res.status == 201, res.body
    return res.json()["show"]["id"], res.json()["host_key"]


@pytest.fixture
def node(live_server, external_redis):
    redis_server = external_redis()
    server = live_server(
        env={"REDIS_URL": redis_server.url, "LIVECAST_SECRET": SECRET, "LIVECAST_WORKERS": "2"}
    )
    return server, redis_server.url


async def test_a_viewer_on_each_worker_plays_a_host_on_one(node):
    server, redis_url = node
    a, b = await workers_up(redis_url, 2)
    show, host_key = new_show(server)
    host = Publisher(server.base_url, show, host_key, unix=a["http"])
    on_a = Viewer(server.base_url, show, unix=a["http"])
    on_b = Viewer(server.base_url, show, unix=b["http"])
    try:
        assert (await host.start()).status == 201
        await host.wait_connected()
        for viewer in (on_a, on_b):
            answer = await viewer.start()
            assert answer.status == 201, answer.body
        # each viewer is held by the process it reached
        assert owner_of(on_a.location.rsplit("/", 1)[1]) == a["process"]
        assert owner_of(on_b.location.rsplit("/", 1)[1]) == b["process"]
        assert await on_a.wait_frames(30, timeout=20) >= 30
        assert await on_b.wait_frames(30, timeout=20) >= 30
        # the same frames: both decoded counters from the one host, in order
        seen_a = {n for _, n in on_a.got.video}
        seen_b = [n for _, n in on_b.got.video]
        assert seen_b == sorted(seen_b)
        assert len(seen_a & set(seen_b)) >= 20
        # a keyframe request from B's viewer reached the host through A
        assert on_b.got.video[0][1] is not None

        # a second broadcast reaching the other process is refused where the host is
        again = await http_async("POST", b["http"], f"/whip/{show}", host_key)
        assert again == 409, "the host on A is live: B forwards the POST and A refuses it"
        # session requests reaching the other process are forwarded to the holder
        assert await delete_via(a["http"], on_b.location) == 200
        on_b.location = None
        assert await delete_via(b["http"], host.location) == 200
        host.location = None
        status = http("GET", f"{server.base_url}/api/shows/{show}").json()["status"]
        assert status == "ended"
    finally:
        for peer in (on_a, on_b, host):
            await peer.close()


async def test_a_killed_worker_is_restarted_and_its_viewers_play_again(node):
    server, redis_url = node
    a, b = await workers_up(redis_url, 2)
    show, host_key = new_show(server)
    host = Publisher(server.base_url, show, host_key, unix=a["http"])
    on_b = Viewer(server.base_url, show, unix=b["http"])
    again = None
    try:
        assert (await host.start()).status == 201
        assert (await on_b.start()).status == 201
        assert await on_b.wait_frames(10, timeout=20) >= 10
        os.kill(b["pid"], signal.SIGKILL)
        # the viewer's player notices (no more frames) and comes back through the port:
        # whichever process takes it, the host's frames reach it
        await on_b.close(delete=False)
        again = Viewer(server.base_url, show)
        answer = await again.start()
        assert answer.status == 201, answer.body
        assert await again.wait_frames(20, timeout=20) >= 20
        # and the node has two workers again (the parent restarted the killed one)
        restarted = await workers_up(redis_url, 2)
        assert b["pid"] not in {c["pid"] for c in restarted}
        assert http("GET", server.base_url + "/healthz").status == 200
    finally:
        for peer in (again, host):
            if peer is not None:
                await peer.close()


async def test_the_host_moves_to_another_worker_and_viewers_follow(node):
    server, redis_url = node
    a, b = await workers_up(redis_url, 2)
    show, host_key = new_show(server)
    host = Publisher(server.base_url, show, host_key, unix=a["http"])
    on_b = Viewer(server.base_url, show, unix=b["http"])
    back = None
    try:
        assert (await host.start()).status == 201
        assert (await on_b.start()).status == 201
        assert await on_b.wait_frames(10, timeout=20) >= 10
        await host.close(delete=False)  # the host's network drops; it comes back on B
        back = Publisher(server.base_url, show, host_key, unix=b["http"])
        deadline = time.monotonic() + 15
        while (answer := await back.start()).status == 409 and time.monotonic() < deadline:
            await back.close(delete=False)  # the old session is not stale yet
            await asyncio.sleep(0.5)
            back = Publisher(server.base_url, show, host_key, unix=b["http"])
        assert answer.status == 201, answer.body
        moment = time.monotonic()
        assert await on_b.wait_frames(20, timeout=20, since=moment) >= 20
    finally:
        for peer in (on_b, back, host):
            if peer is not None:
                await peer.close()


async def test_a_long_polling_client_may_reach_either_worker(node):
    """Socket.IO over long-polling: each request may land on any process; those for a
    session another process holds are forwarded to it."""
    server, redis_url = node
    a, b = await workers_up(redis_url, 2)
    show, _ = new_show(server)
    url = "http://livecast/socket.io/?EIO=4&transport=polling"
    via_a = aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=a["http"]))
    via_b = aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=b["http"]))
    try:
        async with via_a.get(url) as res:
            assert res.status == 200
            opened = json.loads((await res.text())[1:])
        sid = opened["sid"]
        auth = json.dumps({"show": show, "name": "폴링"})
        async with via_b.post(f"{url}&sid={sid}", data=f"40{auth}") as res:
            assert res.status == 200, await res.text()
        async with via_b.get(f"{url}&sid={sid}") as res:
            assert res.status == 200
            assert (await res.text()).startswith("40{"), "connected through the other process"
        async with via_b.get(f"{url}&sid=0123456789abcdef-nosuchsession") as res:
            assert res.status == 400  # a process that is not alive: answered here
    finally:
        await via_a.close()
        await via_b.close()


class Preview(Viewer):
    """The studio's own player: WHEP with the host key (sees a rehearsal)."""

    def __init__(self, *args, key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key

    async def start(self):
        self.started_at = time.monotonic()
        return await self._connect(self.key)


async def test_a_rehearsal_reaches_the_hosts_preview_on_another_worker_only(node):
    server, redis_url = node
    a, b = await workers_up(redis_url, 2)
    show, host_key = new_show(server)
    host = Publisher(server.base_url, f"{show}?rehearsal=1", host_key, unix=a["http"])
    preview = Preview(server.base_url, show, key=host_key, unix=b["http"])
    public = Viewer(server.base_url, show, unix=b["http"])
    try:
        assert (await host.start()).status == 201
        assert (await preview.start()).status == 201
        assert (await public.start()).status == 201
        assert await preview.wait_frames(20, timeout=20) >= 20
        assert len(public.got.video) == 0, "a rehearsal is private"
        status = http("GET", f"{server.base_url}/api/shows/{show}").json()["status"]
        assert status == "scheduled"
    finally:
        for peer in (preview, public, host):
            await peer.close()


async def test_metrics_of_the_node_come_from_every_worker(node):
    server, redis_url = node
    workers = await workers_up(redis_url, 2)
    text = http("GET", server.base_url + "/metrics").body.decode()
    for card in workers:
        assert f'livecast_whep_sessions{{process="{card["process"]}"}}' in text
    own = http("GET", server.base_url + "/metrics?process=self").body.decode()
    assert 'process="' not in own


async def test_a_node_with_two_workers_takes_a_show_from_another_node_once(
    tmp_path, external_redis
):
    """Node B (2 workers) has viewers on both workers of a show hosted on node A: one
    WHEP session from B to A, the other worker is fed by the one that holds it."""
    redis_url = external_redis().url
    nodes = []
    for name, workers in (("a", "1"), ("b", "2")):
        node = LiveServer(
            tmp_path / name,
            env={"REDIS_URL": redis_url, "LIVECAST_SECRET": SECRET, "LIVECAST_WORKERS": workers},
        )
        node.env["LIVECAST_NODE_URL"] = node.base_url
        nodes.append(node.start())
    a, b = nodes
    peers = []
    try:
        on_b = await workers_up(redis_url, 2)  # (a single process has no socket of its own)
        assert {c["url"] for c in on_b} == {b.base_url}
        assert len(on_b) == 2
        show, host_key = new_show(a)
        host = Publisher(a.base_url, show, host_key)
        peers.append(host)
        assert (await host.start()).status == 201
        viewers = [Viewer(b.base_url, show, unix=c["http"]) for c in on_b]
        peers.extend(viewers)
        for viewer in viewers:
            assert (await viewer.start()).status == 201
        for viewer in viewers:
            assert await viewer.wait_frames(20, timeout=20) >= 20
        sessions = http("GET", a.base_url + "/metrics").body.decode()
        assert "livecast_whep_sessions 1.0" in sessions, "one edge feed from node B"
    finally:
        for peer in peers:
            await peer.close()
        for node in nodes:
            node.stop()
