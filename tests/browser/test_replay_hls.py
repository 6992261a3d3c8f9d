"""The replay plays everywhere: the recording file where the browser can play it, else
(Safari and .mkv, a file that fails, or ?hls) the show's HLS VOD, with the chat and the
moments placed on the vod's timeline. Real server, real H.264 host (aiortc + libx264 over
WHIP, two host sessions with a gap between them), real Chromium.

The host draws a frame counter into its picture, so the test can read which frame the
replay shows at the moment it puts a chat message on screen, and compare it with the
frame the host was sending when that message was sent.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import urllib.request

import pytest
import socketio
from playwright.sync_api import expect

from livecast.devtools.peers import Publisher
from tests.browser.conftest import Api, new_page, screenshot

SLOW = 30_000
FPS = 20
# what the replay shows at a chat message's moment may differ from the frame the host
# was sending when the message was sent by: the host's encode + loopback delivery (the
# server stamps both by its clock on arrival, ~0.1 s), the sidecar's and the playlist's
# millisecond rounding, and the seek landing on a frame boundary (1/20 s). 0.5 s (10
# frames) covers that with room on a shared 2-core machine; the gap between the two host
# sessions (> 3 s) that a mapping without it would add is 60+ frames.
FRAME_TOLERANCE = 10
GAP_SECONDS = 3.5  # the host is away this long (longer than the 2 s a session goes stale)

# the frame counter the host drew, read from the video's current picture (like
# livecast.devtools.peers.read_counter: 4 x 4 blocks, bit 0 top left)
READ_COUNTER = """(video) => {
  const c = document.createElement("canvas");
  c.width = video.videoWidth; c.height = video.videoHeight;
  const g = c.getContext("2d");
  g.drawImage(video, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const bh = Math.floor(c.height / 4), bw = Math.floor(c.width / 4);
  let value = 0;
  for (let bit = 0; bit < 16; bit++) {
    const row = Math.floor(bit / 4), col = bit % 4;
    const cy = row * bh + Math.floor(bh / 2), cx = col * bw + Math.floor(bw / 2);
    let sum = 0, n = 0;
    for (let y = cy - Math.floor(bh / 4); y < cy + Math.floor(bh / 4); y++)
      for (let x = cx - Math.floor(bw / 4); x < cx + Math.floor(bw / 4); x++) {
        const i = (y * c.width + x) * 4;
        sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; n++;
      }
    if (sum / n > 128) value |= 1 << bit;
  }
  return value;
}"""

SEEK = """async ([video, time]) => {
  video.pause();
  await new Promise((done) => {
    video.addEventListener("seeked", done, { once: true });
    video.currentTime = time;
  });
  await new Promise((done) => setTimeout(done, 300)); // the picture at that time is up
  return video.currentTime;
}"""


class Loop:
    """An asyncio loop in a thread for the aiortc host and the chatting viewer (the
    sync Playwright API owns this thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class H264Show:
    """A show hosted in two H.264 sessions, with a chat message sent in each, then ended."""

    def __init__(self, server) -> None:
        self.server = server
        self.api = Api(server.base_url)
        created = self.api.create_show(title="두 번 켜진 라이브")
        self.id = created["show"]["id"]
        self.key = created["host_key"]
        self.sent: list[dict] = []  # {text, counter (frame the host was on), session}
        self.loop = Loop()
        try:
            self.loop.run(self._host(), timeout=120)
        finally:
            self.loop.close()
        self.recordings = self._wait_recordings(2)
        with urllib.request.urlopen(f"{server.base_url}/hls/{self.id}/vod.m3u8", timeout=10) as r:
            self.vod = r.read().decode()

    async def _session(self, sio, session: int, seconds_before: float, seconds_after: float):
        host = Publisher(self.server.base_url, self.id, self.key, codec="H264", fps=FPS)
        answer = await host.start()
        assert answer.status == 201, answer.body
        await host.wait_connected(timeout=15)
        await asyncio.sleep(seconds_before)
        text = f"세션 {session} 메시지 · message {session}"
        counter = host.video.count
        ack = await sio.call("chat:send", {"text": text}, timeout=10)
        assert ack.get("ok"), ack
        self.sent.append({"text": text, "counter": counter, "session": session})
        await asyncio.sleep(seconds_after)
        return host

    async def _host(self) -> None:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(
            self.server.base_url,
            auth={"show": self.id, "name": "시청자"},
            transports=["websocket"],
            wait_timeout=10,
        )
        try:
            first = await self._session(sio, 1, 3.0, 2.5)
            await first.close(delete=False)  # gone without a word: the show stays live
            await asyncio.sleep(GAP_SECONDS)
            second = await self._session(sio, 2, 3.0, 3.0)
            assert await second.delete() == 200  # the show ends
            await second.close(delete=False)
        finally:
            await sio.disconnect()

    def _wait_recordings(self, count: int) -> list[dict]:
        deadline = time.monotonic() + 30
        while True:
            recs = self.api.call("GET", f"/api/shows/{self.id}/recordings")
            if len(recs) >= count and all(r.get("duration") for r in recs):
                return sorted(recs, key=lambda r: r["started_at"])
            assert time.monotonic() < deadline, recs
            time.sleep(0.3)


@pytest.fixture(scope="module")
def h264_show(server):
    return H264Show(server)


def test_the_vod_plays_the_sessions_end_to_end_without_the_gap(h264_show):
    """Measured, not guessed: the vod is as long as the recordings, not the wall span."""
    show = h264_show
    recs = show.recordings
    assert [r["file"].rsplit(".", 1)[1] for r in recs] == ["mkv", "mkv"]
    assert show.vod.count("#EXT-X-DISCONTINUITY") == 1
    extinf = sum(float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", show.vod))
    recorded = sum(r["duration"] for r in recs)
    assert abs(extinf - recorded) < 1.5, (extinf, recorded)
    dates = re.findall(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", show.vod)
    assert len(dates) == show.vod.count("#EXTINF")  # every segment has its wall clock
    assert show.vod.index(dates[0]) < show.vod.index("#EXTINF")


def test_the_replay_plays_the_vod_with_hls_js_and_the_chat_in_step(h264_show, browser):
    show = h264_show
    page = new_page(browser, phone=True, locale="ko-KR")
    try:
        hls_requests = []
        page.on("request", lambda r: "/hls/" in r.url and hls_requests.append(r.url))
        page.goto(f"{show.server.base_url}/replay/{show.id}?hls")
        label = page.locator("#playback")
        expect(label).to_have_attribute("data-mode", "hls", timeout=SLOW)
        expect(label).to_have_text("HLS · 방송 전체")
        expect(label).to_be_visible()
        page.wait_for_function(
            "() => window.livecast?.hls()?.engine === 'hls.js'"
            " && document.querySelector('#video').duration > 0",
            timeout=SLOW,
        )
        assert any("vod.m3u8" in url for url in hls_requests)
        assert not any("/recordings/" in url and url.endswith(".mkv") for url in hls_requests)

        # the whole show: hls.js's duration is the EXTINF sum (no gap between sessions)
        extinf = sum(float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", show.vod))
        duration = page.evaluate("document.querySelector('#video').duration")
        assert abs(duration - extinf) < 0.5, (duration, extinf)
        # the selector stays: it jumps between the two host sessions
        expect(page.locator("#recording")).to_be_visible()
        expect(page.locator("#recording option")).to_have_count(2)

        # it plays
        video = page.locator("#video")
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "() => document.querySelector('#video').currentTime > 1.0", timeout=SLOW
        )

        # each message is placed where the host's picture was when it was sent
        events = page.evaluate("window.livecast.events().filter((e) => e.kind === 'chat')")
        by_text = {e["data"]["text"]: e for e in events}
        for sent in show.sent:
            event = by_text[sent["text"]]
            at = event["t"]
            assert event["rec"] == sent["session"] - 1
            page.evaluate(SEEK, [video.element_handle(), max(0.0, at - 1.0)])
            message = page.locator("#chat .chat-text").filter(has_text=sent["text"])
            expect(message).to_have_count(0)
            # a frame past it (a seek may land a hair before the exact time)
            landed = page.evaluate(SEEK, [video.element_handle(), at + 1 / FPS])
            counter = video.evaluate(READ_COUNTER)
            assert abs(counter - sent["counter"]) <= FRAME_TOLERANCE, (
                sent,
                at,
                landed,
                counter,
            )
            expect(message).to_have_count(1)

        # played through: the second session's message comes up as the video reaches it
        second = next(s for s in show.sent if s["session"] == 2)
        at = by_text[second["text"]]["t"]
        page.evaluate(SEEK, [video.element_handle(), max(0.0, at - 1.5)])
        message = page.locator("#chat .chat-text").filter(has_text=second["text"])
        expect(message).to_have_count(0)
        page.evaluate(
            """(text) => {
              const video = document.querySelector('#video');
              window.__shownAt = null;
              new MutationObserver(() => {
                const chat = document.querySelector('#chat');
                if (window.__shownAt === null && chat.textContent.includes(text))
                  window.__shownAt = video.currentTime;
              }).observe(document.querySelector('#chat'), { childList: true, subtree: true });
              return video.play();
            }""",
            second["text"],
        )
        page.wait_for_function("() => window.__shownAt !== null", timeout=SLOW)
        shown_at = page.evaluate("window.__shownAt")
        # timeupdate comes every 250 ms or so; a loaded machine may be slower
        assert at <= shown_at < at + 0.75, (at, shown_at)
        assert page.locator("#recording").input_value() == "1"
        screenshot(page, "replay-hls-390-ko")
        assert page.errors == [] and page.dialogs == []
    finally:
        page.context.close()


def test_the_replay_still_plays_a_file_the_browser_can_play(h264_show, browser):
    """Chromium plays Matroska (H.264 + Opus): no ?hls, the recording file plays."""
    show = h264_show
    page = new_page(browser)
    try:
        page.goto(f"{show.server.base_url}/replay/{show.id}")
        label = page.locator("#playback")
        expect(label).to_have_attribute("data-mode", "file", timeout=SLOW)
        expect(label).to_have_text("Recording file")
        video = page.locator("#video")
        page.wait_for_function(
            "() => /\\.mkv$/.test(document.querySelector('#video').currentSrc)", timeout=SLOW
        )
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "() => document.querySelector('#video').currentTime > 0.5", timeout=SLOW
        )
        assert page.evaluate("window.livecast.hls()") is None
        assert page.evaluate("window.livecast.mode()") == "file"
        # the last recording's own sidecar, on its own timeline
        texts = page.evaluate(
            "window.livecast.events().filter((e) => e.kind === 'chat').map((e) => e.data.text)"
        )
        assert texts == [show.sent[1]["text"]]
        assert page.errors == []
    finally:
        page.context.close()


def test_a_recording_file_that_fails_to_load_falls_back_to_the_vod(h264_show, browser):
    """The file's request fails (the network cut it: Playwright aborts that one request,
    the server and the vod are real): the video's error event brings the vod in."""
    show = h264_show
    page = new_page(browser)
    try:
        aborted = []

        def cut(route):
            aborted.append(route.request.url)
            route.abort()

        page.route(re.compile(r"/recordings/.*\.mkv$"), cut)
        page.goto(f"{show.server.base_url}/replay/{show.id}")
        label = page.locator("#playback")
        expect(label).to_have_attribute("data-mode", "hls", timeout=SLOW)
        expect(label).to_have_text("HLS · whole show")
        assert aborted, "the recording file was never asked for"
        page.wait_for_function(
            "() => window.livecast.hls()?.engine === 'hls.js'"
            " && document.querySelector('#video').duration > 0",
            timeout=SLOW,
        )
        page.locator("#video").evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "() => document.querySelector('#video').currentTime > 0.5", timeout=SLOW
        )
        # the whole show's chat, both sessions, on the vod's timeline
        recs = page.evaluate(
            "window.livecast.events().filter((e) => e.kind === 'chat').map((e) => e.rec)"
        )
        assert recs == [0, 1]
        assert page.errors == []
    finally:
        page.context.close()


def test_a_vp8_recording_plays_as_a_file_and_has_no_vod(server, browser):
    """A show the browser hosted in VP8 has no HLS: the .webm plays, even with ?hls."""
    api = Api(server.base_url)
    created = api.create_show(title="VP8 방송")
    show_id = created["show"]["id"]
    loop = Loop()

    async def host():
        publisher = Publisher(server.base_url, show_id, created["host_key"], codec="VP8", fps=FPS)
        assert (await publisher.start()).status == 201
        await publisher.wait_connected(timeout=15)
        await asyncio.sleep(3)
        assert await publisher.delete() == 200
        await publisher.close(delete=False)

    try:
        loop.run(host())
    finally:
        loop.close()
    deadline = time.monotonic() + 30
    while True:
        recs = api.call("GET", f"/api/shows/{show_id}/recordings")
        if recs and recs[0].get("duration"):
            break
        assert time.monotonic() < deadline, recs
        time.sleep(0.3)
    assert recs[0]["file"].endswith(".webm")
    page = new_page(browser)
    try:
        page.goto(f"{server.base_url}/replay/{show_id}?hls")
        page.wait_for_function(
            "() => /\\.webm$/.test(document.querySelector('#video').currentSrc)", timeout=SLOW
        )
        expect(page.locator("#playback")).to_have_attribute("data-mode", "file")
        page.locator("#video").evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function(
            "() => document.querySelector('#video').currentTime > 0.5", timeout=SLOW
        )
        assert page.errors == []
    finally:
        page.context.close()


def test_the_vod_time_mapping_rule(server, browser):
    """lib/vod-timeline.js in the page: by program date-time, gaps left out, fallbacks."""
    page = new_page(browser)
    try:
        page.goto(f"{server.base_url}/")
        result = page.evaluate(
            """async () => {
              const m = await import('/static/js/lib/vod-timeline.js');
              const vod = [
                '#EXTM3U', '#EXT-X-PLAYLIST-TYPE:VOD',
                '#EXT-X-PROGRAM-DATE-TIME:2026-11-30T08:00:00.500Z',
                '#EXT-X-MAP:URI="init0.mp4"', '#EXTINF:2,', 'seg0.m4s',
                '#EXT-X-PROGRAM-DATE-TIME:2026-11-30T08:00:02.500Z', '#EXTINF:1.5,', 'seg1.m4s',
                // the host was away 10 s
                '#EXT-X-PROGRAM-DATE-TIME:2026-11-30T08:00:14.000Z',
                '#EXT-X-DISCONTINUITY', '#EXT-X-MAP:URI="init2.mp4"', '#EXTINF:2,', 'seg2.m4s',
                '#EXT-X-ENDLIST', ''].join('\\n');
              const segments = m.parseVod(vod);
              const recs = [
                { file: 'a.mkv', started_at: '2026-11-30T08:00:00.000Z' },
                { file: 'b.mkv', started_at: '2026-11-30T08:00:13.800250Z' },
              ];
              const map = m.vodMapper(segments, recs);
              const plain = m.parseVod(vod.replace(/#EXT-X-PROGRAM-DATE-TIME:.*\\n/g, ''));
              const byOrder = m.vodMapper(plain, recs);
              const byStart = m.vodMapper(plain, [recs[0]]);
              return {
                starts: segments.map((s) => s.start), sessions: segments.map((s) => s.session),
                duration: m.vodDuration(segments),
                a0: map(0, 0), a1: map(0, 1), a3: map(0, 3), a9: map(0, 9),
                b0: map(1, 0), b1: map(1, 1), b5: map(1, 5),
                o_b1: byOrder(1, 1), o_a1: byOrder(0, 1), s_a2: byStart(0, 2),
                micro: m.isoMs('2026-11-30T08:00:13.800250Z'),
                milli: Date.parse('2026-11-30T08:00:13.800Z'),
              };
            }"""
        )
        assert result["starts"] == [0, 2, 3.5]
        assert result["sessions"] == [0, 0, 1]
        assert result["duration"] == 5.5
        # before the first frame: 0; in a segment: its start + the offset in it
        assert result["a0"] == 0
        assert result["a1"] == pytest.approx(0.5)
        assert result["a3"] == pytest.approx(2.5)
        # past the end of a session's last segment: held at its end
        assert result["a9"] == pytest.approx(3.5)
        # the second session: 10 s later on the wall, right after the first on the vod
        assert result["b0"] == pytest.approx(3.5)  # 13.8 s: before its first frame
        assert result["b1"] == pytest.approx(3.5 + 0.8)
        assert result["b5"] == pytest.approx(5.5)  # held at the end
        # no date-times (an older vod.m3u8): recording k starts session k
        assert result["o_b1"] == pytest.approx(4.5)
        assert result["o_a1"] == pytest.approx(1)
        # counts disagree: the show-level rule t + (started_at - first started_at)
        assert result["s_a2"] == pytest.approx(2)
        # the API's microseconds are cut to what every engine's Date.parse reads
        assert result["micro"] == result["milli"]
    finally:
        page.context.close()
