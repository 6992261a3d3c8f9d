"""Keys typed into the page, refused keys, and a studio whose camera is blocked."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot

SLOW = 20_000


def test_wrong_keys_are_refused_and_a_typed_key_opens_the_page(server, api, pages):
    created = api.create_show(title="키 테스트")
    show = created["show"]["id"]
    studio = pages()
    studio.goto(f"{server.base_url}/studio/{show}#key=not-the-key")
    expect(studio.locator(".key-form .error")).to_have_text("That key is not valid for this show.")
    assert "key=" not in studio.url
    studio.locator("#key-input").fill(created["host_key"])
    studio.locator("#key-input").press("Enter")
    expect(studio.locator("#desk")).to_be_visible(timeout=SLOW)
    expect(studio.locator("#golive")).to_be_visible()

    mod = pages()
    mod.goto(f"{server.base_url}/moderate/{show}")
    mod.locator("#key-input").fill("wrong")
    mod.locator("#key-input").press("Enter")
    expect(mod.locator(".key-form .error")).to_be_visible(timeout=SLOW)
    mod.locator("#key-input").fill(created["moderator_key"])
    mod.locator("#key-input").press("Enter")
    expect(mod.locator("#desk")).to_be_visible(timeout=SLOW)
    expect(mod.locator("#conn")).to_have_attribute("data-state", "online", timeout=SLOW)
    assert mod.evaluate("Object.values(sessionStorage)") == [created["moderator_key"]]


def test_blocked_camera_is_said_plainly_with_retry_and_audio_only(server, api, playwright):
    created = api.create_show(title="카메라 없음")
    show = created["show"]["id"]
    # without the fake-UI flag, headless Chromium refuses camera and microphone
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(f"{server.base_url}/studio/{show}#key={created['host_key']}")
        problem = page.locator("#camera-problem")
        expect(problem).to_be_visible(timeout=SLOW)
        expect(problem).to_contain_text("blocked")
        expect(page.get_by_role("button", name="Retry camera")).to_be_visible()
        expect(page.get_by_role("button", name="Go on with audio only")).to_be_visible()
        screenshot(page, "studio-camera-blocked")
    finally:
        browser.close()
