"""HLS: an H.264 host's frames packaged as low-latency HLS, served by any process of the node."""

from __future__ import annotations

import asyncio
import io
import re
import time

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestClient, TestServer

from livecast.app import create_app
from livecast.devtools.nginx import NginxCache
from livecast.media.hls import playlist

pytestmark = pytest.mark.media

PART_RE = re.compile(
    r'#EXT-X-PART:DURATION=([0-9.]+),URI="(part[0-9]+\.[0-9]+\.m4s)"(,INDEPENDENT=YES)?'
)


async def wait_playlist(client, show_id, *, segments: int, timeout: float = 15.0) -> str:
    """The live playlist once it lists ``segments`` complete segments."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/hls/{show_id}/index.m3u8")
        if response.status == 200:
            text = await response.text()
            if text.count("#EXTINF") >= segments:
                return text
        assert time.monotonic() < deadline, f"no playlist with {segments} segments in time"
        await asyncio.sleep(0.1)


def decoded_frames(init: bytes, media: bytes) -> tuple[int, int]:
    """Video frames decoded (and audio packets read) from an init segment + a part."""
    frames = audio = 0
    with av.open(io.BytesIO(init + media)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        for packet in container.demux():
            if packet.stream.type == "audio" and packet.size:
                audio += 1
            elif packet.stream.type == "video":
                frames += len(packet.decode())
    return frames, audio


async def test_h264_show_is_packaged_as_ll_hls_served_by_any_process(
    client, base_url, show, peers, settings
):
    show_id = show["show"]["id"]
    host = peers.publisher(base_url, show_id, show["host_key"], codec="H264", fps=30)
    assert (await host.start()).status == 201
    await host.wait_connected()

    text = await wait_playlist(client, show_id, segments=2)
    response = await client.get(f"/hls/{show_id}/index.m3u8")
    assert response.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
    assert response.headers["Cache-Control"] == "max-age=1"
    assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5" in text
    assert "#EXT-X-PART-INF:PART-TARGET=0.5" in text
    parts = PART_RE.findall(text)
    assert parts and all(float(d) <= 0.5 for d, _, _ in parts)
    # at least 85 % of PART-TARGET, unless INDEPENDENT or the last part of its segment
    for segment in text.split("#EXTINF")[:-1]:
        inner = PART_RE.findall(segment)[:-1]
        assert all(float(d) >= 0.425 or independent for d, _, independent in inner), text
    durations = [float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", text)]
    assert durations and all(d <= 2.0 for d in durations), text
    # every segment starts with an independent part
    for match in re.finditer(r"#EXT-X-PROGRAM-DATE-TIME:.*\n#EXT-X-PART:[^\n]*", text):
        assert "INDEPENDENT=YES" in match.group(0), text

    # init + one independent part decode (the video was not re-encoded: H.264 as sent)
    init_uri = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text).group(1)
    init = await client.get(f"/hls/{show_id}/{init_uri}")
    assert init.status == 200 and init.headers["Content-Type"] == "video/mp4"
    assert "immutable" in init.headers["Cache-Control"]
    part_uri = next(uri for _, uri, independent in parts if independent)
    part = await client.get(f"/hls/{show_id}/{part_uri}")
    assert part.status == 200 and "immutable" in part.headers["Cache-Control"]
    frames, audio = decoded_frames(await init.read(), await part.read())
    assert frames >= 5 and audio >= 5

    # a second process of the node (another app on the same data dir and Redis) answers a
    # blocking reload only once the next part exists
    async with TestClient(TestServer(create_app(settings))) as other:
        latest = await other.get(f"/hls/{show_id}/index.m3u8")
        edge = playlist.read_edge(await latest.text())
        msn, index = edge.last_part
        started = time.monotonic()
        blocked = await other.get(
            f"/hls/{show_id}/index.m3u8", params={"_HLS_msn": str(msn), "_HLS_part": str(index + 1)}
        )
        waited = time.monotonic() - started
        assert blocked.status == 200
        after = playlist.read_edge(await blocked.text())
        assert after.last_part >= (msn, index + 1)
        assert waited > 0.05, f"answered after {waited:.3f} s: it did not wait"
        # the segment it names is there too, from this process
        name = playlist.part_name(*after.last_part)
        assert (await other.get(f"/hls/{show_id}/{name}")).status == 200
        too_far = await other.get(f"/hls/{show_id}/index.m3u8", params={"_HLS_msn": str(msn + 10)})
        assert too_far.status == 400 and (await too_far.json())["error"] == "bad_reload"
        for params in ({"_HLS_part": "1"}, {"_HLS_msn": "-1"}, {"_HLS_msn": "x"}):
            bad = await other.get(f"/hls/{show_id}/index.m3u8", params=params)
            assert bad.status == 400, params

    # vod only after the show
    early = await client.get(f"/hls/{show_id}/vod.m3u8")
    assert early.status == 404 and (await early.json())["error"] == "not_ended"
    assert (await host.delete()) == 200
    ended = await (await client.get(f"/hls/{show_id}/index.m3u8")).text()
    assert ended.rstrip().endswith("#EXT-X-ENDLIST")
    vod = await client.get(f"/hls/{show_id}/vod.m3u8")
    assert vod.status == 200
    vod_text = await vod.text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in vod_text and vod_text.rstrip().endswith("#EXT-X-ENDLIST")
    segments = re.findall(r"^(seg[0-9]+\.m4s)$", vod_text, re.M)
    assert len(segments) >= 2
    vod_init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', vod_text).group(1)
    init_bytes = await (await client.get(f"/hls/{show_id}/{vod_init}")).read()
    segment = await client.get(f"/hls/{show_id}/{segments[-1]}")
    assert segment.status == 200
    frames, _ = decoded_frames(init_bytes, await segment.read())
    assert frames >= 5
    # the part files went (only what vod needs is kept), private like the data dir
    folder = settings.data_dir / "hls" / show_id
    assert not list(folder.glob("part*"))
    assert folder.stat().st_mode & 0o077 == 0


async def test_no_hls_for_vp8_unknown_shows_and_bad_names(client, base_url, show, peers):
    show_id = show["show"]["id"]
    host = peers.publisher(base_url, show_id, show["host_key"], codec="VP8")
    assert (await host.start()).status == 201
    await host.wait_connected()
    await asyncio.sleep(0.5)
    response = await client.get(f"/hls/{show_id}/index.m3u8")
    assert response.status == 404
    assert (await response.json())["error"] == "no_hls"
    unknown = await client.get("/hls/no-such-show/index.m3u8")
    assert (await unknown.json())["error"] == "unknown_show"
    for path in (
        f"/hls/{show_id}/seg1.m4s",
        f"/hls/{show_id}/..%2Findex.m3u8",
        f"/hls/{show_id}/part1.m4s.tmp",
        "/hls/BAD_ID/index.m3u8",
        "/hls/BAD_ID/init0.mp4",
    ):
        bad = await client.get(path)
        assert bad.status == 404, path
        assert (await bad.json())["error"] in ("unknown_part", "unknown_show"), path


async def test_an_nginx_cache_serves_the_origin_bytes_and_holds_blocking_reloads(
    client, base_url, show, peers, tmp_path
):
    show_id = show["show"]["id"]
    host = peers.publisher(base_url, show_id, show["host_key"], codec="H264", fps=30)
    assert (await host.start()).status == 201
    await host.wait_connected()
    upstream = f"127.0.0.1:{client.server.port}"
    loop = asyncio.get_running_loop()
    cache = await loop.run_in_executor(None, NginxCache(tmp_path / "nginx", upstream).start)
    try:
        async with aiohttp.ClientSession(cache.base_url) as edge:
            text = await wait_playlist(client, show_id, segments=1)
            part = PART_RE.findall(text)[-1][1]
            origin = await (await client.get(f"/hls/{show_id}/{part}")).read()
            statuses = []
            for _ in range(2):
                async with edge.get(f"/hls/{show_id}/{part}") as res:
                    assert res.status == 200
                    assert "immutable" in res.headers["Cache-Control"]
                    assert await res.read() == origin
                    statuses.append(res.headers["X-Cache-Status"])
            assert statuses == ["MISS", "HIT"]

            # many players ask for the next part at once: one request waits at the origin,
            # the others on nginx's cache lock, and they all get the same playlist
            async with edge.get(f"/hls/{show_id}/index.m3u8") as res:
                assert res.headers["Cache-Control"] == "max-age=1"
                last = playlist.read_edge(await res.text()).last_part
            params = {"_HLS_msn": str(last[0]), "_HLS_part": str(last[1] + 1)}

            async def reload():
                async with edge.get(f"/hls/{show_id}/index.m3u8", params=params) as res:
                    return res.status, res.headers.get("X-Cache-Status"), await res.read()

            started = time.monotonic()
            answers = await asyncio.gather(*(reload() for _ in range(20)))
            waited = time.monotonic() - started
            assert waited > 0.05
            assert {status for status, _, _ in answers} == {200}
            assert len({body for _, _, body in answers}) == 1
            assert playlist.read_edge(answers[0][2].decode()).last_part >= (last[0], last[1] + 1)
            kinds = [kind for _, kind, _ in answers]
            assert kinds.count("MISS") == 1, kinds  # the others came from the cache
            async with edge.get(f"/hls/{show_id}/index.m3u8", params=params) as res:
                assert res.headers["X-Cache-Status"] == "HIT"
    finally:
        await loop.run_in_executor(None, cache.stop)


async def test_a_host_that_comes_back_continues_the_playlist_after_a_discontinuity(
    client, base_url, show, peers, plane
):
    plane.options.stale_after = 0.5
    show_id = show["show"]["id"]
    first = peers.publisher(base_url, show_id, show["host_key"], codec="H264", fps=30)
    assert (await first.start()).status == 201
    await first.wait_connected()
    before = await wait_playlist(client, show_id, segments=1)
    await first.close(delete=False)  # gone without a word: the show stays live (grace)
    await asyncio.sleep(1.0)
    again = peers.publisher(base_url, show_id, show["host_key"], codec="H264", fps=30)
    assert (await again.start()).status == 201
    await again.wait_connected()
    deadline = time.monotonic() + 15
    while True:
        text = await (await client.get(f"/hls/{show_id}/index.m3u8")).text()
        if "#EXT-X-DISCONTINUITY" in text and "#EXT-X-PART:" in text.split("DISCONTINUITY")[1]:
            break
        assert time.monotonic() < deadline, text
        await asyncio.sleep(0.1)
    maps = re.findall(r'#EXT-X-MAP:URI="(init[0-9]+\.mp4)"', text)
    assert len(maps) == 2 and maps[0] != maps[1]
    assert "#EXT-X-ENDLIST" not in text
    # the media sequence goes on: the first session's segments keep their numbers
    first_msn = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:([0-9]+)", before).group(1))
    assert int(re.search(r"#EXT-X-MEDIA-SEQUENCE:([0-9]+)", text).group(1)) >= first_msn
    after = playlist.read_edge(text)
    assert after.last_part[0] > playlist.read_edge(before).last_part[0]
    for uri in maps:
        assert (await client.get(f"/hls/{show_id}/{uri}")).status == 200
