"""ICE settings: which addresses and ports media sockets use, and what the SDP announces.

aioice (under aiortc) has no options for this. It looks up ``aioice.ice.get_host_addresses``
at call time and binds each host candidate with ``loop.create_datagram_endpoint(...,
local_addr=(address, 0))``. :func:`gathering` sets context variables that a wrapper of
each consults, so only gathering started inside ``with gathering(...)`` (and the tasks
it spawns, which copy the context) is affected; everything else sees aioice's defaults.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import re
from collections.abc import Iterator
from contextvars import ContextVar

import aioice.ice
from aiortc import RTCConfiguration

_addresses: ContextVar[tuple[str, ...] | None] = ContextVar("livecast_ice_addresses", default=None)
_ports: ContextVar[tuple[int, int] | None] = ContextVar("livecast_udp_ports", default=None)
_MARK = "_livecast_port_range"


def rtc_configuration() -> RTCConfiguration:
    """Never aiortc's default (a public STUN server): the server needs no STUN of its own."""
    return RTCConfiguration(iceServers=[])


def _host_addresses(original):
    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        chosen = _addresses.get()
        if chosen is None:
            return original(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
        out = []
        for address in chosen:
            version = ipaddress.ip_address(address).version
            if (version == 4 and use_ipv4) or (version == 6 and use_ipv6):
                out.append(address)
        return out

    get_host_addresses._livecast = True
    return get_host_addresses


def _install_host_addresses() -> None:
    if not getattr(aioice.ice.get_host_addresses, "_livecast", False):
        aioice.ice.get_host_addresses = _host_addresses(aioice.ice.get_host_addresses)


def _install_port_range(loop: asyncio.AbstractEventLoop) -> None:
    if getattr(loop, _MARK, False):
        return
    original = loop.create_datagram_endpoint

    async def create_datagram_endpoint(protocol_factory, local_addr=None, **kwargs):
        bounds = _ports.get()
        if bounds is None or local_addr is None or local_addr[1] != 0:
            return await original(protocol_factory, local_addr=local_addr, **kwargs)
        low, high = bounds
        span = high - low + 1
        start = random.randrange(span)
        last_error: OSError | None = None
        for i in range(span):
            port = low + (start + i) % span
            try:
                return await original(protocol_factory, local_addr=(local_addr[0], port), **kwargs)
            except OSError as exc:
                last_error = exc
        raise OSError(f"no free UDP port in {low}-{high}") from last_error

    loop.create_datagram_endpoint = create_datagram_endpoint
    setattr(loop, _MARK, True)


@contextlib.contextmanager
def gathering(
    addresses: tuple[str, ...] | None, ports: tuple[int, int] | None = None
) -> Iterator[None]:
    """Gather host candidates on ``addresses`` (None: aioice's default) within ``ports``."""
    _install_host_addresses()
    if ports is not None:
        _install_port_range(asyncio.get_running_loop())
    a_token = _addresses.set(tuple(addresses) if addresses is not None else None)
    p_token = _ports.set(ports)
    try:
        yield
    finally:
        _addresses.reset(a_token)
        _ports.reset(p_token)


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
