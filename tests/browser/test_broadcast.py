"""Going live where real shows happen: an insecure page, HTTPS from a LAN name on a phone,
a server restart in the middle of a show, audio only, and a phone's portrait video."""

from __future__ import annotations

import json
import ssl
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Api, screenshot
from tests.support import ADMIN, LiveServer

SLOW = 30_000
# a name that is not localhost, resolved to loopback by Chromium alone (no DNS, no network)
LAN_NAME = "studio.test"
LAN_ARGS = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"]

FRAMES = (
    "async () => { if (!window.livecast) return false;"
    " const s = await window.livecast.player.stats();"
    " return s && s.framesDecoded > 0 && s.framesDecoded; }"
)


@pytest.fixture(scope="module")
def lan_browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=LAN_ARGS, headless=True)
    yield b
    b.close()


def test_an_insecure_page_says_how_to_get_the_camera_instead_of_failing(server, api, lan_browser):
    created = api.create_show(title="보안 연결 없음")
    show = created["show"]["id"]
    for locale, title, sku in (
        ("en-US", "The camera needs a secure (HTTPS) page", "waffle"),
        ("ko-KR", "카메라는 보안(HTTPS) 페이지에서만 켤 수 있습니다", "friedrice"),
    ):
        context = lan_browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"http://{LAN_NAME}:{server.port}/studio/{show}#key={created['host_key']}")
        box = page.locator("#insecure")
        expect(box).to_be_visible(timeout=SLOW)
        expect(box.locator("h3")).to_have_text(title)
        expect(box).to_contain_text(f"http://{LAN_NAME}:{server.port}")
        expect(box).to_contain_text("--self-signed")
        expect(page.locator("#insecure-local")).to_contain_text(f"http://localhost:{server.port}/")
        expect(box).to_contain_text(f"/whip/{show}")
        expect(page.locator("#golive")).to_be_disabled()
        expect(page.locator("#check-camera")).to_have_attribute("data-state", "bad")
        # the rest of the studio works: feature a product
        page.locator(f".rail-item[data-sku={sku}] .act-feature").click()
        expect(page.locator(f".rail-item[data-sku={sku}]")).to_have_class(
            "rail-item is-featured", timeout=SLOW
        )
        screenshot(page, f"studio-insecure-1280-{locale[:2]}")
        assert errors == [], errors
        assert "getUserMedia" not in page.content()
        context.close()


def test_a_phone_goes_live_over_https_from_a_lan_address(tmp_path_factory, lan_browser):
    server = LiveServer(tmp_path_factory.mktemp("https"), args=("--self-signed",)).start()
    try:
        created = _create(server, "휴대폰 HTTPS 방송")
        show = created["show"]["id"]
        base = f"https://{LAN_NAME}:{server.port}"
        phone = lan_browser.new_context(locale="ko-KR", ignore_https_errors=True, **PHONE)
        studio = phone.new_page()
        studio.goto(f"{base}/studio/{show}#key={created['host_key']}")
        expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
        assert studio.evaluate("window.isSecureContext") is True
        expect(studio.locator("#insecure")).to_be_hidden()
        # a phone held upright captures 9:16 by default
        expect(studio.locator("#orientation")).to_have_value("portrait")
        studio.locator("#golive").click()
        expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
        viewer_context = lan_browser.new_context(locale="ko-KR", ignore_https_errors=True, **PHONE)
        watch = viewer_context.new_page()
        watch.goto(f"{base}/watch/{show}")
        watch.wait_for_function(FRAMES, timeout=SLOW, polling=250)
        # portrait video fills a portrait phone
        expect(watch.locator("#stage")).to_have_class("stage portrait", timeout=SLOW)
        size = watch.evaluate(
            "() => { const v = document.querySelector('#video');"
            " return [v.videoWidth, v.videoHeight]; }"
        )
        assert size[1] > size[0], size
        screenshot(studio, "studio-phone-https-390-ko")
        screenshot(watch, "watch-portrait-390-ko")
        phone.close()
        viewer_context.close()
    finally:
        server.stop()


def _create(server, title: str) -> dict:
    """A show on ``server`` (HTTP or HTTPS with its self-signed certificate)."""
    body = {
        "title": title,
        "products": [
            {"sku": "dakgalbi", "name": "춘천식 닭갈비 1kg", "price": 15900, "stock": 50},
            {"sku": "waffle", "name": "수제 와플 10개입", "price": 9900, "stock": 2},
        ],
    }
    req = urllib.request.Request(
        server.base_url + "/api/shows",
        data=json.dumps(body).encode(),
        method="POST",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    context = ssl._create_unverified_context() if server.base_url.startswith("https") else None
    with urllib.request.urlopen(req, context=context, timeout=10) as res:
        return json.load(res)


def test_the_studio_republishes_by_itself_after_the_server_restarts(
    tmp_path_factory, browser, pages
):
    server = LiveServer(tmp_path_factory.mktemp("restart")).start()
    try:
        created = _create(server, "재시작에도 계속")
        show = created["show"]["id"]
        api = Api(server.base_url)
        studio = pages()
        studio.goto(f"{server.base_url}/studio/{show}#key={created['host_key']}")
        expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
        studio.locator("#golive").click()
        expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
        watch = pages(phone=True)
        watch.goto(f"{server.base_url}/watch/{show}")
        watch.wait_for_function(FRAMES, timeout=SLOW, polling=250)
        first = studio.evaluate("window.livecast.session().id")

        server.stop()  # SIGTERM: the process goes; the show stays live for its host
        banner = studio.locator("#reconnect-banner")
        expect(banner).to_be_visible(timeout=SLOW)
        expect(studio.locator("#pc-state")).to_have_attribute("data-state", "reconnecting")
        screenshot(studio, "studio-reconnecting-1360-en")
        server.start()

        expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
        expect(banner).to_be_hidden()
        assert studio.evaluate("window.livecast.session().id") != first
        assert api.show(show)["status"] == "live"  # the same show, never ended
        # the viewer's player came back by itself and decodes the new broadcast
        watch.wait_for_function(
            "async () => { if (!window.livecast) return false;"
            " const s = await window.livecast.player.stats();"
            " return s && s.framesDecoded > 10; }",
            timeout=SLOW,
            polling=250,
        )
        expect(watch.locator("#status")).to_have_text("LIVE")
        assert studio.errors == [] and watch.errors == []
    finally:
        server.stop()


def test_audio_only_goes_live_and_the_viewer_is_told(server, api, pages):
    created = api.create_show(title="음성 방송")
    show = created["show"]["id"]
    studio = pages()
    studio.goto(f"{server.base_url}/studio/{show}#key={created['host_key']}")
    expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
    expect(studio.locator("#check-camera")).to_have_attribute("data-state", "ok", timeout=SLOW)
    # the camera is not wanted (or broken): go on with the microphone alone
    studio.evaluate("document.querySelector('#audio-only').click()")
    studio.wait_for_function(
        "() => window.livecast.stream() && window.livecast.stream().getVideoTracks().length === 0",
        timeout=SLOW,
    )
    expect(studio.locator("#check-camera")).to_have_attribute("data-state", "warn")
    studio.locator("#golive").click()
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
    expect(studio.locator("#whip-error")).to_be_hidden()
    assert api.show(show)["status"] == "live"
    watch = pages(phone=True)
    watch.goto(f"{server.base_url}/watch/{show}")
    expect(watch.locator("#audio-only")).to_be_visible(timeout=SLOW)
    expect(watch.locator("#audio-only")).to_have_text("Audio only: the host's camera is off")
    assert studio.errors == [] and watch.errors == []


def test_a_landscape_broadcast_fits_a_phone_without_a_sea_of_black(server, api, pages):
    created = api.create_show(title="가로 방송")
    show = created["show"]["id"]
    studio = pages()
    studio.goto(f"{server.base_url}/studio/{show}#key={created['host_key']}")
    expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
    expect(studio.locator("#orientation")).to_have_value("landscape")
    studio.locator("#golive").click()
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
    watch = pages(phone=True)
    watch.goto(f"{server.base_url}/watch/{show}")
    watch.wait_for_function(FRAMES, timeout=SLOW, polling=250)
    expect(watch.locator("#stage")).to_have_class("stage landscape", timeout=SLOW)
    box = watch.evaluate(
        "() => { const v = document.querySelector('#video'); const r = v.getBoundingClientRect();"
        " return {w: r.width, h: r.height, top: r.top, vw: v.videoWidth, vh: v.videoHeight}; }"
    )
    # the element is the picture's own shape (no letterbox bars inside it), right under the
    # top bar, full width
    assert abs(box["h"] - box["w"] * box["vh"] / box["vw"]) < 3, box
    assert box["w"] == 390 and box["top"] < 80, box
    screenshot(watch, "watch-landscape-390-en")
    # on a desktop the stage widens to the picture instead of a 9:16 column
    desk = pages()
    desk.goto(f"{server.base_url}/watch/{show}")
    desk.wait_for_function(FRAMES, timeout=SLOW, polling=250)
    expect(desk.locator("#stage")).to_have_class("stage landscape", timeout=SLOW)
    width = desk.evaluate("document.querySelector('#stage').getBoundingClientRect().width")
    assert width > 1000, width
    screenshot(desk, "watch-landscape-1360-en")
