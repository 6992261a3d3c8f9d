"""Page routes and static files (web/ at the top of the repository)."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from aiohttp import web

from .appkeys import REDIS
from .assets import REVALIDATE, YEAR, Asset, Assets
from .store import catalog, keys

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
SOCKET_IO_CLIENT = WEB_DIR / "node_modules" / "socket.io-client" / "dist"
HLS_JS = WEB_DIR / "node_modules" / "hls.js" / "dist"
HLS_JS_FILE_RE = re.compile(r"^hls(?:\.light)?(?:\.min)?\.mjs$")  # the ES module builds
PAGES = ("studio", "watch", "moderate", "replay", "orders")
ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
NO_STORE = {"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"}
# web/ is served under /static/ except npm's files (the socket.io client is served from
# its dist under /vendor/), source maps and dot files
PRIVATE_DIRS = frozenset({"node_modules"})
PRIVATE_FILES = frozenset({"package.json", "package-lock.json"})
VENDOR_FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.js$")


# versioned URLs, long-lived caching, gzip and modulepreload (livecast/assets.py)
ASSETS = Assets(WEB_DIR, SOCKET_IO_CLIENT, HLS_JS)
FAVICON_CACHE = "public, max-age=86400"


class AssetResponse(web.Response):
    """A file as served by ``ASSETS``: 304 for a matching If-None-Match, gzip when the
    client takes it (decided in prepare(), when the request is known)."""

    def __init__(self, asset: Asset, cache: str, *, status: int = 200, headers=None):
        super().__init__(
            body=asset.body,
            status=status,
            headers={
                **(headers or {}),
                "Content-Type": asset.content_type,
                "Cache-Control": cache,
                "ETag": f"W/{asset.etag}",
                "Vary": "Accept-Encoding",
            },
        )
        self.asset = asset

    async def prepare(self, request):
        if self.status == 200 and f"W/{self.asset.etag}" in request.headers.get(
            "If-None-Match", ""
        ).replace(" ", "").split(","):
            self.set_status(304)
            self.body = None
        elif self.asset.gzipped is not None and "gzip" in request.headers.get(
            "Accept-Encoding", ""
        ):
            self.body = self.asset.gzipped
            self.headers["Content-Encoding"] = "gzip"
        return await super().prepare(request)


def page(name: str, *, status: int = 200) -> web.Response:
    return AssetResponse(
        ASSETS.page(WEB_DIR / f"{name}.html"), REVALIDATE, status=status, headers=NO_STORE
    )


async def index(request: web.Request):
    return page("index")


async def checkout_page(request: web.Request):
    """The buyer's checkout for any well-formed order id: the page itself asks the API
    (with the buyer's token), so an unknown id is told there, not here."""
    if not ORDER_ID_RE.match(request.match_info["order_id"]):
        return page("404-order", status=404)
    return page("checkout")


def show_page(name: str):
    async def handler(request: web.Request):
        if not await catalog.show_exists(request.app[REDIS], request.match_info["show"]):
            return page("404", status=404)
        return page(name)

    handler.__name__ = f"{name}_page"
    return handler


async def console_page(request: web.Request):
    """The seller console (the page asks for the key and the API checks it)."""
    return page("console")


async def event_page(request: web.Request):
    """A sale event's page; an unknown event gets the 404 page."""
    event_id = request.match_info["event"]
    if not catalog.SHOW_ID_RE.match(event_id) or not await request.app[REDIS].exists(
        keys.event(event_id)
    ):
        return page("404", status=404)
    return page("events")


def static_path(root: Path, rel: str) -> Path | None:
    """The file under ``root`` that ``/static/<rel>`` may serve, or None."""
    parts = PurePosixPath(rel).parts
    if not parts or any(p.startswith(".") or p in PRIVATE_DIRS for p in parts):
        return None
    if parts[-1] in PRIVATE_FILES or parts[-1].endswith(".map"):
        return None
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


async def static_file(request: web.Request):
    """``/static/v/<version>/<path>`` (a year, immutable: the version changes with any
    file) or ``/static/<path>`` (revalidated)."""
    rel, cache = request.match_info["path"], REVALIDATE
    parts = rel.split("/", 2)
    if len(parts) == 3 and parts[0] == "v":
        rel = parts[2]
        if parts[1] == ASSETS.version():
            cache = YEAR
    path = static_path(WEB_DIR, rel)
    if path is None:
        raise web.HTTPNotFound()
    return AssetResponse(ASSETS.file(path), cache)


async def vendor_socket_io(request: web.Request):
    name = request.match_info["name"]
    path = SOCKET_IO_CLIENT / name
    if not VENDOR_FILE_RE.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    cache = YEAR if request.query.get("v") == ASSETS.version() else REVALIDATE
    return AssetResponse(ASSETS.file(path, rewrite=False), cache)


async def vendor_hls_js(request: web.Request):
    name = request.match_info["name"]
    path = HLS_JS / name
    if not HLS_JS_FILE_RE.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    cache = YEAR if request.query.get("v") == ASSETS.version() else REVALIDATE
    return AssetResponse(ASSETS.file(path, rewrite=False), cache)


async def favicon(request: web.Request):
    return AssetResponse(ASSETS.file(WEB_DIR / "img" / "favicon.ico"), FAVICON_CACHE)


def setup(app: web.Application) -> None:
    app.router.add_get("/", index)
    for name in PAGES:
        app.router.add_get(f"/{name}/{{show}}", show_page(name))
    app.router.add_get("/checkout/{order_id}", checkout_page)
    app.router.add_get("/console", console_page)
    app.router.add_get("/events/{event}", event_page)
    app.router.add_get("/static/{path:.+}", static_file)
    app.router.add_get("/vendor/socket.io/{name}", vendor_socket_io)
    app.router.add_get("/vendor/hls.js/{name}", vendor_hls_js)
    app.router.add_get("/favicon.ico", favicon)
