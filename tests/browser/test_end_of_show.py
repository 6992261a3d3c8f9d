"""Deals refused in words, a pre-live check and a private rehearsal, the end of a show
(camera off, deals over, no going live again, the summary), and a replay that sells.

The tests share one show (module fixture) and run in file order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page, screenshot

SLOW = 30_000
FRAMES = (
    "async () => { if (!window.livecast) return false;"
    " const s = await window.livecast.player.stats();"
    " return s && s.framesDecoded > 0 && s.framesDecoded; }"
)


class Show:
    def __init__(self, browser, server, api):
        self.server, self.api = server, api
        created = api.create_show(title="끝까지 팔기", seller="우리동네 협동조합")
        self.id = created["show"]["id"]
        self.host_key = created["host_key"]
        self.pages = []
        self.studio = self.open(browser, "studio", fragment=f"#key={self.host_key}")
        self.watch = self.open(browser, "watch", phone=True)

    def open(self, browser, path, *, phone=False, locale="en-US", fragment=""):
        page = new_page(browser, phone=phone, locale=locale)
        self.pages.append(page)
        page.goto(f"{self.server.base_url}/{path}/{self.id}{fragment}")
        return page

    def status(self) -> str:
        return self.api.show(self.id)["status"]

    def sold(self, sku: str) -> int:
        return next(p["sold"] for p in self.api.show(self.id)["products"] if p["sku"] == sku)


@pytest.fixture(scope="module")
def show(browser, server, api):
    s = Show(browser, server, api)
    yield s
    for page in s.pages:
        page.context.close()


def test_the_pre_live_check_and_a_private_rehearsal(show):
    studio, watch = show.studio, show.watch
    expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
    for check in ("camera", "network", "products"):
        item = studio.locator(f"#check-{check}")
        expect(item).to_have_attribute("data-state", "ok", timeout=SLOW)
    expect(studio.locator("#check-mic")).to_have_attribute(
        "data-state", re.compile("ok|warn"), timeout=SLOW
    )
    expect(studio.locator("#check-products .value")).to_have_text("3 products ready")
    # deals wait for the show to be live
    expect(studio.locator(".rail-item[data-sku=dakgalbi] .act-deal")).to_be_disabled()

    studio.locator("#rehearse").click()
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "rehearsal", timeout=SLOW)
    expect(studio.locator("#rehearsal")).to_be_visible()
    studio.wait_for_function(
        "() => { const v = document.querySelector('#rehearsal-view');"
        " return v.videoWidth > 0 && v.currentTime > 0; }",
        timeout=SLOW,
    )
    assert show.status() == "scheduled"  # private: the public sees "starting soon"
    expect(watch.locator("#soon")).to_be_visible()
    screenshot(studio, "studio-rehearsal-1360-en")

    studio.locator("#golive").click()  # from the rehearsal straight to air
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
    expect(studio.locator("#rehearsal")).to_be_hidden()
    assert show.status() == "live"
    watch.wait_for_function(FRAMES, timeout=SLOW, polling=250)
    expect(watch.locator("#featured .btn-buy")).to_have_text("Buy")


def test_deals_are_refused_in_words(show, browser):
    studio = show.studio
    rail = studio.locator(".rail-item[data-sku=waffle]")
    # a "deal" above the price is refused before it reaches anyone
    studio.locator("#deal-price-waffle").fill("12000")
    rail.locator(".act-deal").click()
    expect(rail.locator(".deal-hint")).to_have_text("The deal price must be below ₩9,900.")
    expect(show.watch.locator("#featured .deal-price")).to_have_count(0)

    studio.locator("#deal-price-dakgalbi").fill("12900")
    studio.locator("#deal-seconds-dakgalbi").fill("300")
    studio.locator(".rail-item[data-sku=dakgalbi] .act-deal").click()
    expect(show.watch.locator("#featured[data-sku=dakgalbi] .deal-price")).to_have_text(
        "₩12,900", timeout=SLOW
    )
    # the deal featured its product for the viewers
    expect(studio.locator(".rail-item[data-sku=dakgalbi]")).to_have_class(
        re.compile("is-featured"), timeout=SLOW
    )
    # a second deal while one runs: a clear error, the first deal keeps running
    studio.locator("#deal-price-waffle").fill("7900")
    rail.locator(".act-deal").click()
    expect(rail.locator(".deal-hint")).to_have_text(
        "One deal at a time: end the running deal on 춘천식 닭갈비 1kg first."
    )
    expect(show.watch.locator("#featured .deal-price")).to_have_text("₩12,900")
    # the same refusal from the server (another tab of the host), in Korean
    korean = show.open(browser, "studio", locale="ko-KR", fragment=f"#key={show.host_key}")
    expect(korean.locator("#pc-state")).to_be_visible(timeout=SLOW)
    korean.wait_for_function(
        "() => window.livecast && window.livecast.socket.connected && window.livecast.model.deal",
        timeout=SLOW,
    )
    korean.evaluate("() => { window.livecast.model.deal = null; }")  # a stale page
    korean.locator("#deal-price-waffle").fill("7900")
    korean.locator(".rail-item[data-sku=waffle] .act-deal").click()
    expect(korean.locator(".rail-item[data-sku=waffle] .deal-hint")).to_have_text(
        "특가는 한 번에 하나씩: 먼저 춘천식 닭갈비 1kg의 특가를 종료하세요.", timeout=SLOW
    )
    screenshot(korean, "studio-deal-refused-1360-ko")
    # the price's parts read as one sentence to a screen reader
    label = show.watch.locator("#featured .price .visually-hidden")
    expect(label).to_have_text("Deal price ₩12,900, 18% off, was ₩15,900")
    korean.context.close()


def test_a_buy_then_the_end_of_the_show(show):
    studio, watch = show.studio, show.watch
    card = watch.locator("#featured[data-sku=dakgalbi]")
    card.locator(".btn-buy").click()
    expect(watch.locator("#confirm")).to_be_visible()
    watch.wait_for_timeout(600)
    watch.locator("#confirm-submit").click()
    watch.wait_for_url(re.compile(r"/checkout/"), timeout=SLOW)
    watch.go_back()
    expect(watch.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    expect(studio.locator("#f-units")).to_have_text("1", timeout=SLOW)

    studio.locator("#end").click()
    studio.locator("#end-dialog button[value=end]").click()
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "ended", timeout=SLOW)
    # camera off
    assert studio.evaluate("window.livecast.stream()") is None
    assert studio.evaluate("document.querySelector('#preview').srcObject") is None
    expect(studio.locator("#camera-box")).to_be_hidden()
    expect(studio.locator("#golive")).to_be_hidden()
    # the summary, with the replay link
    summary = studio.locator("#summary")
    expect(summary).to_be_visible()
    expect(summary.locator("[data-figure=units] dd")).to_have_text("1", timeout=SLOW)
    expect(summary.locator("[data-figure=revenue] dd")).to_have_text("₩12,900")
    expect(summary.locator("[data-figure=peak] dd")).to_be_visible()  # from the show report
    expect(summary.locator("tr[data-sku=dakgalbi] td").first).to_have_text("1")
    expect(summary.locator("#replay-link")).to_have_attribute(
        "href", f"{show.server.base_url}/replay/{show.id}"
    )
    screenshot(studio, "studio-summary-1360-en")
    # deals are over for the viewers, and the chat and buying are closed
    expect(watch.locator("#ended")).to_be_visible(timeout=SLOW)
    expect(watch.locator("#chat-form")).to_be_hidden()
    expect(watch.locator("#chat-closed")).to_have_text("The show has ended: the chat is closed.")
    expect(watch.locator("#featured")).to_be_hidden()
    assert show.api.show(show.id)["deal"] is None
    screenshot(watch, "watch-ended-390-en")

    # it cannot go live again: WHIP says 409 ended, and a reload shows the summary again
    answer = studio.evaluate(
        """async (key) => {
            const res = await fetch(location.pathname.replace('/studio/', '/whip/'), {
              method: 'POST',
              headers: {Authorization: `Bearer ${key}`, 'Content-Type': 'application/sdp'},
              body: 'v=0\\r\\n' });
            return [res.status, await res.json()];
        }""",
        show.host_key,
    )
    assert answer[0] == 409 and answer[1]["error"] == "ended", answer
    studio.reload()
    expect(studio.locator("#summary")).to_be_visible(timeout=SLOW)
    expect(studio.locator("#golive")).to_be_hidden()
    assert show.status() == "ended"
    assert studio.errors == [] and watch.errors == []


def test_the_replay_sells_what_is_left_unless_switched_off(show, browser):
    viewers = show.api.show(show.id)["viewers"]
    replay = show.open(browser, "replay", phone=True, locale="ko-KR")
    shop = replay.locator("#shop")
    expect(shop).to_be_visible(timeout=SLOW)
    replay.wait_for_function(
        "() => window.livecast && window.livecast.socket()?.connected", timeout=SLOW
    )
    assert show.api.show(show.id)["viewers"] == viewers  # replay buyers are not live viewers
    expect(shop.locator("h2")).to_have_text("이 방송의 상품")
    item = shop.locator(".shop-item[data-sku=waffle]")
    expect(item.locator(".btn-buy")).to_have_text("구매하기", timeout=SLOW)
    expect(item.locator(".price")).to_have_text("₩9,900")  # no deal after the end
    screenshot(replay, "replay-shop-390-ko")
    before = show.sold("waffle")
    item.locator(".btn-buy").click()
    expect(replay.locator("#confirm")).to_be_visible()
    expect(replay.locator("#confirm-name")).to_have_text("수제 와플 10개입")
    replay.wait_for_timeout(600)
    replay.locator("#confirm-submit").click()
    replay.wait_for_url(re.compile(r"/checkout/"), timeout=SLOW)
    assert show.sold("waffle") == before + 1

    # the host switches replay sales off from the summary: the replay only plays
    toggle = show.studio.locator("#replay-sales")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    expect(show.studio.locator("#summary")).to_contain_text("The replay only plays the show.")
    assert show.api.show(show.id)["replay_sales"] is False
    replay.goto(f"{show.server.base_url}/replay/{show.id}")
    expect(replay.locator("#shop-note")).to_have_text(
        "판매자가 다시 보기에서는 판매하지 않습니다.", timeout=SLOW
    )
    expect(replay.locator(".shop-item .btn-buy")).to_have_count(0)
    assert replay.errors == []
