"""HTTP routes of HLS: playlists (with blocking reload), init segments, parts, segments.

Everything is read from the show's folder under the data dir, so any process of the
node answers, whichever holds the host; a node whose host is elsewhere forwards to the
host's node (the vod of a show stays on the node that packaged it). A blocking reload
(``_HLS_msn``/``_HLS_part``) waits for the packager's next playlist by looking at the
file again every ``POLL`` seconds, at most ``BLOCK_SECONDS`` (three target durations,
RFC 8216bis 6.2.5.2).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp import web

from ... import routing
from ...appkeys import PROCESS_CARD, REDIS, SETTINGS
from ...errors import ApiError
from ...store import catalog, processes
from ..state import MEDIA
from . import show_directory
from .packager import INDEX, VOD
from .playlist import NAME_RE, SEGMENT_TARGET, BadReload, read_edge, reload_request, reload_state

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
PLAYLIST_CACHE = "max-age=1"
MEDIA_CACHE = "public, max-age=31536000, immutable"
VOD_CACHE = "public, max-age=60"
POLL = 0.02  # seconds between looks at the playlist while a blocking reload waits
BLOCK_SECONDS = 3 * SEGMENT_TARGET


def _folder(request: web.Request) -> tuple[str, Path]:
    show = request.match_info["show"]
    if not catalog.SHOW_ID_RE.match(show):
        raise ApiError(404, "unknown_show", "no such show")
    return show, show_directory(request.app[SETTINGS].data_dir, show)


async def _elsewhere(request: web.Request, show: str) -> web.Response | None:
    """The show's host is on another node: its HLS is packaged there, so the request is
    answered there (forwarded once; a CDN in front caches it as any other)."""
    owner, private = await request.app[MEDIA].feeds.owner(show)
    if owner is None or private:
        return None
    card = await processes.card(request.app[REDIS], owner)
    if card is None or card.get("node") == request.app[PROCESS_CARD].node:
        return None
    return await routing.forward_to(request, owner)


async def _no_hls(request: web.Request, show: str) -> web.Response:
    elsewhere = await _elsewhere(request, show)
    if elsewhere is not None:
        return elsewhere
    await catalog.get_show_record(request.app[REDIS], show)  # 404 unknown_show
    raise ApiError(
        404,
        "no_hls",
        "this show has no HLS stream: it is not live, or its video is not H.264 (use WHEP)",
    )


def _read(path: Path) -> tuple[int, str] | None:
    try:
        stat = path.stat()
        return stat.st_mtime_ns, path.read_text("utf-8")
    except FileNotFoundError:
        return None


def _playlist(text: str, cache: str) -> web.Response:
    return web.Response(
        text=text,
        content_type=PLAYLIST_TYPE,
        headers={"Cache-Control": cache},
    )


async def index(request: web.Request) -> web.Response:
    """The live playlist; with ``_HLS_msn`` (and ``_HLS_part``) once it holds them."""
    show, folder = _folder(request)
    try:
        wanted = reload_request(request.query)
    except BadReload as exc:
        raise ApiError(400, "bad_reload", str(exc)) from None
    path = folder / INDEX
    current = _read(path)
    if current is None:
        return await _no_hls(request, show)
    if wanted is not None:
        deadline = time.monotonic() + BLOCK_SECONDS
        while True:
            state = reload_state(read_edge(current[1]), *wanted)
            if state == "ready":
                break
            if state == "too_far":
                raise ApiError(
                    400, "bad_reload", "that segment or part is too far ahead of the live edge"
                )
            if time.monotonic() >= deadline:
                raise ApiError(
                    503,
                    "not_yet",
                    "the requested part did not come in time",
                    headers={"Retry-After": "1", "Cache-Control": "no-store"},
                )
            await asyncio.sleep(POLL)
            try:
                if path.stat().st_mtime_ns == current[0]:
                    continue
            except FileNotFoundError:
                return await _no_hls(request, show)
            current = _read(path) or current
    return _playlist(current[1], PLAYLIST_CACHE)


async def vod(request: web.Request) -> web.Response:
    """The show's segments as a VOD playlist, once the show has ended."""
    show, folder = _folder(request)
    record = await catalog.get_show_record(request.app[REDIS], show)  # 404 unknown_show
    if record.get("status") != "ended":
        raise ApiError(404, "not_ended", "the show has not ended: play index.m3u8")
    current = _read(folder / VOD)
    if current is None:
        raise ApiError(404, "no_hls", "this show was not packaged as HLS (not H.264)")
    return _playlist(current[1], VOD_CACHE)


async def media_file(request: web.Request) -> web.Response:
    """An init segment, a part or a segment: immutable once written."""
    _, folder = _folder(request)
    name = request.match_info["name"]
    if not NAME_RE.match(name):
        raise ApiError(404, "unknown_part", "no such HLS file")
    try:
        body = (folder / name).read_bytes()  # small (a part is tens of kB), page-cached
    except FileNotFoundError:
        elsewhere = await _elsewhere(request, request.match_info["show"])
        if elsewhere is not None:
            return elsewhere
        raise ApiError(404, "unknown_part", "no such HLS file (it may have expired)") from None
    return web.Response(body=body, content_type="video/mp4", headers={"Cache-Control": MEDIA_CACHE})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/hls/{show}/index.m3u8", index)
    r.add_get("/hls/{show}/vod.m3u8", vod)
    r.add_get("/hls/{show}/{name}", media_file)
