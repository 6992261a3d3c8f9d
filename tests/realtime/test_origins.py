"""Origins: the page's own origin always works; others only when LIVECAST_CORS_ORIGINS says."""

import pytest
import socketio

from livecast.app import create_app
from tests.realtime.conftest import Peer


async def try_connect(url: str, show: str, origin: str | None, transport: str = "websocket"):
    peer = Peer()
    headers = {"Origin": origin} if origin else {}
    try:
        await peer.sio.connect(
            url,
            auth={"show": show, "name": "o"},
            headers=headers,
            transports=[transport],
            wait_timeout=10,
        )
        await peer.wait_for("state")
        return True
    except socketio.exceptions.ConnectionError:
        return False
    finally:
        if transport == "polling":
            # the python client waits for its pending long-poll on a clean disconnect
            await peer.sio.eio.disconnect(abort=True)
        await peer.close()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_same_origin_only_by_default(url, live_show, transport):
    show = live_show["show"]["id"]
    assert await try_connect(url, show, url, transport)
    assert await try_connect(url, show, None, transport)
    assert not await try_connect(url, show, "http://evil.example", transport)


async def test_configured_origins(aiohttp_server, settings, live_show):
    app = create_app(settings.with_(cors_origins=("https://shop.example",)))
    server = await aiohttp_server(app)
    url = str(server.make_url("/")).rstrip("/")
    show = live_show["show"]["id"]
    assert await try_connect(url, show, "https://shop.example")
    assert await try_connect(url, show, url)
    assert not await try_connect(url, show, "https://evil.example")
