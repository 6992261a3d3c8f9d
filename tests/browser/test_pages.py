"""Every page at 390 px and 1280 px in Korean and English: a screenshot set in
test-artifacts/pages/, no sideways scrolling at 360 px, text contrast of at least 4.5:1,
labelled counts, and no 404 for a favicon or any other file a page asks for.

One show goes live (a deal, chat, a buy), is looked at, then ends and is looked at again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, new_page

SLOW = 30_000
WIDTHS = {390: {"width": 390, "height": 844}, 1280: {"width": 1280, "height": 860}}
LANGS = {"en": "en-US", "ko": "ko-KR"}

# the contrast of every visible text against what is really behind it (backgrounds with
# alpha composed up the tree, opacity applied); text over the video is left out (its
# background is the picture), and so is text whose background is an image or gradient
CONTRAST = """() => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const lum = ({ r, g, b }) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  function backdrop(el) {
    const layers = [];
    let opacity = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const cs = getComputedStyle(n);
      opacity *= Number(cs.opacity);
      if (cs.backgroundImage !== 'none') return null;
      if (n.classList.contains('stage')) return null; // over the video
      const c = parse(cs.backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) bg = over(layer, bg);
    return { bg, opacity };
  }
  const bad = [];
  const seen = new Set();
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'OPTION', 'VIDEO', 'CANVAS', 'svg'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const placeholder = el.placeholder && !el.value;
    if (!own && !placeholder) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || el.closest('[hidden]')) continue;
    if (el.closest('dialog:not([open])')) continue;
    const found = backdrop(el);
    if (!found) continue;
    const fg = parse(placeholder ? getComputedStyle(el, '::placeholder').color : cs.color);
    const text = over({ ...fg, a: fg.a * found.opacity }, found.bg);
    const value = ratio(text, found.bg);
    if (value < 4.5) {
      const label = (placeholder ? el.placeholder : el.textContent).trim().slice(0, 40);
      const key = `${el.tagName}.${el.className}|${label}`;
      if (!seen.has(key)) {
        seen.add(key);
        const where = `${el.tagName.toLowerCase()}.${String(el.className).replace(/ /g, '.')}`;
        bad.push(`${value.toFixed(2)} ${where} "${label}"`);
      }
    }
  }
  return bad;
}"""
SIDEWAYS = """() => [document.documentElement.scrollWidth, document.body.scrollWidth,
  window.innerWidth]"""


class Tour:
    """The show and the addresses of every page, at two moments (live, ended)."""

    def __init__(self, browser, server, api):
        self.browser, self.server, self.api = browser, server, api
        created = api.create_show(title="봄맞이 특가 라이브", seller="우리동네 협동조합")
        self.id = created["show"]["id"]
        self.host_key = created["host_key"]
        self.mod_key = created["moderator_key"]
        self.keep = []
        self.checkout = None

    def url(self, path: str) -> str:
        return f"{self.server.base_url}{path}"

    def pages(self, moment: str) -> dict[str, str]:
        show = self.id
        pages = {
            "index": "/",
            "studio": f"/studio/{show}#key={self.host_key}",
            "watch": f"/watch/{show}",
            "moderate": f"/moderate/{show}#key={self.mod_key}",
            "orders": f"/orders/{show}#key={self.host_key}",
            "404": "/watch/no-such-show",
        }
        if self.checkout:
            pages["checkout"] = self.checkout
        if moment == "ended":
            pages = {"replay": f"/replay/{show}", "studio": pages["studio"]}
            pages["watch"] = f"/watch/{show}"
        return pages


@pytest.fixture(scope="module")
def tour(browser, server, api):
    t = Tour(browser, server, api)
    studio = new_page(browser, locale="en-US")
    t.keep.append(studio)
    studio.goto(t.url(f"/studio/{t.id}#key={t.host_key}"))
    expect(studio.locator("#golive")).to_be_enabled(timeout=SLOW)
    studio.locator("#golive").click()
    expect(studio.locator("#pc-state")).to_have_attribute("data-state", "live", timeout=SLOW)
    viewer = new_page(browser, phone=True, locale="ko-KR")
    t.keep.append(viewer)
    viewer.add_init_script("localStorage.setItem('livecast.nick', '민지')")
    viewer.goto(t.url(f"/watch/{t.id}"))
    viewer.wait_for_function(
        "() => window.livecast && window.livecast.socket.connected", timeout=SLOW
    )
    for text in ("이거 맵나요?", "배송은 언제 와요?", "와플 두 개 주세요!"):
        viewer.evaluate("(text) => window.livecast.socket.emit('chat:send', {text})", text)
    studio.locator("#deal-price-dakgalbi").fill("12900")
    studio.locator("#deal-seconds-dakgalbi").fill("600")
    studio.locator(".rail-item[data-sku=dakgalbi] .act-deal").click()
    card = viewer.locator("#featured[data-sku=dakgalbi]")
    expect(card.locator(".deal-price")).to_be_visible(timeout=SLOW)
    card.locator(".btn-buy").click()
    viewer.wait_for_timeout(600)
    viewer.locator("#confirm-submit").click()
    viewer.wait_for_url(re.compile(r"/checkout/"), timeout=SLOW)
    t.checkout = viewer.url.replace(t.server.base_url, "")
    t.studio = studio
    yield t
    for page in t.keep:
        page.context.close()


def open_page(browser, *, width: int, locale: str):
    """A page in its own context: a phone (touch, 2x) below 700 px, else a desktop."""
    phone = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    viewport = WIDTHS.get(width) or {"width": width, "height": 740}
    context = browser.new_context(
        locale=locale, viewport=viewport, **(phone if width < 700 else {})
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


def visit(tour, name: str, path: str, *, width: int, lang: str):
    page = open_page(tour.browser, width=width, locale=LANGS[lang])
    failed = []
    page.on(
        "response",
        lambda res: (
            res.status >= 400
            and "/no-such-show" not in res.url
            and failed.append(f"{res.status} {res.url}")
        ),
    )
    page.goto(tour.url(path))
    ready = {
        "studio": "#desk",
        "watch": "#status",
        "moderate": "#log li",
        "orders": "main:not([hidden])",
        "checkout": "main:not([hidden])",
        "replay": "#moments li",
        "index": "main:not([hidden])",
        "404": "body",
    }[name]
    expect(page.locator(ready).first).to_be_visible(timeout=SLOW)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(700)  # late renders (figures, the chart, countdowns)
    return page, failed


def shoot(page, name: str):
    folder = ARTIFACTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_live(tour, width, lang):
    problems = []
    for name, path in tour.pages("live").items():
        page, failed = visit(tour, name, path, width=width, lang=lang)
        shoot(page, f"{name}-{width}-{lang}")
        problems += [f"{name}: {f}" for f in failed]
        if name in ("studio", "watch", "moderate", "replay", "checkout", "404"):
            problems += [f"{name}: contrast {b}" for b in page.evaluate(CONTRAST)]
        assert page.errors == [], (name, page.errors)
        page.context.close()
    assert problems == [], "\n".join(problems)


def test_counts_and_prices_are_labelled(tour):
    page = open_page(tour.browser, width=390, locale="en-US")
    page.goto(tour.url(f"/watch/{tour.id}"))
    expect(page.locator("#viewer-label")).to_have_text(re.compile(r"^\d+ watching$"), timeout=SLOW)
    assert page.locator("#viewer-count").get_attribute("aria-hidden") == "true"
    viewers = page.locator("#viewers")
    assert re.match(r"^\d+ watching$", viewers.evaluate("e => e.innerText.trim()")) is None
    price = page.locator("#featured .price")
    expect(price.locator(".visually-hidden")).to_have_text(
        "Deal price ₩12,900, 18% off, was ₩15,900", timeout=SLOW
    )
    page.context.close()


def test_no_page_scrolls_sideways_at_360(tour):
    wide = []
    for moment in ("live",):
        for name, path in tour.pages(moment).items():
            page = open_page(tour.browser, width=360, locale="ko-KR")
            page.goto(tour.url(path))
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            tabs = ["stage", "products", "chat", "stats"] if name == "studio" else [None]
            for tab in tabs:
                if tab:
                    page.locator(f"#tabs button[data-tab={tab}]").click()
                doc, body, inner = page.evaluate(SIDEWAYS)
                if max(doc, body) > inner:
                    wide.append(f"{name}{'/' + tab if tab else ''}: {max(doc, body)} > {inner}")
            page.context.close()
    assert wide == [], wide


def test_every_page_after_the_end(tour):
    studio = tour.studio
    studio.locator("#end").click()
    studio.locator("#end-dialog button[value=end]").click()
    expect(studio.locator("#summary")).to_be_visible(timeout=SLOW)
    # the recording is finished: the replay has its moments
    for _ in range(100):
        recs = tour.api.call("GET", f"/api/shows/{tour.id}/recordings")
        if recs and recs[0].get("duration"):
            break
        studio.wait_for_timeout(200)
    problems = []
    for width in WIDTHS:
        for lang in LANGS:
            for name, path in tour.pages("ended").items():
                page, failed = visit(tour, name, path, width=width, lang=lang)
                shoot(page, f"{name}-ended-{width}-{lang}")
                problems += [f"{name}: {f}" for f in failed]
                problems += [f"{name}: contrast {b}" for b in page.evaluate(CONTRAST)]
                if width == 390:
                    page.set_viewport_size({"width": 360, "height": 740})
                    page.wait_for_timeout(300)
                    doc, body, inner = page.evaluate(SIDEWAYS)
                    if max(doc, body) > inner:
                        problems.append(f"{name} at 360: {max(doc, body)} > {inner}")
                assert page.errors == [], (name, page.errors)
                page.context.close()
    assert problems == [], "\n".join(problems)
