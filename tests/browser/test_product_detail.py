"""The product detail sheet on the watch page, in real Chromium against a real server.

A seller's show has a product with two uploaded photos (real PNGs through POST /api/uploads),
a list price above its price, a detail page and a 상품정보제공고시 table; a host goes live
from the studio (fake camera). A shopper on a 390 px phone opens the sheet: the photo is
decoded, a swipe shows the second, the list price is struck through with the discount, the
notice rows come in the seller's order, the seller's business line is there, and the video
keeps playing in view the whole time. Then a buy, the end of the show and the studio's
report; the replay page shows the seller's details too.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import new_page, screenshot
from tests.support import ADMIN

SLOW = 30_000
FRAMES = (
    "async () => { if (!window.livecast) return false;"
    " const s = await window.livecast.player.stats();"
    " return s && s.framesDecoded > 0 && s.framesDecoded; }"
)
NAME = "청송 꿀사과 부사 5kg 선물세트 (14~16과) 산지 직송, 받는 날 수확해서 바로 보내 드립니다"
NOTICE = [
    ["품명 및 모델명", "청송 부사 사과 5kg"],
    ["원산지", "국내산 (경북 청송)"],
    ["제조연월일", "2026년 10월 수확"],
    ["소비자상담 관련 전화번호", "054-123-4567"],
]
DETAIL = (
    "해발 250m 과수원에서 자란 부사입니다.\n일교차가 커서 당도가 높아요.\n\n"
    "받으신 날부터 냉장 보관하면 2주 동안 아삭합니다.\n\n"
    "<b>선물 포장</b>은 무료입니다."
)


def png(color, size=(900, 900), mark=(255, 255, 255)) -> bytes:
    image = Image.new("RGB", size, color)
    for x in range(size[0] // 3, 2 * size[0] // 3):
        for y in range(size[1] // 3, 2 * size[1] // 3):
            image.putpixel((x, y), mark)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload(base_url: str, data: bytes, name: str) -> str:
    boundary = f"----livecast{uuid.uuid4().hex}"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    req = urllib.request.Request(base_url + "/api/uploads", data=body, method="POST")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    for key, value in ADMIN.items():
        req.add_header(key, value)
    with urllib.request.urlopen(req, timeout=20) as res:
        assert res.status == 201
        return json.loads(res.read())["url"]


class Live:
    def __init__(self, browser, server, api):
        self.server, self.api = server, api
        suffix = uuid.uuid4().hex[:6]
        self.seller = api.call(
            "POST",
            "/api/sellers",
            {
                "id": f"orchard-{suffix}",
                "name": "햇살농원",
                "business": {
                    "registration_no": "220-81-62517",
                    "mail_order_no": "제2026-경북청송-0042호",
                    "address": "경북 청송군 청송읍 사과로 1",
                    "phone": "054-123-4567",
                },
            },
        )["seller"]["id"]
        base = server.base_url
        self.photos = [
            upload(base, png((196, 30, 58)), "front.png"),
            upload(base, png((30, 120, 60)), "box.png"),
        ]
        self.detail_photo = upload(base, png((240, 200, 40), size=(900, 500)), "orchard.png")
        created = api.call(
            "POST",
            "/api/shows",
            {
                "title": "청송 사과 산지 직송 라이브",
                "seller": "햇살농원",
                "seller_id": self.seller,
                "products": [
                    {
                        "sku": "apple",
                        "name": NAME,
                        "price": 39000,
                        "list_price": 52000,
                        "stock": 40,
                        "max_per_order": 3,
                        "images": self.photos,
                        "description": "당도 14브릭스 이상 선별",
                        "detail": {"text": DETAIL, "images": [self.detail_photo]},
                        "notice": NOTICE,
                    },
                    {"sku": "pear", "name": "신고배 7.5kg", "price": 45000, "stock": 10},
                ],
            },
        )
        self.show = created["show"]["id"]
        self.host_key = created["host_key"]
        self.pages = []

    def open(self, browser, path, *, phone=False, locale="ko-KR", fragment=""):
        page = new_page(browser, phone=phone, locale=locale)
        self.pages.append(page)
        page.goto(f"{self.server.base_url}{path}{fragment}")
        return page


@pytest.fixture(scope="module")
def live(browser, server, api):
    st = Live(browser, server, api)
    st.studio = st.open(
        browser, f"/studio/{st.show}", locale="en-US", fragment=f"#key={st.host_key}"
    )
    expect(st.studio.locator("#golive")).to_be_enabled(timeout=SLOW)
    st.studio.locator("#golive").click()
    expect(st.studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
    deadline = time.monotonic() + 20
    while api.show(st.show)["status"] != "live" and time.monotonic() < deadline:
        time.sleep(0.2)
    yield st
    for page in st.pages:
        page.context.close()


def video_playing(page) -> None:
    page.wait_for_function(FRAMES, timeout=SLOW)
    page.wait_for_function(
        "() => { const v = document.querySelector('#video');"
        " return !v.paused && v.readyState >= 2 && v.videoWidth > 0; }",
        timeout=SLOW,
    )


def frames(page) -> int:
    return page.evaluate("async () => (await window.livecast.player.stats())?.framesDecoded || 0")


def video_in_view(page) -> dict:
    """How much of the video is on screen and not under the sheet (px), and whether it plays."""
    return page.evaluate(
        """() => {
            const v = document.querySelector('#video').getBoundingClientRect();
            const s = document.querySelector('#sheet').getBoundingClientRect();
            const top = Math.max(v.top, 0);
            // the part of the video above the sheet, or beside it
            const above = Math.max(0, Math.min(v.bottom, s.top) - top);
            const beside = Math.max(0, Math.min(v.right, s.left) - Math.max(v.left, 0));
            return {above, beside, width: v.width, height: v.height,
                    paused: document.querySelector('#video').paused};
        }"""
    )


def swipe(page, box) -> None:
    """A finger swipe from right to left across the box (real touch events through CDP)."""
    cdp = page.context.new_cdp_session(page)
    y = box["y"] + box["height"] / 2
    start, end = box["x"] + box["width"] * 0.85, box["x"] + box["width"] * 0.15
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start, "y": y}]}
    )
    steps = 12
    for i in range(1, steps + 1):
        x = start + (end - start) * i / steps
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_shopper_opens_the_detail_sheet_on_a_phone(live, browser):
    watch = live.open(browser, f"/watch/{live.show}", phone=True)
    expect(watch.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    video_playing(watch)
    card = watch.locator("#featured[data-sku=apple]")
    # the card already says the price is below the list price
    expect(card.locator(".discount")).to_have_text("25%")
    expect(card.locator(".list-price")).to_have_text("₩52,000")
    card.locator(".open").click()

    sheet = watch.locator("#sheet")
    expect(sheet).to_be_visible()
    expect(sheet).to_have_attribute("aria-labelledby", "sheet-name")
    name = sheet.locator("#sheet-name")
    expect(name).to_contain_text("청송 꿀사과 부사 5kg")
    # two lines, then cut; the whole name is still the heading's text (and its title)
    full = watch.evaluate("document.querySelector('#sheet-name').textContent")
    assert full.endswith("바로 보내 드립니다")
    lines = watch.evaluate(
        "(() => { const e = document.querySelector('#sheet-name');"
        " return Math.round(e.clientHeight / parseFloat(getComputedStyle(e).lineHeight)); })()"
    )
    assert lines == 2, lines
    assert watch.evaluate(
        "(() => { const e = document.querySelector('#sheet-name');"
        " return e.scrollHeight > e.clientHeight; })()"
    )

    # the first photo is decoded; the second waits (lazy) until a swipe brings it
    first = sheet.locator(".gallery .slide img").nth(0)
    expect(first).to_have_attribute("src", live.photos[0])
    watch.wait_for_function(
        "() => { const i = document.querySelector('#sheet .slide img');"
        " return i.complete && i.naturalWidth > 0; }",
        timeout=SLOW,
    )
    expect(sheet.locator(".slide-count")).to_have_text("1 / 2")
    expect(sheet.locator(".dot").nth(0)).to_have_attribute("aria-current", "true")
    box = sheet.locator(".gallery .slides").bounding_box()
    assert box["width"] >= 380, box
    swipe(watch, box)
    expect(sheet.locator(".slide-count")).to_have_text("2 / 2", timeout=SLOW)
    expect(sheet.locator(".dot").nth(1)).to_have_attribute("aria-current", "true")
    watch.wait_for_function(
        "() => { const i = document.querySelectorAll('#sheet .slide img')[1];"
        " return i.complete && i.naturalWidth > 0; }",
        timeout=SLOW,
    )
    second = sheet.locator(".gallery .slide img").nth(1)
    expect(second).to_have_attribute("src", live.photos[1])
    # the swipe settles on the second photo, whole on the screen (scroll-snap)
    watch.wait_for_function(
        "() => { const r = document.querySelectorAll('#sheet .slide img')[1]"
        ".getBoundingClientRect(); return Math.abs(r.left) < 1 && r.right <= innerWidth + 1; }",
        timeout=SLOW,
    )
    # a dot goes back
    sheet.locator(".dot").nth(0).click()
    expect(sheet.locator(".slide-count")).to_have_text("1 / 2", timeout=SLOW)

    # price: 39,000 with 52,000 struck through and 25% off, said as one sentence
    price = sheet.locator(".detail-head .price")
    expect(price.locator(".sale-price")).to_have_text("₩39,000")
    expect(price.locator("s.list-price")).to_have_text("₩52,000")
    expect(price.locator(".discount")).to_have_text("25%")
    expect(price.locator(".visually-hidden")).to_have_text(
        "판매가 ₩39,000, 정가 ₩52,000에서 25% 할인"
    )
    assert (
        price.locator("s.list-price").evaluate("(s) => getComputedStyle(s).textDecorationLine")
        == "line-through"
    )

    # the detail page: paragraphs as text, then its photo
    paragraphs = sheet.locator(".detail-text p")
    expect(paragraphs).to_have_count(3)
    expect(paragraphs.nth(0)).to_have_text(
        "해발 250m 과수원에서 자란 부사입니다.\n일교차가 커서 당도가 높아요."
    )
    expect(paragraphs.nth(2)).to_have_text("<b>선물 포장</b>은 무료입니다.")
    assert sheet.locator(".detail-text b").count() == 0
    detail_img = sheet.locator(".detail-photos img")
    expect(detail_img).to_have_attribute("src", live.detail_photo)
    expect(detail_img).to_have_attribute("loading", "lazy")

    # 상품정보제공고시 in the seller's order
    rows = sheet.locator(".notice-table tr")
    expect(rows).to_have_count(len(NOTICE))
    for i, (label, value) in enumerate(NOTICE):
        expect(rows.nth(i).locator("th")).to_have_text(label)
        expect(rows.nth(i).locator("td")).to_have_text(value)

    # the seller's business details
    seller = sheet.locator(".seller-info")
    expect(seller.locator("h3")).to_have_text("판매자 정보")
    expect(seller.locator(".business-line")).to_have_text(
        "햇살농원 · 사업자등록번호 220-81-62517 · 통신판매업 신고번호 제2026-경북청송-0042호"
        " · 경북 청송군 청송읍 사과로 1 · 전화 054-123-4567"
    )

    # the video plays on, in view above the sheet
    shown = video_in_view(watch)
    assert not shown["paused"], shown
    assert shown["above"] >= 200, shown
    before = frames(watch)
    watch.wait_for_timeout(1500)
    assert frames(watch) > before, "the video stopped while the sheet was open"
    assert not watch.evaluate("document.querySelector('#video').paused")
    screenshot(watch, "detail-sheet-390")
    sheet.locator(".detail-notice").scroll_into_view_if_needed()
    screenshot(watch, "detail-sheet-390-notice")

    # no sideways scroll at 360 px, with the sheet open
    watch.set_viewport_size({"width": 360, "height": 740})
    watch.wait_for_timeout(250)
    widths = watch.evaluate(
        "[document.documentElement.scrollWidth, document.querySelector('#sheet').scrollWidth,"
        " document.querySelector('#sheet').clientWidth]"
    )
    assert widths[0] <= 360 and widths[1] <= widths[2], widths
    expect(sheet.locator(".slide-count")).to_have_text("1 / 2")
    watch.set_viewport_size({"width": 390, "height": 844})

    # Esc closes it and focus goes back to what opened it
    watch.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    assert watch.evaluate("document.activeElement.classList.contains('open')")
    assert not watch.evaluate("document.querySelector('#video').paused")

    # the product list: the other product's sheet, then Buy opens the confirm sheet
    watch.locator("#products-btn").click()
    expect(sheet).to_be_visible()
    sheet.locator(".others button", has_text="신고배").click()
    expect(sheet.locator("#sheet-name")).to_have_text("신고배 7.5kg")
    expect(sheet.locator(".slide-count")).to_have_count(0)
    assert watch.evaluate("document.activeElement.id") == "sheet-name"
    sheet.locator(".others button").first.click()
    expect(sheet.locator(".detail")).to_have_attribute("data-sku", "apple")
    sheet.locator(".btn-buy").click()
    expect(watch.locator("#confirm")).to_be_visible()
    expect(sheet).to_be_hidden()
    expect(watch.locator("#confirm-name")).to_contain_text("청송 꿀사과")
    watch.locator("#confirm .sheet-close").click()
    assert watch.errors == [] and watch.dialogs == []


def test_the_sheet_sits_beside_the_video_on_a_wide_screen(live, browser):
    watch = live.open(browser, f"/watch/{live.show}", locale="en-US")
    watch.set_viewport_size({"width": 1280, "height": 800})
    expect(watch.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    video_playing(watch)
    watch.locator("#featured .open").click()
    sheet = watch.locator("#sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator(".notice-table tr")).to_have_count(len(NOTICE))
    expect(sheet.locator(".seller-info h3")).to_have_text("Seller information")
    expect(sheet.locator(".detail-head .price .visually-hidden")).to_have_text(
        "₩39,000, 25% off the list price ₩52,000"
    )
    watch.wait_for_function(
        "() => { const i = document.querySelector('#sheet .slide img');"
        " return i.complete && i.naturalWidth > 0; }",
        timeout=SLOW,
    )
    watch.wait_for_timeout(400)  # the stage's slide to the left
    shown = video_in_view(watch)
    assert not shown["paused"], shown
    assert shown["beside"] >= shown["width"] - 1, shown  # the whole video is beside the sheet
    screenshot(watch, "detail-sheet-1280")
    sheet.locator(".sheet-close").click()
    expect(sheet).to_be_hidden()
    assert watch.errors == []


def test_a_buy_then_the_report_and_the_replay_footer(live, browser):
    watch = live.open(browser, f"/watch/{live.show}", phone=True)
    expect(watch.locator("#status")).to_have_text("LIVE", timeout=SLOW)
    watch.locator("#featured .open").click()
    watch.locator("#sheet .btn-buy").click()
    expect(watch.locator("#confirm")).to_be_visible()
    watch.wait_for_timeout(600)
    watch.locator("#confirm-submit").click()
    watch.wait_for_url("**/checkout/**", timeout=SLOW)

    studio = live.studio
    expect(studio.locator("#f-units")).to_have_text("1", timeout=SLOW)
    studio.locator("#end").click()
    studio.locator("#end-dialog button[value=end]").click()
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "ended", timeout=SLOW)
    summary = studio.locator("#summary")
    expect(summary).to_be_visible(timeout=SLOW)
    expect(summary.locator("[data-figure=units] dd")).to_have_text("1", timeout=SLOW)
    expect(summary.locator("[data-figure=revenue] dd")).to_have_text("₩39,000")
    expect(summary.locator("[data-figure=peak] dd")).to_be_visible()
    expect(summary.locator("tr[data-sku=apple] td").first).to_have_text("1")
    screenshot(studio, "detail-studio-report")

    replay = live.open(browser, f"/replay/{live.show}", phone=True)
    footer = replay.locator(".sellers-footer")
    expect(footer.locator("h2")).to_have_text("판매자 정보", timeout=SLOW)
    expect(footer.locator("li")).to_contain_text("통신판매업 신고번호 제2026-경북청송-0042호")
    expect(footer.locator("li")).to_contain_text("220-81-62517")
    replay.locator(".sellers-footer").scroll_into_view_if_needed()
    screenshot(replay, "detail-replay-footer-390")
    assert replay.errors == [] and studio.errors == []
