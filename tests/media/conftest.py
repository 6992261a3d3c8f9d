"""Media fixtures: the app served on 127.0.0.1 (pytest-aiohttp), its media plane, peers."""

from __future__ import annotations

import pytest

from livecast.devtools.peers import Publisher, Viewer
from livecast.media import MEDIA
from livecast.media.aiortc_tap.census import DecoderCensus


@pytest.fixture
def app(app):
    """The app of tests/conftest.py, with the decoder census on its media plane."""
    app[MEDIA].options.hook = DecoderCensus()
    return app


@pytest.fixture
def base_url(client) -> str:
    return str(client.make_url("")).rstrip("/")


@pytest.fixture
def plane(client):
    return client.server.app[MEDIA]


@pytest.fixture
async def peers():
    """Collects peers and closes them all at the end of the test."""
    made: list = []

    class Factory:
        def publisher(self, *args, **kwargs) -> Publisher:
            peer = Publisher(*args, **kwargs)
            made.append(peer)
            return peer

        def viewer(self, *args, **kwargs) -> Viewer:
            peer = Viewer(*args, **kwargs)
            made.append(peer)
            return peer

    yield Factory()
    for peer in reversed(made):
        await peer.close()
