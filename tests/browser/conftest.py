"""Browser fixtures: one real `livecast serve` per session, one Debian Chromium per module.

Each test creates its own show (a fresh show id), so tests share the server without
sharing state. Screenshots land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from livecast.devtools.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE  # noqa: F401
from tests.support import ADMIN, ROOT, LiveServer

# every expect() waits this long by default (ms): the 2-core machine is shared with the
# server, Chromium and the other tests
expect.set_options(timeout=20_000)

ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = LiveServer(tmp_path_factory.mktemp("browser-server")).start()
    yield srv
    srv.stop()


# module scope: while Playwright's sync API is open it keeps an asyncio loop running in
# this thread, which the async tests of the other folders must not meet
@pytest.fixture(scope="module")
def playwright():
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


class Api:
    """Tiny admin client for the server under test (urllib, loopback only)."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def call(self, method: str, path: str, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        for name, value in {**ADMIN, **(headers or {})}.items():
            req.add_header(name, value)
        with urllib.request.urlopen(req, timeout=10) as res:
            raw = res.read()
        return json.loads(raw) if raw else None

    def create_show(self, **fields) -> dict:
        body = {
            "title": "한정 특가 라이브",
            "seller": "우리동네 협동조합",
            "products": [
                {
                    "sku": "dakgalbi",
                    "name": "춘천식 닭갈비 1kg",
                    "price": 15900,
                    "stock": 50,
                    "max_per_order": 5,
                    "image": "/static/img/demo/dakgalbi.svg",
                    "description": "국내산 닭다리살, 양념 포함.",
                },
                {
                    "sku": "waffle",
                    "name": "수제 와플 10개입",
                    "price": 9900,
                    "stock": 2,
                    "image": "/static/img/demo/waffle.svg",
                },
                {
                    "sku": "friedrice",
                    "name": "새우볶음밥 5인분",
                    "price": 12900,
                    "image": "/static/img/demo/friedrice.svg",
                },
            ],
            **fields,
        }
        return self.call("POST", "/api/shows", body)

    def show(self, show_id: str) -> dict:
        return self.call("GET", f"/api/shows/{show_id}")


@pytest.fixture(scope="session")
def api(server):
    return Api(server.base_url)


def new_page(browser, *, phone=False, locale="en-US", **kwargs):
    """A page in its own context; dialogs (alert from an injected script) are recorded."""
    context = browser.new_context(locale=locale, **(PHONE if phone else DESKTOP), **kwargs)
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


@pytest.fixture
def pages(browser):
    """Factory for pages; their contexts are closed after the test."""
    made = []

    def make(**kwargs):
        page = new_page(browser, **kwargs)
        made.append(page)
        return page

    yield make
    for page in made:
        page.context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
