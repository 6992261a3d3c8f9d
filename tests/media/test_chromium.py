"""Chromium publishes over WHIP (VP8, H.264) and Chromium watches over WHEP, through the relay."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from livecast.media import MEDIA
from livecast.media.aiortc_tap import census

pytestmark = [pytest.mark.media, pytest.mark.browser]

CHROMIUM = "/usr/lib/chromium/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip

GATHERED = """(pc) => new Promise(done => {
  if (pc.iceGatheringState === 'complete') return done();
  pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
  setTimeout(done, 2000);
})"""

PUBLISH = f"""async ([show, key, codec]) => {{
  const gathered = {GATHERED};
  const stream = await navigator.mediaDevices.getUserMedia(
    {{video: {{width: 640, height: 360}}, audio: true}});
  const pc = new RTCPeerConnection();
  const video = pc.addTransceiver(stream.getVideoTracks()[0], {{direction: 'sendonly'}});
  pc.addTransceiver(stream.getAudioTracks()[0], {{direction: 'sendonly'}});
  video.setCodecPreferences(RTCRtpSender.getCapabilities('video').codecs.filter(
    c => c.mimeType === 'video/' + codec || c.mimeType === 'video/rtx'));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const res = await fetch('/whip/' + show, {{method: 'POST', body: pc.localDescription.sdp,
    headers: {{'Content-Type': 'application/sdp', Authorization: 'Bearer ' + key}}}});
  const answer = await res.text();
  if (res.status !== 201) return 'refused ' + res.status + ' ' + answer;
  await pc.setRemoteDescription({{type: 'answer', sdp: answer}});
  window.host = pc;
  return (answer.match(/a=rtpmap:\\d+ (VP8|H264)\\//) || [])[1];
}}"""

WATCH = f"""async (show) => {{
  const gathered = {GATHERED};
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', {{direction: 'recvonly'}});
  pc.addTransceiver('audio', {{direction: 'recvonly'}});
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const res = await fetch('/whep/' + show, {{method: 'POST', body: pc.localDescription.sdp,
    headers: {{'Content-Type': 'application/sdp'}}}});
  if (res.status !== 201) return {{refused: res.status}};
  await pc.setRemoteDescription({{type: 'answer', sdp: await res.text()}});
  for (let i = 0; i < 100; i++) {{
    await new Promise(r => setTimeout(r, 100));
    const stats = await pc.getStats();
    let video = null, audio = 0;
    stats.forEach(s => {{
      if (s.type === 'inbound-rtp' && s.kind === 'video') video = s;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audio = s.packetsReceived;
    }});
    if (video && video.framesDecoded >= 30 && audio > 0)
      return {{decoded: video.framesDecoded, width: video.frameWidth, audio}};
  }}
  return {{timeout: true}};
}}"""


@pytest.mark.parametrize("codec", ["VP8", "H264"])
async def test_chromium_publishes_and_watches(client, base_url, show, codec, settings):
    show_id = show["show"]["id"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            host = await browser.new_page()
            await host.goto(base_url + "/healthz")
            assert await host.evaluate(PUBLISH, [show_id, show["host_key"], codec]) == codec
            viewer = await browser.new_page()
            await viewer.goto(base_url + "/healthz")
            result = await viewer.evaluate(WATCH, show_id)
        finally:
            await browser.close()
    assert result.get("decoded", 0) >= 30, result
    assert result["width"] == 640 and result["audio"] > 0
    plane = client.server.app[MEDIA]
    assert plane.relays[show_id].video_codec == codec
    assert census.server_decoders_built() == 0
