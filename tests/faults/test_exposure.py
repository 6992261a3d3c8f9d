"""What a real `livecast serve` exposes: security headers, static files, secrets in errors."""

from __future__ import annotations

from http.client import HTTPConnection

import pytest

from tests.faults.conftest import create_show, http
from tests.support import LiveServer, free_port, run_cli


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_server):
    srv = LiveServer(tmp_path_factory.mktemp("exposure"), env={"REDIS_URL": redis_server.url})
    yield srv.start()
    srv.stop()


@pytest.fixture(scope="module")
def show(server):
    return create_show(server)


def csp_directives(value: str) -> dict[str, list[str]]:
    out = {}
    for part in value.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/watch/{show}",
        "/studio/{show}",
        "/api/shows",
        "/api/nothing",
        "/static/js/watch.js",
        "/static/nothing.js",
        "/vendor/socket.io/socket.io.esm.min.js",
        "/healthz",
        "/watch/no-such-show",
    ],
)
def test_every_response_carries_the_security_headers(server, show, path):
    res = http("GET", server.base_url + path.format(show=show))
    headers = res.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("no-referrer", "strict-origin-when-cross-origin")
    csp = csp_directives(headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]  # no inline scripts, no eval
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    host = f"127.0.0.1:{server.port}"
    assert f"ws://{host}" in csp["connect-src"] and "'self'" in csp["connect-src"]
    assert {"'self'", "data:", "https:"} <= set(csp["img-src"])
    assert {"'self'", "blob:"} <= set(csp["media-src"])


@pytest.mark.parametrize(
    "path",
    [
        "/static/node_modules/socket.io-client/package.json",
        "/static/node_modules/socket.io-client/dist/socket.io.js",
        "/static/node_modules/ws/index.js",
        "/static/package.json",
        "/static/package-lock.json",
        "/vendor/socket.io/socket.io.esm.min.js.map",
        "/vendor/socket.io/socket.io.js.map",
        "/vendor/socket.io/../package.json",
        "/vendor/socket.io/%2e%2e/package.json",
        "/static/%2e%2e/livecast/app.py",
        "/static/..%2flivecast/app.py",
        "/static/js/../../pyproject.toml",
    ],
)
def test_npm_files_source_maps_and_traversal_are_not_served(server, path):
    conn = HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path)  # sent as is: no client-side normalisation
        res = conn.getresponse()
        body = res.read()
    finally:
        conn.close()
    assert res.status == 404, (path, body[:200])


def test_what_the_pages_need_is_still_served(server):
    for path in (
        "/static/js/watch.js",
        "/static/js/lib/socket.js",
        "/static/css/base.css",
        "/static/img/icons.svg",
        "/vendor/socket.io/socket.io.esm.min.js",
    ):
        res = http("GET", server.base_url + path)
        assert res.status == 200, path
    res = http("GET", server.base_url + "/vendor/socket.io/socket.io.esm.min.js")
    assert res.headers["Content-Type"].startswith(("application/javascript", "text/javascript"))


def test_a_redis_password_never_appears_in_error_lines(tmp_path):
    secret = "pw-must-not-leak-1234"
    url = f"redis://default:{secret}@127.0.0.1:{free_port()}/0"
    env = {"REDIS_URL": url, "LIVECAST_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("show", "list", env=env)
    assert result.returncode == 1
    assert secret not in result.stderr + result.stdout
    assert result.stderr.count("\n") == 1 and "***" in result.stderr
    bad_scheme = run_cli("show", "list", env={**env, "REDIS_URL": f"http://:{secret}@x/"})
    assert bad_scheme.returncode == 1 and "REDIS_URL" in bad_scheme.stderr
    assert secret not in bad_scheme.stderr
    server = LiveServer(tmp_path / "serve", env={"REDIS_URL": url})
    try:
        with pytest.raises(RuntimeError) as failed:
            server.start(timeout=30)
    finally:
        assert server.stop() == 1
    assert secret not in str(failed.value) and "***" in server.output()
