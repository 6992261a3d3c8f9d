"""HTTP handlers: WHIP (RFC 9725), WHEP, and the show's recordings. Thin: check, call, shape."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web
from multidict import CIMultiDict

from .. import routing
from ..appkeys import REDIS, SETTINGS
from ..errors import ApiError
from ..store import catalog
from .edge import EDGE_HEADER, verify_edge
from .ice import link_headers
from .recorder import FILE_RE, list_recordings
from .state import MEDIA

SDP = "application/sdp"
EVENTS_RE = re.compile(FILE_RE.pattern.replace(r"\.(webm|mkv)$", r"\.events\.jsonl$"))


def bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def require_show(request: web.Request) -> str:
    show = request.match_info["show"]
    await catalog.get_show_record(request.app[REDIS], show)  # 404 unknown_show
    return show


async def read_offer(request: web.Request) -> str:
    if request.content_type != SDP:
        raise ApiError(
            415, "unsupported_media_type", "send the offer as Content-Type: application/sdp"
        )
    try:
        return await request.text()
    except UnicodeDecodeError:
        raise ApiError(400, "bad_sdp", "the offer is not text") from None


def created(request: web.Request, kind: str, show: str, session) -> web.Response:
    headers = CIMultiDict()
    headers["Location"] = f"/{kind}/{show}/{session.id}"
    headers["ETag"] = session.etag
    for link in link_headers(request.app[SETTINGS].ice_servers):
        headers.add("Link", link)
    return web.Response(status=201, text=session.answer, content_type=SDP, headers=headers)


async def options(request: web.Request) -> web.Response:
    headers = CIMultiDict({"Accept-Post": SDP, "Allow": "OPTIONS, POST"})
    for link in link_headers(request.app[SETTINGS].ice_servers):
        headers.add("Link", link)
    return web.Response(status=204, headers=headers)


async def session_options(request: web.Request) -> web.Response:
    return web.Response(status=204, headers={"Allow": "OPTIONS, DELETE"})


# WHIP
async def whip_post(request: web.Request) -> web.Response:
    show = await require_show(request)
    key = bearer(request)
    if key is None:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <host key>")
    if await catalog.role_for_key(request.app[REDIS], show, key) != "host":
        raise ApiError(401, "bad_key", "that key is not this show's host key")
    # a host on air in another process (or node) decides there: 409 while it is live,
    # a replaced rehearsal, a stale session taken over (one rule, where the session is)
    plane = request.app[MEDIA]
    if show not in plane.relays or plane.relays[show].host is None:
        owner, _ = await plane.feeds.owner(show)
        forwarded = await routing.forward_to(request, owner)
        if forwarded is not None:
            return forwarded
    offer = await read_offer(request)
    rehearsal = request.query.get("rehearsal", "") in ("1", "true")
    session = await request.app[MEDIA].publish(show, offer, rehearsal=rehearsal)
    return created(request, "whip", show, session)


def whip_session(request: web.Request):
    session = request.app[MEDIA].whip.get(request.match_info["session"])
    if session is None or session.show != request.match_info["show"]:
        raise ApiError(404, "unknown_session", "no such WHIP session (it may have ended)")
    return session


async def whip_delete(request: web.Request) -> web.Response:
    if request.match_info["session"] not in request.app[MEDIA].whip:
        forwarded = await routing.forward(request, request.match_info["session"])
        if forwarded is not None:  # another process holds it (serve --workers, nodes)
            return forwarded
    session = whip_session(request)
    await request.app[MEDIA].end_broadcast(session)
    return web.Response(status=200)


async def patch_not_supported(request: web.Request) -> web.Response:
    # RFC 9725 section 4.3.1: no trickle ICE or ICE restart here; candidates are in the answer
    raise ApiError(
        405,
        "method_not_allowed",
        "trickle ICE and ICE restarts are not supported",
        headers={"Allow": "OPTIONS, DELETE"},
    )


# WHEP
async def whep_post(request: web.Request) -> web.Response:
    show = await require_show(request)
    offer = await read_offer(request)
    # the host's own player (the studio's rehearsal preview) sees a private rehearsal too
    key = bearer(request)
    preview = key is not None and (
        await catalog.role_for_key(request.app[REDIS], show, key) == "host"
    )
    # another node's feed of the show (media/edge.py), signed with the shared secret
    edge = request.headers.get(EDGE_HEADER)
    if edge is not None:
        edge = verify_edge(request.app[SETTINGS].secret or "", show, edge)
        if edge is None:
            raise ApiError(
                401,
                "bad_edge",
                f"the {EDGE_HEADER} signature does not match or is too old: give every "
                "node the same LIVECAST_SECRET and a synchronised clock",
            )
    session = await request.app[MEDIA].watch(show, offer, preview=preview, edge=edge)
    return created(request, "whep", show, session)


async def whep_delete(request: web.Request) -> web.Response:
    session = request.app[MEDIA].whep.get(request.match_info["session"])
    if session is None:
        forwarded = await routing.forward(request, request.match_info["session"])
        if forwarded is not None:
            return forwarded
    if session is None or session.show != request.match_info["show"]:
        raise ApiError(404, "unknown_session", "no such WHEP session (it may have ended)")
    await request.app[MEDIA].stop_viewer(session)
    return web.Response(status=200)


# recordings
async def recordings(request: web.Request) -> web.Response:
    show = await require_show(request)
    plane = request.app[MEDIA]
    listing = await asyncio.get_running_loop().run_in_executor(
        None, list_recordings, request.app[SETTINGS].recordings_dir, show, dict(plane.recorders)
    )
    return web.json_response(listing)


async def recording_file(request: web.Request) -> web.StreamResponse:
    show, name = request.match_info["show"], request.match_info["file"]
    if not catalog.SHOW_ID_RE.match(show) or not (FILE_RE.match(name) or EVENTS_RE.match(name)):
        raise web.HTTPNotFound()
    path = request.app[SETTINGS].recordings_dir / show / name
    if not path.is_file():
        raise web.HTTPNotFound()
    content_type = {"webm": "video/webm", "mkv": "video/x-matroska"}.get(
        name.rsplit(".", 1)[-1], "application/x-ndjson"
    )
    return web.FileResponse(path, headers={"Content-Type": content_type})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/whip/{show}", whip_post)
    r.add_route("OPTIONS", "/whip/{show}", options)
    r.add_delete("/whip/{show}/{session}", whip_delete)
    r.add_patch("/whip/{show}/{session}", patch_not_supported)
    r.add_route("OPTIONS", "/whip/{show}/{session}", session_options)
    r.add_post("/whep/{show}", whep_post)
    r.add_route("OPTIONS", "/whep/{show}", options)
    r.add_delete("/whep/{show}/{session}", whep_delete)
    r.add_patch("/whep/{show}/{session}", patch_not_supported)
    r.add_route("OPTIONS", "/whep/{show}/{session}", session_options)
    r.add_get("/api/shows/{show}/recordings", recordings)
    r.add_get("/recordings/{show}/{file}", recording_file)
