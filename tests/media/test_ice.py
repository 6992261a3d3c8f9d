"""ICE settings: gathering addresses and ports, announced address, no public STUN."""

from __future__ import annotations

import re

import aioice.ice
import pytest
from aiortc import RTCPeerConnection

from livecast.media.aiortc_tap import gathering
from livecast.media.ice import announce, link_headers, rtc_configuration
from tests.support import free_port

pytestmark = pytest.mark.media


async def offer_candidates(addresses, ports=None) -> list[tuple[str, int]]:
    pc = RTCPeerConnection(rtc_configuration())
    pc.addTransceiver("video", direction="recvonly")
    try:
        with gathering(addresses, ports):
            await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
    finally:
        await pc.close()
    return [
        (m.group(1), int(m.group(2)))
        for m in re.finditer(r"a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ", sdp)
    ]


async def test_gathering_uses_the_configured_addresses_and_port_range():
    low = free_port()
    candidates = await offer_candidates(("127.0.0.1",), (low, low + 20))
    assert candidates
    for host, port in candidates:
        assert host == "127.0.0.1"
        assert low <= port <= low + 20


async def test_outside_the_scope_aioice_defaults_apply():
    # aioice leaves loopback out: with only lo up there is nothing to gather
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)
    with gathering(("127.0.0.1", "::1")):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]


def test_announce_rewrites_host_candidates_and_connection_line():
    sdp = (
        "v=0\r\nm=video 40000 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 10.0.0.5\r\n"
        "a=candidate:abc 1 udp 2130706431 10.0.0.5 40000 typ host\r\n"
        "a=candidate:def 1 udp 1694498815 5.6.7.8 40000 typ srflx raddr 10.0.0.5 rport 40000\r\n"
    )
    out = announce(sdp, "203.0.113.7")
    assert "a=candidate:abc 1 udp 2130706431 203.0.113.7 40000 typ host" in out
    assert "c=IN IP4 203.0.113.7" in out
    assert "5.6.7.8 40000 typ srflx" in out
    assert announce(sdp, None) == sdp


def test_no_public_stun_and_link_headers():
    assert rtc_configuration().iceServers == []
    assert link_headers(("stun:a.example:3478",)) == ['<stun:a.example:3478>; rel="ice-server"']
