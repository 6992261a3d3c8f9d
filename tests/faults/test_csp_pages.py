"""Every page works under the Content-Security-Policy: no violation in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import api, browser, pages, playwright, server  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/", "/watch/{show}", "/studio/{show}", "/moderate/{show}",
                                  "/replay/{show}"])  # fmt: skip
def test_pages_load_without_csp_violations(server, api, pages, path):  # noqa: F811
    show = api.create_show(title="CSP 점검 라이브")["show"]["id"]
    page = pages(locale="ko-KR")
    violations: list[str] = []
    sockets: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("websocket", lambda ws: sockets.append(ws.url))
    # what the page itself reports (the console is not the only channel)
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(server.base_url + path.format(show=show))
    page.wait_for_load_state("networkidle")
    if path == "/watch/{show}":
        # the show's socket opened (connect-src lets same-origin websockets through)
        expect(page.locator("body")).to_be_visible()
        page.wait_for_function("() => performance.getEntriesByType('resource').length > 3")
        assert any("/socket.io/" in url for url in sockets), sockets
    assert page.evaluate("window.__csp") == []
    assert violations == []
