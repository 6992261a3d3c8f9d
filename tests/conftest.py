"""Shared fixtures: a real redis-server per session, the app in process, a real server."""

from __future__ import annotations

import pytest

from livecast.app import create_app
from livecast.config import Settings
from livecast.devtools.processes import RedisProcess
from livecast.store import catalog, connect
from livecast.store.catalog import hash_key
from tests.support import ADMIN_TOKEN, PRODUCTS, LiveServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisProcess(tmp_path_factory.mktemp("redis"), tcp=True)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    redis_server.flush()
    return redis_server.url


@pytest.fixture
async def r(redis_url):
    client = connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def settings(tmp_path, redis_url) -> Settings:
    return Settings(
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        recordings_dir=tmp_path / "recordings",
        secret="test-secret-0123456789abcdef",
        admin_token=ADMIN_TOKEN,
        admin_token_hash=hash_key(ADMIN_TOKEN),
        ice_addresses=("127.0.0.1",),
    )


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
async def client(aiohttp_client, app):
    return await aiohttp_client(app)


@pytest.fixture
async def show(r):
    """A scheduled show with PRODUCTS; the dict create_show returns (keys included)."""
    return await catalog.create_show(
        r, {"title": "김치 라이브", "seller": "시장", "products": PRODUCTS}
    )


@pytest.fixture
async def live_show(r, show):
    await catalog.set_status(r, show["show"]["id"], "live")
    return show


@pytest.fixture
def live_server(tmp_path):
    """Factory: start `livecast serve` subprocesses; all stopped at the end of the test."""
    servers = []

    def start(**kwargs) -> LiveServer:
        server = LiveServer(tmp_path / f"server{len(servers)}", **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
