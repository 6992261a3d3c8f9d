"""Mass audiences: the studio sends H.264, the server packages it as LL-HLS, and a viewer
who finds WHEP full (503) watches over HLS (hls.js) and is told so, in Chromium."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api, new_page, screenshot
from tests.support import LiveServer

SLOW = 30_000
FRAMES = (
    "async () => { if (!window.livecast) return 0;"
    " const s = await window.livecast.player.stats();"
    " return (s && s.framesDecoded) || 0; }"
)


def frames_decoded(page, at_least: int = 10, timeout: float = SLOW / 1000) -> int:
    """Video frames the page's player has decoded, once there are ``at_least``."""
    deadline = time.monotonic() + timeout
    while True:
        frames = page.evaluate(FRAMES)
        if frames >= at_least:
            return frames
        assert time.monotonic() < deadline, f"only {frames} frames decoded"
        time.sleep(0.25)


@pytest.fixture(scope="module")
def one_slot_server(tmp_path_factory):
    """A server that takes one WHEP viewer: the second one gets 503."""
    srv = LiveServer(
        tmp_path_factory.mktemp("hls-server"), env={"LIVECAST_MAX_VIEWERS": "1"}
    ).start()
    yield srv
    srv.stop()


def test_a_viewer_past_whep_capacity_watches_hls_and_is_told(browser, one_slot_server):
    server = one_slot_server
    api = Api(server.base_url)
    created = api.create_show(title="모두를 위한 라이브")
    show = created["show"]["id"]
    pages = []
    try:
        studio = new_page(browser)
        pages.append(studio)
        studio.goto(f"{server.base_url}/studio/{show}#key={created['host_key']}")
        expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
        studio.locator("#golive").click()
        expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)

        # the first viewer takes the one WHEP slot
        first = new_page(browser, phone=True)
        pages.append(first)
        first.goto(f"{server.base_url}/watch/{show}")
        frames_decoded(first)
        label = first.locator("#playback")
        expect(label).to_have_attribute("data-mode", "whep")
        expect(label).to_have_text("Live · WebRTC")

        # the studio sent H.264 (Chromium can), so the show is packaged as HLS
        codec = studio.evaluate(
            "async () => { const r = await window.livecast.session().pc.getStats(); let c;"
            " r.forEach((s) => { if (s.type === 'codec' && /video/.test(s.mimeType))"
            " c = s.mimeType; }); return c; }"
        )
        assert codec == "video/H264"
        with urllib.request.urlopen(f"{server.base_url}/hls/{show}/index.m3u8", timeout=10) as res:
            assert res.status == 200
            assert "#EXT-X-PART:" in res.read().decode()

        # the second finds WHEP full, plays HLS through hls.js and says so (in Korean)
        second = new_page(browser, phone=True, locale="ko-KR")
        pages.append(second)
        hls_requests = []
        second.on("request", lambda r: "/hls/" in r.url and hls_requests.append(r.url))
        second.goto(f"{server.base_url}/watch/{show}")
        label = second.locator("#playback")
        expect(label).to_have_attribute("data-mode", "hls", timeout=SLOW)
        expect(label).to_have_text("HLS · 몇 초 늦게 재생")
        expect(label).to_be_visible()
        decoded = frames_decoded(second)
        assert frames_decoded(second, decoded + 15) > decoded  # it goes on playing
        assert second.evaluate("document.querySelector('#video').videoWidth") > 0
        assert second.evaluate("window.livecast.player.hls.engine") == "hls.js"
        assert any("_HLS_msn=" in url for url in hls_requests), hls_requests[:5]
        assert any(".m4s" in url for url in hls_requests)
        screenshot(second, "watch-hls-fallback")

        # ?hls plays HLS without asking WHEP first
        third = new_page(browser, phone=True)
        pages.append(third)
        whep_posts = []
        third.on("request", lambda r: "/whep/" in r.url and whep_posts.append(r.url))
        third.goto(f"{server.base_url}/watch/{show}?hls")
        expect(third.locator("#playback")).to_have_text("HLS · a few seconds behind")
        frames_decoded(third)
        assert whep_posts == []
        assert second.errors == [] and first.errors == [] and third.errors == []
        metrics = urllib.request.urlopen(f"{server.base_url}/api/shows/{show}", timeout=10)
        assert json.loads(metrics.read())["status"] == "live"
    finally:
        for page in pages:
            page.context.close()
