"""Page routes and static files (web/ at the top of the repository)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .appkeys import REDIS
from .store import catalog

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
SOCKET_IO_CLIENT = WEB_DIR / "node_modules" / "socket.io-client" / "dist"
PAGES = ("studio", "watch", "moderate", "replay")
NO_STORE = {"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"}


def page(name: str) -> web.FileResponse:
    return web.FileResponse(WEB_DIR / f"{name}.html", headers=NO_STORE)


async def index(request: web.Request):
    return page("index")


def show_page(name: str):
    async def handler(request: web.Request):
        if not await catalog.show_exists(request.app[REDIS], request.match_info["show"]):
            return web.FileResponse(WEB_DIR / "404.html", status=404, headers=NO_STORE)
        return page(name)

    handler.__name__ = f"{name}_page"
    return handler


def setup(app: web.Application) -> None:
    app.router.add_get("/", index)
    for name in PAGES:
        app.router.add_get(f"/{name}/{{show}}", show_page(name))
    app.router.add_static("/static/", WEB_DIR, follow_symlinks=False)
    if SOCKET_IO_CLIENT.is_dir():
        app.router.add_static("/vendor/socket.io/", SOCKET_IO_CLIENT)
