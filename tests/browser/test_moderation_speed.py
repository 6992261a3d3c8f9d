"""A fast chat: the moderator's list pauses while read, a ban asks first and removes the
user's recent messages, a name opens that viewer's history, and the log says who did
what to whom in words. A banned viewer is told, not left "reconnecting" forever."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

SLOW = 20_000
SEND = """async ([from, count]) => {
  const socket = window.livecast.socket;
  const acks = [];
  for (let i = 0; i < count; i += 1) {
    acks.push(await new Promise((resolve) =>
      socket.emit('chat:send', { text: `${from} ${i + 1}` }, resolve)));
  }
  return acks.filter((a) => a.ok).length;
}"""


AT_END = """() => { const l = document.querySelector('#chat');
  return l.scrollHeight - l.scrollTop - l.clientHeight < 5; }"""


def connected(page):
    page.wait_for_function(
        "() => window.livecast && window.livecast.socket.connected", timeout=SLOW
    )


def test_moderating_a_fast_chat(server, api, pages):
    created = api.create_show(title="빠른 채팅")
    show = created["show"]["id"]
    mod = pages()
    mod.set_viewport_size({"width": 1280, "height": 560})  # a short list fills up quickly
    mod.goto(f"{server.base_url}/moderate/{show}#key={created['moderator_key']}")
    expect(mod.locator("#desk")).to_be_visible(timeout=SLOW)
    # a moderator named in the audit log: the name is asked beside the chat
    expect(mod.locator("#name-card")).to_be_visible()
    mod.locator("#name-card-input").fill("지민")
    mod.locator("#name-card-input").press("Enter")
    expect(mod.locator("#name-card")).to_be_hidden()
    expect(mod.locator("#me")).to_have_text("You: 지민")
    expect(mod.locator("#conn")).to_have_attribute("data-state", "online", timeout=SLOW)

    host = pages()
    host.goto(f"{server.base_url}/studio/{show}#key={created['host_key']}")
    connected(host)
    viewer = pages(phone=True)
    viewer.add_init_script("localStorage.setItem('livecast.nick', '광고봇')")
    viewer.goto(f"{server.base_url}/watch/{show}")
    connected(viewer)
    assert viewer.evaluate(SEND, ["광고", 3]) == 3
    chat = mod.locator("#chat")
    expect(chat.locator(".chat-msg")).to_have_count(3, timeout=SLOW)

    # the pointer over the list: it stops moving, and says how many came meanwhile
    assert host.evaluate(SEND, ["호스트", 8]) == 8  # (a host sends at most 20 in 10 s)
    expect(chat.locator(".chat-msg")).to_have_count(11, timeout=SLOW)
    mod.locator("#chat").hover()
    top = mod.evaluate("document.querySelector('#chat').scrollTop")
    assert host.evaluate(SEND, ["빠르게", 6]) == 6
    new = mod.locator(".chat-new")
    expect(new).to_have_text("6 new messages ↓", timeout=SLOW)
    expect(chat).to_have_attribute("data-paused", "1")
    assert mod.evaluate("document.querySelector('#chat').scrollTop") == top
    screenshot(mod, "moderate-paused-1280-en")
    # the pointer leaves: the list follows the chat again
    mod.mouse.move(5, 5)
    expect(new).to_be_hidden()
    assert mod.evaluate(AT_END)
    # scrolled up to read: new messages wait below, one click brings them
    mod.evaluate("document.querySelector('#chat').scrollTop = 0")
    expect(chat).to_have_attribute("data-paused", "1")
    assert host.evaluate(SEND, ["더", 3]) == 3
    expect(new).to_have_text("3 new messages ↓", timeout=SLOW)
    assert mod.evaluate("document.querySelector('#chat').scrollTop") == 0
    new.click()
    expect(new).to_be_hidden()
    assert mod.evaluate(AT_END)

    # a name opens the viewer's history
    row = chat.locator(".chat-msg", has_text="광고 1")
    row.locator(".chat-name").click()
    history = mod.locator("#history")
    expect(history).to_be_visible()
    expect(history.locator("#history-title")).to_have_text("광고봇")
    expect(history.locator(".history-messages li")).to_have_count(3, timeout=SLOW)
    history.locator(".sheet-close").click()

    # a ban asks first; cancelling does nothing
    row.locator(".act-ban").click()
    dialog = mod.locator("#ban-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#ban-title")).to_have_text("Ban 광고봇?")
    dialog.locator("#ban-cancel").click()
    expect(dialog).to_be_hidden()
    expect(chat.locator(".chat-msg", has_text="광고 ")).to_have_count(3)
    assert mod.locator("#log li[data-action=ban]").count() == 0

    row.locator(".act-ban").click()
    dialog.locator("#ban-confirm").click()
    # the spam is gone for everyone, the log says it in words
    for page in (mod, host, viewer):
        expect(page.locator("#chat .chat-msg", has_text="광고 ")).to_have_count(0, timeout=SLOW)
    entry = mod.locator("#log li[data-action=ban]")
    expect(entry).to_contain_text("지민", timeout=SLOW)
    expect(entry).to_contain_text("banned 광고봇 (3 messages removed)")
    expect(entry.locator(".badge")).to_have_text("moderator")
    # the banned viewer is told, and does not "reconnect" forever
    expect(viewer.locator("#banned")).to_be_visible(timeout=SLOW)
    expect(viewer.locator("#banned")).to_have_text("You can no longer chat or buy in this show")
    viewer.wait_for_timeout(2500)
    expect(viewer.locator("#reconnecting")).to_be_hidden()
    expect(viewer.locator("#chat-input")).to_be_disabled()
    screenshot(viewer, "watch-banned-390-en")

    # a deletion is logged with whose message and what it said; in Korean too
    host_row = chat.locator(".chat-msg", has_text="호스트 1").first
    expect(host_row.locator(".act-delete")).to_have_count(0)  # the host's own: no actions
    mod.locator(".lang-switch").click()
    expect(entry).to_contain_text("광고봇님 차단 (메시지 3개 삭제)")
    expect(entry.locator(".badge")).to_have_text("매니저")
    screenshot(mod, "moderate-log-1280-ko")
    assert mod.errors == [] and viewer.errors == [] and host.errors == []


def test_timeouts_and_slow_mode_say_for_how_long(server, api, pages):
    created = api.create_show(title="제한 시간")
    show = created["show"]["id"]
    viewer = pages(phone=True, locale="ko-KR")
    viewer.add_init_script("localStorage.setItem('livecast.nick', '민수')")
    viewer.goto(f"{server.base_url}/watch/{show}")
    connected(viewer)
    mod = pages(locale="ko-KR")
    mod.goto(f"{server.base_url}/moderate/{show}#key={created['moderator_key']}")
    connected(mod)
    mod.locator("#slow").select_option("30")
    viewer.locator("#chat-input").fill("첫 메시지")
    viewer.locator("#chat-input").press("Enter")
    expect(mod.locator("#chat .chat-msg", has_text="첫 메시지")).to_be_visible(timeout=SLOW)
    viewer.locator("#chat-input").fill("두 번째")
    viewer.locator("#chat-input").press("Enter")
    expect(viewer.locator(".toast").last).to_contain_text("슬로우 모드:", timeout=SLOW)
    expect(viewer.locator(".toast").last).to_contain_text("초 후에 다시 보낼 수 있어요")
    mod.locator("#chat .chat-msg", has_text="첫 메시지").locator(".act-timeout10").click()
    expect(viewer.locator(".toast", has_text="10분 동안 채팅이 제한됩니다")).to_be_visible(
        timeout=SLOW
    )
