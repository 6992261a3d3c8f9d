"""Every WHIP/WHEP status and header of contract.md, with real aiortc offers."""

from __future__ import annotations

import re

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender

from livecast import hub
from livecast.app import create_app
from livecast.media import MEDIA
from livecast.media.aiortc_tap import gathering
from tests.support import bearer

pytestmark = pytest.mark.media


async def make_offer(direction: str, video_codec: str | None = None) -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    video = pc.addTransceiver("video", direction=direction)
    if video_codec:
        caps = RTCRtpSender.getCapabilities("video").codecs
        video.setCodecPreferences([c for c in caps if c.mimeType == f"video/{video_codec}"])
    pc.addTransceiver("audio", direction=direction)
    with gathering(("127.0.0.1",)):
        await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def sdp_headers(key: str | None = None, content_type: str = "application/sdp") -> dict:
    headers = {"Content-Type": content_type}
    if key:
        headers.update(bearer(key))
    return headers


@pytest.fixture
async def whip_offer():
    return await make_offer("sendonly")


@pytest.fixture
async def whep_offer():
    return await make_offer("recvonly")


@pytest.fixture
def events(app):
    seen: list[hub.Event] = []
    app[hub_key()].subscribe(seen.append)
    return seen


def hub_key():
    from livecast.appkeys import HUB

    return HUB


async def test_whip_post_answers_201_with_location_etag_sdp_and_candidates(
    client, show, whip_offer, r, events
):
    show_id = show["show"]["id"]
    res = await client.post(
        f"/whip/{show_id}", data=whip_offer, headers=sdp_headers(show["host_key"])
    )
    assert res.status == 201, await res.text()
    location = res.headers["Location"]
    match = re.fullmatch(rf"/whip/{show_id}/([A-Za-z0-9_-]+)", location)
    assert match and len(match.group(1)) >= 22  # >= 128 bits
    assert res.headers["ETag"]
    assert res.headers["Content-Type"].startswith("application/sdp")
    answer = await res.text()
    assert answer.startswith("v=0")
    assert re.search(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host", answer)
    assert "a=end-of-candidates" in answer
    assert "Link" not in res.headers  # no LIVECAST_ICE_SERVERS
    assert await r.hget(f"livecast:show:{show_id}", "status") == "live"
    assert [e.data for e in events if e.kind == hub.SHOW_STATUS] == [{"status": "live"}]
    assert any(e.kind == hub.RECORDING_STARTED for e in events)

    # a second POST while the first session is connecting/live: 409
    again = await client.post(
        f"/whip/{show_id}", data=whip_offer, headers=sdp_headers(show["host_key"])
    )
    assert again.status == 409
    assert (await again.json())["error"] == "already_live"

    # PATCH (trickle ICE) is not supported: 405 as RFC 9725 allows
    patch = await client.patch(
        location,
        data="a=end-of-candidates\r\n",
        headers={"Content-Type": "application/trickle-ice-sdpfrag"},
    )
    assert patch.status == 405

    # DELETE ends the broadcast
    gone = await client.delete(location)
    assert gone.status == 200
    assert await r.hget(f"livecast:show:{show_id}", "status") == "ended"
    assert [e.data["status"] for e in events if e.kind == hub.SHOW_STATUS] == ["live", "ended"]
    assert any(e.kind == hub.RECORDING_STOPPED for e in events)
    assert (await client.delete(location)).status == 404


@pytest.mark.parametrize(
    ("key", "content_type", "body", "status", "code"),
    [
        (None, "application/sdp", "offer", 401, "unauthorized"),
        ("wrong", "application/sdp", "offer", 401, "bad_key"),
        ("moderator", "application/sdp", "offer", 401, "bad_key"),
        ("host", "application/json", "offer", 415, "unsupported_media_type"),
        ("host", "application/sdp", "hello", 400, "bad_sdp"),
        (
            "host",
            "application/sdp",
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
            400,
            "bad_sdp",
        ),
        ("host", "application/sdp", "mangled", 400, "bad_sdp"),
        ("host", "application/sdp", "av1-speex", 400, "codec_mismatch"),
    ],
)
async def test_whip_post_refusals(client, show, whip_offer, key, content_type, body, status, code):
    show_id = show["show"]["id"]
    keys = {"host": show["host_key"], "moderator": show["moderator_key"], "wrong": "x" * 32}
    if body == "offer":
        body = whip_offer
    elif body == "mangled":
        body = re.sub(r"a=rtpmap:\d+ (VP8|H264|rtx)/90000", "a=rtpmap:120 AV1/90000", whip_offer)
    elif body == "av1-speex":
        body = re.sub(r"a=rtpmap:(\d+) (VP8|H264|rtx)/90000", r"a=rtpmap:\1 AV1/90000", whip_offer)
        body = re.sub(
            r"a=rtpmap:(\d+) (opus/48000/2|PCMU/8000|PCMA/8000|G722/8000)",
            r"a=rtpmap:\1 speex/48000",
            body,
        )
    res = await client.post(
        f"/whip/{show_id}", data=body, headers=sdp_headers(keys.get(key), content_type)
    )
    assert res.status == status, await res.text()
    payload = await res.json()
    if code:
        assert payload["error"] == code
    assert payload["message"]
    assert "Location" not in res.headers


async def test_whip_and_whep_unknown_show_is_404(client, whip_offer, whep_offer):
    res = await client.post("/whip/nosuchshow", data=whip_offer, headers=sdp_headers("x" * 32))
    assert res.status == 404
    assert (await res.json())["error"] == "unknown_show"
    res = await client.post("/whep/nosuchshow", data=whep_offer, headers=sdp_headers())
    assert res.status == 404


async def test_whip_options_and_link_headers(aiohttp_client, settings, show, whip_offer):
    app = create_app(
        settings.with_(ice_servers=("stun:ice.example.net:3478", "turn:turn.example.net"))
    )
    client = await aiohttp_client(app)
    show_id = show["show"]["id"]
    res = await client.options(f"/whip/{show_id}")
    assert res.status in (200, 204)
    assert res.headers["Accept-Post"] == "application/sdp"
    res = await client.post(
        f"/whip/{show_id}", data=whip_offer, headers=sdp_headers(show["host_key"])
    )
    assert res.status == 201
    assert res.headers.getall("Link") == [
        '<stun:ice.example.net:3478>; rel="ice-server"',
        '<turn:turn.example.net>; rel="ice-server"',
    ]


async def test_whip_503_at_capacity(client, show, whip_offer):
    client.server.app[MEDIA].options.max_publishers = 0
    res = await client.post(
        f"/whip/{show['show']['id']}", data=whip_offer, headers=sdp_headers(show["host_key"])
    )
    assert res.status == 503
    assert int(res.headers["Retry-After"]) > 0


async def test_whep_post_delete_and_refusals(aiohttp_client, settings, show, whep_offer):
    client = await aiohttp_client(create_app(settings.with_(max_viewers=1)))
    show_id = show["show"]["id"]
    res = await client.post(f"/whep/{show_id}", data=whep_offer, headers=sdp_headers())
    assert res.status == 201, await res.text()
    location = res.headers["Location"]
    assert re.fullmatch(rf"/whep/{show_id}/[A-Za-z0-9_-]{{22,}}", location)
    assert res.headers["ETag"]
    assert res.headers["Content-Type"].startswith("application/sdp")
    answer = await res.text()
    assert "127.0.0.1" in answer and "a=sendonly" in answer
    assert "VP8/90000" in answer  # the host is not live yet: the browsers' common codec

    full = await client.post(f"/whep/{show_id}", data=whep_offer, headers=sdp_headers())
    assert full.status == 503
    assert int(full.headers["Retry-After"]) > 0

    assert (await client.delete(location)).status == 200
    assert (await client.delete(location)).status == 404
    wrong = await client.post(
        f"/whep/{show_id}", data=whep_offer, headers=sdp_headers(content_type="text/plain")
    )
    assert wrong.status == 415
    bad = await client.post(f"/whep/{show_id}", data="nonsense", headers=sdp_headers())
    assert bad.status == 400
    options = await client.options(f"/whep/{show_id}")
    assert options.headers["Accept-Post"] == "application/sdp"


async def test_whep_offer_without_the_hosts_codec_is_422_codec_mismatch(client, show):
    show_id = show["show"]["id"]
    host_offer = await make_offer("sendonly", "H264")
    res = await client.post(
        f"/whip/{show_id}", data=host_offer, headers=sdp_headers(show["host_key"])
    )
    assert res.status == 201
    assert "H264/90000" in await res.text()
    vp8_only = await make_offer("recvonly", "VP8")
    res = await client.post(f"/whep/{show_id}", data=vp8_only, headers=sdp_headers())
    assert res.status == 422
    assert (await res.json())["error"] == "codec_mismatch"
    h264 = await make_offer("recvonly")
    res = await client.post(f"/whep/{show_id}", data=h264, headers=sdp_headers())
    assert res.status == 201
    answer = await res.text()
    assert "H264/90000" in answer and "VP8/90000" not in answer


async def test_cors_preflight_exposes_whip_headers(aiohttp_client, settings, show):
    client = await aiohttp_client(
        create_app(settings.with_(cors_origins=("https://shop.example",)))
    )
    res = await client.options(
        f"/whip/{show['show']['id']}",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert res.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert res.headers["Accept-Post"] == "application/sdp"
    assert "Location" in res.headers["Access-Control-Expose-Headers"]


async def test_whip_without_session_is_unknown(client, show):
    async with aiohttp.ClientSession():
        res = await client.delete(f"/whip/{show['show']['id']}/nosuchsession")
    assert res.status == 404


async def test_answer_announces_the_public_address_and_uses_the_port_range(
    aiohttp_client, settings, show, whip_offer
):
    from tests.support import free_port

    low = free_port()
    app = create_app(settings.with_(announced_address="203.0.113.7", udp_ports=(low, low + 30)))
    client = await aiohttp_client(app)
    res = await client.post(
        f"/whip/{show['show']['id']}", data=whip_offer, headers=sdp_headers(show["host_key"])
    )
    assert res.status == 201
    answer = await res.text()
    candidates = re.findall(r"a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ host", answer)
    assert candidates
    for host, port in candidates:
        assert host == "203.0.113.7"
        assert low <= int(port) <= low + 30
    assert "127.0.0.1" not in answer
