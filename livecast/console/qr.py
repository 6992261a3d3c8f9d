"""Route: a QR code (SVG, drawn by segno) for a link of this server.

``GET /api/qr?text=URL`` for links without a key; ``POST /api/qr`` with ``{"text": URL}``
for links that carry one in their fragment (a query string would put the key in logs).
"""

from __future__ import annotations

import io

import segno
from aiohttp import web

from ..api import json_body
from ..appkeys import SETTINGS
from ..errors import ApiError
from ..links import is_own_link

routes = web.RouteTableDef()

MAX_TEXT = 1000


def qr_svg(text: str) -> bytes:
    code = segno.make(text, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=2, xmldecl=False, dark="#16161a", light="#fff")
    return out.getvalue()


def checked_text(request: web.Request, text) -> str:
    if not isinstance(text, str) or not text:
        raise ApiError(400, "invalid", "text must be the link to draw")
    if len(text) > MAX_TEXT:
        raise ApiError(400, "invalid", f"text is longer than {MAX_TEXT} characters")
    base = request.app[SETTINGS].base_url
    if not is_own_link(base, text):
        raise ApiError(400, "not_our_link", f"QR codes are drawn only for links under {base}/")
    return text


@routes.get("/api/qr")
async def qr_get(request: web.Request):
    text = checked_text(request, request.query.get("text"))
    return web.Response(
        body=qr_svg(text),
        content_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@routes.post("/api/qr")
async def qr_post(request: web.Request):
    body = await json_body(request)
    text = checked_text(request, body.get("text") if isinstance(body, dict) else None)
    return web.Response(
        body=qr_svg(text), content_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )
