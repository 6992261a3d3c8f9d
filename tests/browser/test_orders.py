"""Orders that complete, in real Chromium against a real server and Redis (nothing mocked).

A host goes live from the studio (fake camera); a shopper on a 390 px phone taps 구매하기,
checks the confirm sheet, confirms, fills in the checkout (bank transfer) and places the
order; the seller's order desk marks it paid, then shipped with a carrier and a tracking
number; the shopper's 내 주문 follows along live.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page, screenshot
from tests.support import bearer

SLOW = 20_000  # ms: the machine is shared
BANK = {"name": "농협은행", "account": "301-1234-5678-91", "holder": "우리동네 협동조합"}
CHECKOUT = {
    "mode": "builtin",
    "payment": ["bank_transfer", "on_delivery"],
    "bank": BANK,
    "shipping_fee": 3000,
    "free_shipping_over": 30000,
}
XSS = "<img src=x onerror=alert(1)>"


class Live:
    """One live show for the module: created with a builtin checkout, live from the studio."""

    def __init__(self, browser, server, api):
        self.server = server
        self.api = api
        created = api.create_show(title="주문 테스트 라이브", checkout=CHECKOUT)
        self.show = created["show"]["id"]
        self.host_key = created["host_key"]
        self.pages = []

    def open(self, browser, path, *, phone=False, locale="ko-KR", fragment=""):
        page = new_page(browser, phone=phone, locale=locale)
        self.pages.append(page)
        page.goto(f"{self.server.base_url}{path}{fragment}")
        return page

    def sold(self, sku: str) -> int:
        return next(p["sold"] for p in self.api.show(self.show)["products"] if p["sku"] == sku)

    def orders(self) -> list[dict]:
        return self.api.call(
            "GET", f"/api/shows/{self.show}/orders", headers=bearer(self.host_key)
        )["orders"]

    def close(self):
        for page in self.pages:
            page.context.close()


@pytest.fixture(scope="module")
def live(browser, server, api):
    st = Live(browser, server, api)
    st.studio = st.open(browser, f"/studio/{st.show}", fragment=f"#key={st.host_key}")
    expect(st.studio.locator("#golive")).to_be_enabled(timeout=SLOW)
    st.studio.locator("#golive").click()
    expect(st.studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
    deadline = time.monotonic() + 20
    while api.show(st.show)["status"] != "live" and time.monotonic() < deadline:
        time.sleep(0.2)
    yield st
    st.close()


def no_horizontal_scroll(page, width=360):
    page.set_viewport_size({"width": width, "height": 740})
    page.wait_for_timeout(150)
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px: {scroll}px wide"
    page.set_viewport_size({"width": 390, "height": 844})


def test_confirm_sheet_reserves_nothing_until_confirmed(live, browser):
    watch = live.open(browser, f"/watch/{live.show}", phone=True)
    expect(watch.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    card = watch.locator("#featured[data-sku=dakgalbi]")
    expect(card.locator(".btn-buy")).to_have_text("구매하기")
    watch.set_viewport_size({"width": 360, "height": 740})
    screenshot(watch, "orders-watch-360")
    watch.set_viewport_size({"width": 390, "height": 844})
    card.locator(".btn-buy").click()

    sheet = watch.locator("#confirm")
    expect(sheet).to_be_visible()
    expect(sheet.locator("#confirm-title")).to_have_text("주문 확인")
    expect(sheet.locator("#confirm-name")).to_have_text("춘천식 닭갈비 1kg")
    expect(sheet.locator(".confirm-product img")).to_have_attribute(
        "src", "/static/img/demo/dakgalbi.svg"
    )
    expect(sheet.locator("#confirm-qty")).to_have_text("1")
    expect(sheet.locator("#confirm-subtotal")).to_have_text("₩15,900")
    expect(sheet.locator("#confirm-shipping")).to_have_text("₩3,000")
    expect(sheet.locator("#confirm-total")).to_have_text("₩18,900")
    expect(sheet.locator(".free-over")).to_have_text("₩30,000 이상 무료배송")
    expect(sheet.locator(".confirm-max")).to_have_text("최대 5개")
    screenshot(watch, "orders-confirm-sheet-390")

    # two units pass the free-shipping line; the stepper stops at max_per_order
    sheet.locator(".qty-plus").click()
    expect(sheet.locator("#confirm-qty")).to_have_text("2")
    expect(sheet.locator("#confirm-shipping")).to_have_text("무료")
    expect(sheet.locator("#confirm-total")).to_have_text("₩31,800")
    for _ in range(6):
        sheet.locator(".qty-plus").click(force=True)
    expect(sheet.locator("#confirm-qty")).to_have_text("5")
    expect(sheet.locator(".qty-plus")).to_be_disabled()
    screenshot(watch, "orders-confirm-sheet-qty-390")

    # closing it reserves nothing
    sheet.get_by_role("button", name="취소").click()
    expect(sheet).to_be_hidden()
    time.sleep(1)
    assert live.sold("dakgalbi") == 0
    assert live.orders() == []
    assert watch.evaluate(f"localStorage.getItem('livecast.pending-buy.{live.show}')") is None
    assert watch.errors == [] and watch.dialogs == []


def test_shopper_checks_out_and_the_seller_ships(live, browser):
    shopper = live.open(browser, f"/watch/{live.show}", phone=True)
    expect(shopper.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    shopper.locator("#featured .btn-buy").click()
    expect(shopper.locator("#confirm")).to_be_visible()
    shopper.locator("#confirm-submit").click()

    # checkout: the token left the address bar for this tab's sessionStorage
    shopper.wait_for_url(re.compile(r"/checkout/[A-Za-z0-9_.:-]+$"), timeout=SLOW)
    order_id = shopper.url.rsplit("/", 1)[1]
    assert "token" not in shopper.url
    expect(shopper.locator("#form")).to_be_visible(timeout=SLOW)
    expect(shopper.locator("#hold")).to_contain_text("남은 시간 1")  # 15:00 → 14:5x
    expect(shopper.locator(".co-product-name")).to_have_text("춘천식 닭갈비 1kg")
    expect(shopper.locator("#sum-subtotal")).to_have_text("₩15,900")
    expect(shopper.locator("#sum-shipping")).to_have_text("₩3,000")
    expect(shopper.locator("#sum-total")).to_have_text("₩18,900")
    expect(shopper.locator("#place")).to_have_text("₩18,900 주문하기")
    assert live.sold("dakgalbi") == 1  # reserved: the live counter counts it
    screenshot(shopper, "orders-checkout-390")
    shopper.set_viewport_size({"width": 1280, "height": 900})
    screenshot(shopper, "orders-checkout-1280")
    shopper.set_viewport_size({"width": 390, "height": 844})
    no_horizontal_scroll(shopper)

    # inline errors, in words, next to the fields
    shopper.locator("#place").click()
    expect(shopper.locator("#err-name")).to_have_text("입력해 주세요.")
    expect(shopper.locator("#form-error")).to_have_text("아래 표시된 항목을 확인해 주세요.")
    shopper.locator("#f-phone").fill("1234")
    shopper.locator("#f-postcode").fill("045")
    shopper.locator("#place").click()
    expect(shopper.locator("#err-phone")).to_contain_text("010-1234-5678")
    expect(shopper.locator("#err-postcode")).to_have_text("우편번호는 숫자 5자리입니다. 예: 04524")
    expect(shopper.locator("#f-phone")).to_have_attribute("aria-invalid", "true")
    screenshot(shopper, "orders-checkout-errors-390")

    # fill it in: the phone number is written the usual way; bank transfer shows the account
    shopper.locator("#f-name").fill("김민수")
    shopper.locator("#f-phone").fill("01012345678")
    shopper.locator("#f-postcode").fill("04524")
    shopper.locator("#f-phone").blur()
    expect(shopper.locator("#f-phone")).to_have_value("010-1234-5678")
    shopper.locator("#f-address").fill("서울 중구 세종대로 110")
    shopper.locator("#f-address2").fill(XSS)
    shopper.locator("#f-memo-choice").select_option("door")
    shopper.locator("label[for=pay-bank_transfer]").click()
    expect(shopper.locator("#bank-box .bank-account")).to_contain_text(BANK["account"])
    expect(shopper.locator("#bank-box .bank-holder")).to_have_text(BANK["holder"])
    expect(shopper.locator("#bank-box .bank-deadline")).to_contain_text("24시간")
    shopper.locator("label[for=pay-on_delivery]").click()
    expect(shopper.locator("#bank-box")).to_be_hidden()
    expect(shopper.locator("#cod-note")).to_be_visible()
    shopper.locator("label[for=pay-bank_transfer]").click()
    screenshot(shopper, "orders-checkout-filled-390")
    shopper.locator("#place").click()

    # the done view: order number, the account and the deadline
    done = shopper.locator("#done")
    expect(done).to_be_visible(timeout=SLOW)
    expect(done.locator("#done-title")).to_have_text("주문이 완료되었습니다")
    expect(done.locator("#done-order-id")).to_have_text(order_id)
    expect(done.locator(".order-pill")).to_have_text("주문 완료")
    expect(done).to_contain_text("아래 계좌로 ₩18,900을 입금해 주세요.")
    expect(done.locator(".bank-account")).to_contain_text(BANK["account"])
    expect(done.locator(".bank-deadline")).to_contain_text("까지 입금")
    expect(done.locator(".done-delivery")).to_contain_text(XSS)  # as text
    assert done.locator("img[src=x]").count() == 0
    screenshot(shopper, "orders-checkout-done-390")
    shopper.set_viewport_size({"width": 1280, "height": 900})
    screenshot(shopper, "orders-checkout-done-1280")
    shopper.set_viewport_size({"width": 390, "height": 844})
    no_horizontal_scroll(shopper)
    order = live.api.call("GET", f"/api/orders/{order_id}")
    assert order["status"] == "placed" and order["payment"] == "bank_transfer"
    assert order["buyer"]["phone"] == "010-1234-5678"
    assert order["buyer"]["memo"] == "문 앞에 놓아 주세요"
    assert order["subtotal"] == 15900 and order["shipping_fee"] == 3000

    # back at the show, 내 주문 lists it
    shopper.locator("a.done-back").click()
    expect(shopper.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    shopper.locator("#my-orders-btn").click()
    mine = shopper.locator(f"#my-orders .my-order[data-order-id='{order_id}']")
    expect(mine.locator(".order-pill")).to_have_text("주문 완료", timeout=SLOW)
    expect(mine.locator(".my-pay-by")).to_contain_text("까지 입금")

    # the studio's order panel and the order desk show it
    expect(live.studio.locator(f"#orders-latest li[data-order-id='{order_id}']")).to_be_visible(
        timeout=SLOW
    )
    live.studio.locator("#orders-card").scroll_into_view_if_needed()
    screenshot(live.studio, "orders-studio-panel")
    desk_link = live.studio.locator("#orders-link").get_attribute("href")
    assert desk_link.endswith(f"/orders/{live.show}#key={live.host_key}")
    desk = live.open(browser, f"/orders/{live.show}", fragment=f"#key={live.host_key}")
    desk.set_viewport_size({"width": 1280, "height": 900})
    card = desk.locator(f".od-order[data-order-id='{order_id}']")
    expect(card).to_be_visible(timeout=SLOW)
    assert "key=" not in desk.url
    expect(card.locator(".od-buyer-name")).to_have_text("김민수")
    expect(card.locator(".od-phone")).to_have_text("010-1234-5678")
    expect(card.locator(".od-address")).to_contain_text("(04524) 서울 중구 세종대로 110")
    expect(card.locator(".od-payment")).to_contain_text("무통장입금")
    expect(desk.locator(".od-tab[data-status=placed] .od-count")).to_have_text("1")
    screenshot(desk, "orders-desk-1280")

    # 입금 확인 → 결제 완료; the shopper sees it live
    card.locator(".act-paid").click()
    expect(card.locator(".order-pill")).to_have_text("결제 완료", timeout=SLOW)
    expect(mine.locator(".order-pill")).to_have_text("결제 완료", timeout=SLOW)
    expect(desk.locator(".od-tab[data-status=paid] .od-count")).to_have_text("1")

    # 발송 처리: a tracking number is checked before anything is sent
    card.locator(".act-ship").click()
    dialog = desk.locator("#ship-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#ship-carrier").select_option("CJ대한통운")
    dialog.locator("#ship-tracking").fill("12")
    dialog.locator("#ship-submit").click()
    expect(dialog.locator("#ship-error")).to_be_visible()
    dialog.locator("#ship-tracking").fill("6012-3456-7890")
    screenshot(desk, "orders-desk-ship-1280")
    dialog.locator("#ship-submit").click()
    expect(dialog).to_be_hidden(timeout=SLOW)
    expect(card.locator(".order-pill")).to_have_text("배송중", timeout=SLOW)
    expect(card.locator(".od-shipping")).to_contain_text("CJ대한통운 601234567890")
    expect(card.locator(".od-actions button")).to_have_count(0)
    screenshot(desk, "orders-desk-shipped-1280")
    desk.set_viewport_size({"width": 390, "height": 844})
    screenshot(desk, "orders-desk-390")
    no_horizontal_scroll(desk)

    # the shopper's 내 주문: 배송중 with the carrier and the tracking number
    expect(mine.locator(".order-pill")).to_have_text("배송중", timeout=SLOW)
    expect(mine.locator(".my-tracking")).to_have_text("CJ대한통운 · 송장번호 601234567890")
    screenshot(shopper, "orders-my-orders-390")
    order = live.api.call("GET", f"/api/orders/{order_id}")
    assert order["status"] == "shipped" and order["carrier"] == "CJ대한통운"
    steps = [step["status"] for step in order["history"]]
    assert steps == ["reserved", "placed", "paid", "shipped"]

    # the CSV comes through the key (fetch → blob → download)
    with desk.expect_download() as download:
        desk.locator("#csv").click()
    csv = download.value.path().read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and "김민수".encode() in csv

    for page in (shopper, desk, live.studio):
        assert page.errors == [] and page.dialogs == [], (page.errors, page.dialogs)


def test_cancel_from_checkout_and_from_the_desk_returns_units(live, browser):
    shopper = live.open(browser, f"/watch/{live.show}", phone=True, locale="en-US")
    expect(shopper.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    before = live.sold("dakgalbi")
    shopper.locator("#featured .btn-buy").click()
    shopper.locator("#confirm-submit").click()
    shopper.wait_for_url(re.compile(r"/checkout/"), timeout=SLOW)
    expect(shopper.locator("#form")).to_be_visible(timeout=SLOW)
    expect(shopper.locator("#place")).to_have_text("Place order · ₩18,900")
    assert live.sold("dakgalbi") == before + 1
    shopper.locator("#cancel-order").click()
    shopper.locator("#cancel-dialog button[value=cancel]").click()
    expect(shopper.locator("#problem-title")).to_have_text("This order was cancelled", timeout=SLOW)
    assert live.sold("dakgalbi") == before

    # a reserved order cancelled by the seller, after a confirmation
    shopper.go_back()
    expect(shopper.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    shopper.locator("#featured .btn-buy").click()
    shopper.locator("#confirm-submit").click()
    shopper.wait_for_url(re.compile(r"/checkout/"), timeout=SLOW)
    order_id = shopper.url.rsplit("/", 1)[1]
    assert live.sold("dakgalbi") == before + 1
    desk = live.open(browser, f"/orders/{live.show}", phone=True, fragment=f"#key={live.host_key}")
    card = desk.locator(f".od-order[data-order-id='{order_id}']")
    expect(card.locator(".order-pill")).to_have_text("예약됨", timeout=SLOW)
    card.locator(".act-cancel").click()
    expect(desk.locator("#cancel-dialog")).to_be_visible()
    desk.locator("#cancel-dialog button[value=cancel]").click()
    expect(card.locator(".order-pill")).to_have_text("취소됨", timeout=SLOW)
    assert live.sold("dakgalbi") == before
    # the checkout page learns it when the buyer comes back to it
    shopper.reload()
    expect(shopper.locator("#problem-title")).to_have_text("This order was cancelled", timeout=SLOW)


def test_a_buy_made_offline_goes_through_once_on_reconnect(live, browser):
    shopper = live.open(browser, f"/watch/{live.show}", phone=True)
    expect(shopper.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    before = len(live.orders())
    shopper.locator("#featured .btn-buy").click()
    shopper.evaluate("window.livecast.socket.disconnect()")
    shopper.locator("#confirm-submit").click()
    expect(shopper.locator("#confirm-submit")).to_have_text("상품을 잡는 중…")
    pending = shopper.evaluate(f"localStorage.getItem('livecast.pending-buy.{live.show}')")
    assert pending and '"order_id"' in pending
    time.sleep(2)
    assert len(live.orders()) == before  # nothing reached the server yet
    shopper.evaluate("window.livecast.socket.connect()")
    shopper.wait_for_url(re.compile(r"/checkout/"), timeout=SLOW)
    order_id = shopper.url.rsplit("/", 1)[1]
    assert order_id in pending
    orders = live.orders()
    assert len(orders) == before + 1 and orders[-1]["order_id"] == order_id
    assert shopper.evaluate(f"localStorage.getItem('livecast.pending-buy.{live.show}')") is None


def test_checkout_without_the_token_and_bad_order_ids(live, browser, server):
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(f"{server.base_url}/checkout/bad!id", timeout=10)
    assert bad.value.code == 404
    with urllib.request.urlopen(f"{server.base_url}/checkout/abcdefgh-1234", timeout=10) as ok:
        assert ok.status == 200
    page = live.open(browser, "/checkout/abcdefgh-1234", phone=True)
    expect(page.locator("#problem-title")).to_have_text("방송 화면에서 열어 주세요", timeout=SLOW)
    page = live.open(browser, "/checkout/abcdefgh-1234", phone=True, fragment="#token=nope")
    expect(page.locator("#problem")).to_be_visible(timeout=SLOW)
    assert "token" not in page.url
    no_horizontal_scroll(page)


def test_shop_checkout_sends_the_buyer_to_the_shop(browser, server, api, pages):
    shop = "https://shop.example/live-cart?order={order_id}&sku={sku}&qty={qty}&price={price}&sig={sig}"
    created = api.create_show(title="쇼핑몰 주문 라이브", checkout={"mode": "shop", "url": shop})
    show, host_key = created["show"]["id"], created["host_key"]
    studio = pages()
    studio.goto(f"{server.base_url}/studio/{show}#key={host_key}")
    expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
    studio.locator("#golive").click()
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)

    shopper = pages(phone=True, locale="ko-KR")
    shopper.goto(f"{server.base_url}/watch/{show}")
    expect(shopper.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    shopper.locator("#featured .btn-buy").click()
    # the shop decides the shipping: the sheet says so instead of guessing
    expect(shopper.locator("#confirm-shipping")).to_have_text("배송비는 주문서에서 확인")
    expect(shopper.locator("#confirm-total")).to_have_text("₩15,900")
    shopper.locator("#confirm-submit").click()
    shopper.wait_for_url(re.compile(r"/checkout/"), timeout=SLOW)
    order_id = shopper.url.rsplit("/", 1)[1]
    go = shopper.locator("#shop-go")
    expect(go).to_have_text("쇼핑몰로 이동", timeout=SLOW)
    # the label is there from the start; the link once the order is loaded
    expect(go).to_have_attribute("href", re.compile(r"^https://shop\.example/live-cart\?order="))
    href = go.get_attribute("href")
    assert order_id in href and "sku=dakgalbi" in href and re.search(r"sig=[0-9a-f]{64}", href)
    expect(shopper.locator("#form")).to_be_hidden()
    expect(shopper.locator("#hold")).to_be_visible()
    screenshot(shopper, "orders-checkout-shop-390")
    assert shopper.errors == [] and shopper.dialogs == []
