"""The seller console, a sale event's page and the index in real Chromium.

A seller opens /console with a seller key, creates a show with two products, uploads a
photo, writes a detail page and joins a sale event; the event page lists the show at the
right local time for a viewer in another time zone. Screenshots at 390 and 1280 px.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, screenshot
from tests.support import ADMIN_TOKEN

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
WIDE = {"viewport": {"width": 1280, "height": 900}}


def clock(moment: datetime) -> str:
    """en-US short time as Intl writes it: 5:00 AM."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def shots(page, name: str) -> None:
    """The viewport (as the other browser tests) and the whole page, for a look after."""
    page.evaluate("document.getElementById('toasts')?.remove()")
    page.wait_for_timeout(300)
    screenshot(page, name)
    page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ")).strip()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "apple.png"
    image = Image.new("RGB", (900, 600), (196, 30, 58))
    for x in range(300, 600):
        for y in range(150, 450):
            if (x - 450) ** 2 + (y - 300) ** 2 < 140**2:
                image.putpixel((x, y), (230, 60, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def seller(api):
    suffix = uuid.uuid4().hex[:6]
    made = api.call(
        "POST",
        "/api/sellers",
        {
            "id": f"farm-{suffix}",
            "name": "햇살농원",
            "business": {
                "registration_no": "220-81-62517",
                "mail_order_no": "제2026-경북청송-0042호",
                "address": "경북 청송군 청송읍 사과로 1",
                "phone": "054-123-4567",
            },
        },
    )
    now = datetime.now(UTC)
    event = api.call(
        "POST",
        "/api/events",
        {
            "id": f"chuseok-{suffix}",
            "title": "추석 햇과일 기획전",
            "subtitle": "산지에서 바로 보내는 선물세트",
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=10)).isoformat(),
        },
    )
    return {"id": made["seller"]["id"], "key": made["key"], "event": event}


@pytest.fixture
def pages(browser):
    """Pages in their own contexts at a given size, locale and time zone (closed after)."""
    made = []

    def make(**options):
        context = browser.new_context(**options)
        made.append(context)
        page = context.new_page()
        page.errors, page.csp = [], []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("console", lambda m: "Content Security" in m.text and page.csp.append(m.text))
        return page

    yield make
    for context in made:
        context.close()


def console_page(pages, **kwargs):
    return pages(locale="ko-KR", timezone_id="Asia/Seoul", **kwargs)


def test_a_seller_prepares_a_show_in_the_console(server, api, pages, seller, photo):
    start = (datetime.now(SEOUL) + timedelta(days=2)).replace(hour=19, minute=0, second=0)
    start_input = start.strftime("%Y-%m-%dT%H:%M")
    page = console_page(pages, **WIDE)
    page.goto(f"{server.base_url}/console#key={seller['key']}")
    expect(page.locator(".hello h1")).to_contain_text("햇살농원님")
    assert "key=" not in page.url  # the key left the address bar at once
    # a new show in the event, starting at 19:00 Seoul time
    page.get_by_role("button", name="새 방송 만들기").click()
    page.get_by_label("방송 제목").fill("청송 햇사과 라이브")
    page.get_by_label("시작 시각 (한국 시간)").fill(start_input)
    page.get_by_label("기획전").select_option(seller["event"]["id"])
    page.get_by_role("button", name="방송 만들기", exact=True).click()
    expect(page.locator(".editor-title")).to_have_text("청송 햇사과 라이브")
    expect(page.locator(".notice-once").first).to_be_visible()
    studio = page.locator("[data-link=host] input").input_value()
    assert re.search(r"/studio/[a-z0-9]+#key=.{20,}", studio), studio
    show_id = re.search(r"/studio/([a-z0-9]+)#", studio).group(1)
    page.locator("[data-link=host] button", has_text="QR 코드").click()
    expect(page.locator("[data-link=host] img.qr")).to_be_visible()
    # product 1: photo, list price, detail text, notice table
    page.get_by_role("button", name="상품 추가").click()
    form = page.locator("[data-role=product-form]")
    form.get_by_label("상품명").fill("청송 햇사과 5kg (14~16과) 선물세트")
    form.get_by_label("판매가").fill("39000")
    form.get_by_label("정가 (선택)").fill("52000")
    expect(form).to_contain_text("25% 할인으로 보입니다.")
    form.get_by_label("재고 (선택)").fill("30")
    form.locator(".photos").first.locator("input[data-role=pick]").set_input_files(str(photo))
    expect(form.locator(".photo-grid").first.locator("img")).to_have_count(1)
    form.get_by_label("상세 설명").fill(
        "일교차가 큰 청송에서 자란 햇사과입니다.\n\n받으신 날 바로 냉장 보관하세요."
    )
    form.get_by_role("button", name="기본 항목 넣기").click()
    origin = form.locator(".notice-table tbody tr").nth(3)  # the template's 원산지 row
    expect(origin.locator("input").first).to_have_value("원산지")
    origin.locator("input").nth(1).fill("국내산(경북 청송)")
    screenshot(page, "console-product-1280")
    form.get_by_role("button", name="상품 저장").click()
    expect(page.locator(".product-row")).to_have_count(1)
    # product 2: just a name and a price
    page.get_by_role("button", name="상품 추가").click()
    form.get_by_label("상품명").fill("사과즙 30포")
    form.get_by_label("판매가").fill("19,900")
    form.get_by_role("button", name="상품 저장").click()
    expect(page.locator(".product-row")).to_have_count(2)
    # a bad input says what to fix, nothing stored
    page.get_by_role("button", name="상품 추가").click()
    form.get_by_label("상품명").fill("\u202e가짜 상품")
    form.get_by_label("판매가").fill("1000")
    form.get_by_role("button", name="상품 저장").click()
    expect(form.locator(".error")).to_contain_text("글자 방향")
    form.get_by_role("button", name="취소").click()

    show = api.show(show_id)
    assert show["seller_id"] == seller["id"] and show["event"] == seller["event"]["id"]
    assert show["starts_at"] == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    apple, juice = show["products"]
    assert re.fullmatch(r"/media/[0-9a-f]{32}\.webp", apple["image"])
    assert apple["list_price"] == 52000 and apple["remaining"] == 30
    assert apple["detail"]["text"].startswith("일교차가 큰 청송")
    assert apple["notice"] == {"원산지": "국내산(경북 청송)"}
    assert juice["price"] == 19900 and juice["images"] == []
    assert show["business"]["registration_no"] == "220-81-62517"
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "console-1280")
    assert page.errors == [] and page.csp == []

    # the same console on a phone
    phone = console_page(pages, **PHONE)
    phone.goto(f"{server.base_url}/console#key={seller['key']}")
    phone.locator(f"[data-show='{show_id}']").click()
    expect(phone.locator(".editor-title")).to_have_text("청송 햇사과 라이브")
    expect(phone.locator("[data-link=host] .muted")).to_contain_text("키가 빠진 링크")
    expect(phone.locator("input[data-role=camera]").first).to_have_attribute(
        "capture", "environment"
    )
    phone.wait_for_timeout(1000)  # the smooth scroll to the editor
    phone.evaluate("window.scrollTo(0, 0)")
    shots(phone, "console-390")
    assert phone.errors == [] and phone.csp == []

    # the event page, for a shopper in New York: 19:00 in Seoul is early morning there
    local = start.astimezone(NEW_YORK)
    for name, options in (("1280", WIDE), ("390", PHONE)):
        viewer = pages(locale="en-US", timezone_id="America/New_York", **options)
        viewer.goto(f"{server.base_url}/events/{seller['event']['id']}")
        expect(viewer.locator("#event-title")).to_have_text("추석 햇과일 기획전")
        slot = viewer.locator(f".slot[data-show='{show_id}']")
        expect(slot).to_be_visible()
        assert normal(slot.locator(".slot-time").inner_text()) == clock(local)
        card = viewer.locator(f"#upcoming .show-card[data-show='{show_id}']")
        expect(card.locator("[data-countdown]")).to_contain_text("Starts in")
        expect(card.get_by_role("button", name="Remind me of 청송 햇사과 라이브")).to_be_visible()
        expect(viewer.locator(".sellers-footer")).to_contain_text("220-81-62517")
        shots(viewer, f"event-{name}")
        assert viewer.errors == [] and viewer.csp == []

    # the index: the running event first, search by product name, filter by seller
    for name, options in (("1280", WIDE), ("390", PHONE)):
        home = pages(locale="ko-KR", timezone_id="Asia/Seoul", **options)
        home.goto(server.base_url + "/")
        expect(home.locator(f".event-card[data-event='{seller['event']['id']}']")).to_be_visible()
        home.get_by_label("방송이나 상품 찾기").fill("사과즙")
        card = home.locator(f".show-card[data-show='{show_id}']")
        expect(card).to_contain_text("상품: 사과즙 30포")
        home.get_by_label("판매자", exact=True).select_option(seller["id"])
        expect(home.locator("#upcoming .show-card")).to_have_count(1)
        home.get_by_label("방송이나 상품 찾기").fill("")
        shots(home, f"index-{name}")
        assert home.errors == [] and home.csp == []


def test_the_console_refuses_a_wrong_key_and_explains(server, pages):
    page = console_page(pages, **PHONE)
    page.goto(f"{server.base_url}/console")
    page.get_by_label("판매자 키").fill("not-a-real-key-0123456789")
    page.get_by_role("button", name="들어가기").click()
    expect(page.locator(".key-form .error")).to_contain_text("키가 맞지 않습니다")
    assert page.errors == []


REPORT = {
    "show": "demo",
    "title": "청송 햇사과 라이브",
    "status": "ended",
    "currency": "KRW",
    "peak_viewers": 182,
    "unique_viewers": 240,
    "joins": 310,
    "avg_watch_seconds": 754.2,
    "buyers": 36,
    "conversion": 0.15,
    "units": 58,
    "revenue": 2032000,
    "orders": {"placed": 30, "paid": 21},
    "by_product": [
        {"sku": "apple", "name": "청송 햇사과 5kg", "units": 40, "paid": 30, "revenue": 1560000},
        {"sku": "juice", "name": "사과즙 30포", "units": 18, "paid": 10, "revenue": 472000},
    ],
    "replay_url": "/replay/demo",
}


def test_the_report_view_draws_figures_and_charts(server, pages):
    minutes = [
        {
            "t": f"2026-12-02T10:{m:02d}:00Z",
            "viewers": min(182, 20 + m * 9),
            "joins": 5,
            "hearts": (m * 7) % 40,
            "chat": (m * 5) % 25,
            "units": m % 4,
            "orders": m % 3,
            "revenue": (m % 4) * 39000,
            "placed": 1,
            "paid": 0,
        }
        for m in range(30)
    ]
    best = sorted(minutes, key=lambda row: -row["revenue"])[:3]
    report = {**REPORT, "minutes": minutes, "best_minutes": best}
    for name, options in (("1280", WIDE), ("390", PHONE)):
        page = console_page(pages, **options)
        page.goto(f"{server.base_url}/console")
        page.evaluate(
            """async (report) => {
              await import('/static/js/lib/strings-console.js');
              const { reportView } = await import('/static/js/lib/report-view.js');
              const box = document.createElement('section');
              box.className = 'card';
              box.id = 'report-test';
              box.append(reportView(report, { onCsv: () => {} }));
              document.querySelector('#app').replaceChildren(box);
            }""",
            report,
        )
        expect(page.locator("#report-test .figure").first).to_contain_text("182")
        expect(page.locator("#report-test")).to_contain_text("₩2,032,000")
        expect(page.locator("#report-test")).to_contain_text("15.0%")
        chart = page.locator("canvas[data-field=revenue]")
        expect(chart).to_have_attribute("data-series", ",".join(str(m["revenue"]) for m in minutes))
        shots(page, f"console-report-{name}")
        assert page.errors == []


def test_the_admin_adds_a_seller_and_a_sale_event(server, pages):
    suffix = uuid.uuid4().hex[:6]
    page = console_page(pages, **WIDE)
    page.goto(f"{server.base_url}/console#key={ADMIN_TOKEN}")
    expect(page.locator(".hello h1")).to_have_text("관리자 화면")
    panel = page.locator("#sellers")
    panel.get_by_label("상호 (가게 이름)").fill("바다마을 수산")
    panel.get_by_label("판매자 ID (선택)").fill(f"sea-{suffix}")
    panel.get_by_label("사업자등록번호").fill("123-45-67890")  # a wrong check digit
    panel.get_by_role("button", name="판매자 등록하고 키 받기").click()
    expect(panel.locator(".error")).to_contain_text("사업자등록번호가 맞지 않습니다")
    panel.get_by_label("사업자등록번호").fill("124-81-00998")
    panel.get_by_label("전화번호").fill("1588 1234")
    panel.get_by_role("button", name="판매자 등록하고 키 받기").click()
    once = panel.locator(".key-once")
    expect(once).to_contain_text("바다마을 수산")
    expect(once).to_contain_text(f"{server.base_url}/console#key=")
    expect(panel.locator(".seller-row", has_text="바다마을 수산")).to_contain_text("1588-1234")
    events = page.locator("#events")
    events.get_by_label("기획전 이름").fill("설 선물 기획전")
    events.get_by_label("기획전 ID (선택)").fill(f"seol-{suffix}")
    events.get_by_label("시작 (한국 시간)").fill("2027-01-20T00:00")
    events.get_by_label("끝 (한국 시간)").fill("2027-01-19T00:00")
    events.get_by_role("button", name="기획전 만들기").click()
    expect(events.locator(".error")).to_contain_text("끝 시각이 시작 시각보다 뒤여야")
    events.get_by_label("끝 (한국 시간)").fill("2027-01-31T00:00")
    events.get_by_role("button", name="기획전 만들기").click()
    expect(page.locator("#events .event-row", has_text="설 선물 기획전")).to_be_visible()
    expect(page.locator("#sellers .key-once")).to_contain_text("바다마을 수산")  # still shown
    page.locator("#sellers").scroll_into_view_if_needed()
    shots(page, "console-admin-1280")
    assert page.errors == [] and page.csp == []
