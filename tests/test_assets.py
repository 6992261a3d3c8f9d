"""Static files as served: versioned URLs cached for a year, revalidated pages, gzip,
modulepreload for a page's whole module graph, and a favicon."""

from __future__ import annotations

import gzip
import re

from livecast.web import ASSETS


async def test_pages_link_versioned_files_and_preload_every_module(client, show):
    res = await client.get(f"/watch/{show['show']['id']}")
    assert res.status == 200
    assert res.headers["Cache-Control"] == "no-cache"
    html = await res.text()
    version = ASSETS.version()
    assert f'src="/static/v/{version}/js/watch.js"' in html
    assert f'href="/static/v/{version}/css/watch.css"' in html
    assert 'href="/static/' not in html.replace(f"/static/v/{version}/", "")
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
    expected = {
        url.replace("/static/", f"/static/v/{version}/")
        if url.startswith("/static/")
        else f"{url}?v={version}"
        for url in ASSETS.module_graph("/static/js/watch.js")
    }
    assert f"/static/v/{version}/js/lib/player.js" in expected
    assert f"/vendor/socket.io/socket.io.esm.min.js?v={version}" in expected
    assert preloaded == expected
    assert f'rel="icon" href="/static/v/{version}/img/favicon.svg"' in html


async def test_versioned_files_are_immutable_and_text_is_gzipped(client):
    version = ASSETS.version()
    res = await client.get(
        f"/static/v/{version}/js/lib/i18n.js", headers={"Accept-Encoding": "gzip"}
    )
    assert res.status == 200
    assert res.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert res.headers["Content-Encoding"] == "gzip"
    assert res.headers["Content-Type"].startswith("text/javascript")
    raw = await res.read()  # aiohttp decompresses; the wire size is the header's
    assert int(res.headers["Content-Length"]) < len(raw) / 2
    assert raw.startswith(b"//")
    plain = await client.get(
        f"/static/v/{version}/js/lib/i18n.js", headers={"Accept-Encoding": "identity"}
    )
    assert "Content-Encoding" not in plain.headers
    assert await plain.read() == raw
    assert gzip.decompress(ASSETS.file(ASSETS.path_of("js/lib/i18n.js")).gzipped) == raw


async def test_unversioned_and_stale_files_revalidate_with_an_etag(client):
    res = await client.get("/static/css/base.css")
    assert res.headers["Cache-Control"] == "no-cache"
    etag = res.headers["ETag"]
    again = await client.get("/static/css/base.css", headers={"If-None-Match": etag})
    assert again.status == 304
    stale = await client.get("/static/v/000000000000/css/base.css")
    assert stale.status == 200 and stale.headers["Cache-Control"] == "no-cache"
    for private in ("/static/node_modules/socket.io-client/package.json", "/static/package.json"):
        assert (await client.get(private)).status == 404


async def test_the_socket_io_client_is_versioned_too(client):
    version = ASSETS.version()
    res = await client.get(f"/vendor/socket.io/socket.io.esm.min.js?v={version}")
    assert res.status == 200 and "immutable" in res.headers["Cache-Control"]
    res = await client.get("/vendor/socket.io/socket.io.esm.min.js")
    assert res.headers["Cache-Control"] == "no-cache"


async def test_favicon(client):
    res = await client.get("/favicon.ico")
    assert res.status == 200 and res.headers["Content-Type"].startswith("image/")
    assert (await res.read())[:4] == b"\x00\x00\x01\x00"  # an ICO file
    for name in ("favicon.svg", "apple-touch-icon.png"):
        assert (await client.get(f"/static/img/{name}")).status == 200
