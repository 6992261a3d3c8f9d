"""ICE: which addresses and ports media sockets use, and RTP read off the ICE connection.

aioice 0.13 (under aiortc) has no options for the addresses or ports it gathers on. It
looks up ``aioice.ice.get_host_addresses`` at call time and binds each host candidate
with ``loop.create_datagram_endpoint(..., local_addr=(address, 0))``. :func:`gathering`
sets context variables that a wrapper of each consults, so only gathering started inside
``with gathering(...)`` (and the tasks it spawns, which copy the context) is affected;
everything else sees aioice's defaults.

:func:`intercept_rtp` reads SRTP straight off the connection's protocols (benchmark
viewers that never decode).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import aioice.ice

_addresses: ContextVar[tuple[str, ...] | None] = ContextVar("livecast_ice_addresses", default=None)
_ports: ContextVar[tuple[int, int] | None] = ContextVar("livecast_udp_ports", default=None)
_MARK = "_livecast_port_range"


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


def ice_connection(pc):
    """The aioice ``Connection`` and the ``RTCDtlsTransport`` under a (bundled) pc."""
    dtls = pc.getTransceivers()[0].receiver.transport
    return dtls.transport._connection, dtls


def intercept_rtp(pc, on_rtp: Callable[[bytes, object], None]) -> None:
    """Hand every SRTP (not SRTCP) datagram of ``pc`` to ``on_rtp(data, rx_srtp)``.

    For light benchmark viewers: their receivers never see media (no jitter buffer, no
    NACK, no decoding); ``on_rtp`` reads the clear RTP header and unprotects only what it
    must with ``rx_srtp.unprotect``. DTLS, STUN and RTCP go the usual way. Call after
    ``setRemoteDescription``.
    """
    connection, dtls = ice_connection(pc)
    for protocol in connection._protocols:  # one per local candidate, made when gathering
        original = protocol.datagram_received

        def datagram_received(data: bytes, addr, original=original) -> None:
            if 127 < data[0] < 192 and not 191 < data[1] < 224:
                srtp = getattr(dtls, "_rx_srtp", None)
                if srtp is not None:
                    on_rtp(data, srtp)
                    return
            original(data, addr)

        protocol.datagram_received = datagram_received
