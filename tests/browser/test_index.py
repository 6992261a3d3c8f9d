"""The index page and the shared i18n/money modules in real Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_index_lists_shows_in_korean_with_won_prices(server, api, pages):
    created = api.create_show(title="<img src=x onerror=alert(1)> 특가")
    page = pages(locale="ko-KR")
    page.goto(server.base_url + "/")
    card = page.locator(".show-card", has_text="특가").first
    expect(card).to_contain_text("<img src=x onerror=alert(1)> 특가")
    expect(card).to_contain_text("₩9,900")
    expect(page.locator("#upcoming-h")).to_have_text("방송 예정")
    expect(card.locator("a.name")).to_have_attribute("href", f"/watch/{created['show']['id']}")
    screenshot(page, "index-ko")
    page.get_by_role("button", name="영어로 보기").click()
    expect(page.locator("#upcoming-h")).to_have_text("Upcoming")
    assert page.dialogs == [] and page.errors == []


def test_money_formats_in_the_show_currency(server, pages):
    page = pages(locale="en-US")
    page.goto(server.base_url + "/")
    figures = page.evaluate(
        """async () => {
          const m = await import('/static/js/lib/money.js');
          const i = await import('/static/js/lib/i18n.js');
          const en = [m.formatMoney(12900, 'KRW'), m.formatMoney(1250, 'USD')];
          i.setLang('ko');
          return [...en, m.formatMoney(12900, 'KRW'), i.t('watch.buy')];
        }"""
    )
    assert figures == ["₩12,900", "$12.50", "₩12,900", "구매하기"]
