"""Routes: ``POST /api/uploads`` (photos in, WebP out) and ``GET /media/{name}``.

Who may upload: an admin, a seller, or a show's host (``?show=ID`` says which show the
host key is for). Each key may upload ``DAILY_LIMIT`` files per UTC day. The body is
read as a stream and cut off past ``images.MAX_BYTES``; the decoding runs in an executor.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from aiohttp import web

from ..api import bearer, is_admin
from ..appkeys import REDIS, SETTINGS
from ..errors import ApiError
from ..store import catalog, keys, sellers
from . import images

routes = web.RouteTableDef()

DAILY_LIMIT = 500
CHUNK = 64 * 1024
MULTIPART_SLACK = 64 * 1024  # headers and boundaries around the file
MEDIA_NAME_RE = re.compile(r"^[0-9a-f]{32}(?:-thumb)?\.webp$")
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def media_dir(request: web.Request) -> Path:
    return Path(request.app[SETTINGS].data_dir) / "media"


async def uploader(request: web.Request) -> str:
    """Who uploads (``admin``, ``seller:ID``, ``host:SHOW``) for the daily count."""
    token = bearer(request)
    if token is None:
        raise ApiError(
            401, "unauthorized", "send Authorization: Bearer <admin token, seller or host key>"
        )
    if is_admin(request):
        return "admin"
    r = request.app[REDIS]
    seller = await sellers.seller_for_key(r, token)
    if seller is not None:
        return f"seller:{seller['id']}"
    show_id = request.query.get("show", "")
    if (
        catalog.SHOW_ID_RE.match(show_id)
        and await catalog.role_for_key(r, show_id, token) == "host"
    ):
        return f"host:{show_id}"
    raise ApiError(
        401, "bad_key", "that key is not an admin token, a seller key or (with ?show=ID) a host key"
    )


async def count_upload(request: web.Request, who: str) -> None:
    day = time.strftime("%Y%m%d", time.gmtime())
    key = keys.upload_count(who, day)
    async with request.app[REDIS].pipeline(transaction=True) as tx:
        tx.incr(key)
        tx.expire(key, 2 * 86400)
        count, _ = await tx.execute()
    if count > DAILY_LIMIT:
        raise ApiError(
            413,
            "too_many_uploads",
            f"at most {DAILY_LIMIT} photos a day for one key: try again tomorrow",
        )


def too_big() -> ApiError:
    limit = images.MAX_BYTES // (1024 * 1024)
    return ApiError(413, "too_large", f"a photo may be at most {limit} MB: send a smaller one")


async def read_file(request: web.Request) -> bytes:
    """The ``file`` part of a multipart/form-data body, at most MAX_BYTES."""
    if not request.content_type.startswith("multipart/form-data"):
        raise ApiError(
            400, "invalid", "send the photo as multipart/form-data with a field named file"
        )
    if (request.content_length or 0) > images.MAX_BYTES + MULTIPART_SLACK:
        raise too_big()
    try:
        reader = await request.multipart()
        for _ in range(10):
            part = await reader.next()
            if part is None:
                break
            if getattr(part, "name", None) != "file":
                await part.release()
                continue
            data = bytearray()
            while chunk := await part.read_chunk(CHUNK):
                data += chunk
                if len(data) > images.MAX_BYTES:
                    raise too_big()
            return bytes(data)
    except (ValueError, AssertionError, KeyError, LookupError) as exc:
        raise ApiError(400, "invalid", f"the multipart body is malformed ({exc})") from None
    raise ApiError(400, "invalid", "no field named file in the form")


@routes.post("/api/uploads")
async def upload(request: web.Request):
    who = await uploader(request)
    await count_upload(request, who)
    data = await read_file(request)
    loop = asyncio.get_running_loop()
    try:
        processed = await loop.run_in_executor(None, images.process, data)
    except images.TooManyPixels as exc:
        raise ApiError(413, "too_large", f"{exc}: send a smaller photo") from None
    except images.NotAnImage as exc:
        raise ApiError(415, "unsupported_image", f"{exc}: send a JPEG, PNG or WebP photo") from None
    full, thumb = await loop.run_in_executor(None, images.store, media_dir(request), processed)
    return web.json_response(
        {
            "url": f"/media/{full}",
            "thumb": f"/media/{thumb}",
            "width": processed.width,
            "height": processed.height,
        },
        status=201,
    )


@routes.get("/media/{name}")
async def media_file(request: web.Request):
    name = request.match_info["name"]
    path = media_dir(request) / name
    if not MEDIA_NAME_RE.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={**IMMUTABLE, "Content-Type": "image/webp"})
