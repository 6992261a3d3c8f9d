"""ICE settings: what the SDP announces and which STUN/TURN servers browsers get.

Gathering on chosen addresses and ports needs aioice internals: see
:func:`livecast.media.aiortc_tap.gathering`.
"""

from __future__ import annotations

import ipaddress
import re

from aiortc import RTCConfiguration


def rtc_configuration() -> RTCConfiguration:
    """Never aiortc's default (a public STUN server): the server needs no STUN of its own."""
    return RTCConfiguration(iceServers=[])


_CANDIDATE_RE = re.compile(r"^(a=candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ host.*)$")


def announce(sdp: str, address: str | None) -> str:
    """Replace host candidate addresses (and ``c=`` lines) with ``address`` (1:1 NAT)."""
    if not address:
        return sdp
    family = "IP6" if ipaddress.ip_address(address).version == 6 else "IP4"
    lines = []
    for line in sdp.splitlines():
        if match := _CANDIDATE_RE.match(line):
            line = f"{match.group(1)}{address}{match.group(3)}"
        elif line.startswith("c=IN ") and not line.endswith(" 0.0.0.0"):
            line = f"c=IN {family} {address}"
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def link_headers(ice_servers: tuple[str, ...]) -> list[str]:
    """RFC 9725 section 4.6: one ``Link: <url>; rel="ice-server"`` per server."""
    return [f'<{url}>; rel="ice-server"' for url in ice_servers]
