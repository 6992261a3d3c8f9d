"""EdgeFeed: a show's frames from another node, as that node's WHEP viewer.

When a show's host is on another node (its lease names a process whose card has another
node id), :class:`~livecast.media.feeds.Feeds` makes ONE :class:`EdgeFeed` per show on
this node: a recvonly WHEP session to ``{card.url}/whep/{show}`` whose receivers are
tapped like a host's (frames are never decoded) and whose frames go to the show's relay
as if a host sent them. Keyframe requests of this node's viewers go upstream as PLIs.

The edge says who it is in ``X-Livecast-Edge: <node>.<unix time>.<signature>``, an HMAC of
the show, the node and the time under the shared ``LIVECAST_SECRET`` (valid for
``MAX_AGE`` seconds either way). The origin then (media/plane.py ``watch``):

- answers ``401 bad_edge`` to a signature that does not match (nodes with different
  secrets: the misconfiguration is loud, not a silent viewer);
- answers ``409 not_origin`` unless it receives the show's public broadcast itself (its
  host, or a feed from a process of its own node), checked before it makes any feed of
  its own: an edge never feeds from another edge (no loops when two nodes read a moving
  lease differently), and never gets a rehearsal, which is private to the host's own
  players (and has no lease, so no edge asks for one);
- answers ``409 same_node`` to a request signed by its own node (a ``LIVECAST_NODE_URL``
  that points back at the node asking);
- does not count the edge against ``LIVECAST_MAX_VIEWERS``: it carries a whole node's
  audience.

No host key ever leaves a node: the edge is an ordinary viewer otherwise.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import time
from urllib.parse import urljoin

import aiohttp
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

from ..appkeys import PROCESS_CARD
from . import aiortc_tap
from .aiortc_tap import gathering
from .ice import announce, rtc_configuration
from .sessions import AUDIO_CODECS, VIDEO_CODECS, answered_codec, preferences

log = logging.getLogger(__name__)

EDGE_HEADER = "X-Livecast-Edge"
MAX_AGE = 60  # seconds a signature is good for (either way: the nodes' clocks may differ)
NO_FRAMES_SECONDS = 10.0  # connected but silent this long: closed, Feeds connects again
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
DELETE_TIMEOUT = aiohttp.ClientTimeout(total=3)
_VALUE_RE = re.compile(r"^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")


def _signature(secret: str, show: str, node: str, t: int) -> str:
    message = f"livecast-edge\n{show}\n{node}\n{t}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_edge(secret: str, show: str, node: str, now: float | None = None) -> str:
    """The ``X-Livecast-Edge`` value for ``node``'s WHEP request for ``show``."""
    t = int(time.time() if now is None else now)
    return f"{node}.{t}.{_signature(secret, show, node, t)}"


def verify_edge(secret: str, show: str, value: str, now: float | None = None) -> str | None:
    """The node an ``X-Livecast-Edge`` value was signed by, or None (bad, or too old)."""
    match = _VALUE_RE.match(value.strip())
    if match is None:
        return None
    node, t, signature = match.group(1), int(match.group(2)), match.group(3)
    if abs((time.time() if now is None else now) - t) > MAX_AGE:
        return None
    if not hmac.compare_digest(signature, _signature(secret, show, node, t)):
        return None
    return node


class EdgeRefused(Exception):
    """The origin answered the WHEP offer with an error (Feeds tries again later)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class EdgeFeed:
    """One WHEP session to the node holding the show's host; frames to ``relay``."""

    edge = True  # the node's other processes may take the frames from this one

    def __init__(self, plane, relay, card) -> None:
        self.owner = self.origin = card.process
        self.node = card.node
        self.url = f"{card.url.rstrip('/')}/whep/{relay.show}"
        self.video_codec: str | None = None
        self.closed = False  # broken (or closed): Feeds replaces it on its next check
        self.frames = 0
        self.last_frame: float | None = None
        self.location: str | None = None  # the WHEP session on the origin
        self._plane = plane
        self._relay = relay
        self._pc = RTCPeerConnection(rtc_configuration())
        self._video_receiver = None
        self._http: aiohttp.ClientSession | None = None
        self._watchdog: asyncio.Task | None = None
        self._started = time.monotonic()
        self._released = False

    async def start(self) -> None:
        """Offer, POST it to the origin, apply its answer (raises on refusal)."""
        relay, settings = self._relay, self._plane.settings
        relay.timeline.new_session()  # this session's timestamps start anew
        for kind, codecs in (("video", VIDEO_CODECS), ("audio", AUDIO_CODECS)):
            transceiver = self._pc.addTransceiver(kind, direction="recvonly")
            transceiver.setCodecPreferences(
                preferences(kind, codecs, RTCRtpReceiver.getCapabilities)
            )
            aiortc_tap.tap_receiver(transceiver.receiver, self._frame_handler(kind))
            if kind == "video":
                self._video_receiver = transceiver.receiver
        self._pc.on("connectionstatechange", self._state_changed)
        with gathering(settings.ice_addresses, settings.udp_ports):
            await self._pc.setLocalDescription(await self._pc.createOffer())
        offer = announce(self._pc.localDescription.sdp, settings.announced_address)
        answer = await self._post(offer)
        self.video_codec = answered_codec(answer, "video")
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        self._started = time.monotonic()
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())
        # viewers already here (a feed that came back): resume at the next keyframe
        if relay.host is None:  # (a host that went live here meanwhile has them)
            for viewer in list(relay.viewers):
                viewer.host_changed(self.video_codec)

    async def _post(self, offer: str) -> str:
        settings = self._plane.settings
        node = self._plane.app[PROCESS_CARD].node
        headers = {
            "Content-Type": "application/sdp",
            EDGE_HEADER: sign_edge(settings.secret or "", self._relay.show, node),
        }
        self._http = aiohttp.ClientSession(timeout=HTTP_TIMEOUT)
        async with self._http.post(self.url, data=offer.encode(), headers=headers) as res:
            body = await res.text()
            if res.status != 201:
                code, message = "http_error", body[:200]
                if res.content_type == "application/json":
                    try:
                        error = await res.json()
                        code, message = error["error"], error["message"]
                    except (ValueError, KeyError, TypeError):
                        pass
                raise EdgeRefused(res.status, code, message)
            location = res.headers.get("Location")
            self.location = urljoin(self.url, location) if location else None
            return body

    def _frame_handler(self, kind: str):
        relay = self._relay

        def on_frame(codec, frame) -> None:
            self.last_frame = time.monotonic()
            self.frames += 1
            relay.on_frame(
                self, kind, codec.name.upper(), codec.clockRate, frame.data, frame.timestamp
            )

        return on_frame

    def _state_changed(self) -> None:
        if self._pc.connectionState in ("failed", "closed") and not self.closed:
            self._broken("ice " + self._pc.connectionState)

    def _broken(self, reason: str) -> None:
        self.closed = True
        log.info("feed of %s from %s ended (%s)", self._relay.show, self.url, reason)

    async def _watch(self) -> None:
        try:
            while not self.closed:
                await asyncio.sleep(0.5)
                if time.monotonic() - (self.last_frame or self._started) > NO_FRAMES_SECONDS:
                    self._broken("no frames")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("edge feed watchdog for %s failed", self._relay.show)

    async def request_keyframe(self) -> bool:
        """A PLI to the origin (which coalesces them and asks its host)."""
        if self._video_receiver is None or self._released:
            return False
        return await aiortc_tap.send_pli(self._video_receiver)

    async def close(self) -> None:
        """End the WHEP session (DELETE, best effort) and the peer; safe to call twice."""
        if self._released:
            return
        self._released = True
        self.closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None
        if self._http is not None:
            if self.location is not None:
                try:
                    async with self._http.delete(self.location, timeout=DELETE_TIMEOUT):
                        pass
                except (aiohttp.ClientError, TimeoutError) as exc:
                    # the origin ends the session when its peer sees ours close
                    log.info("could not DELETE %s: %r", self.location, exc)
            await self._http.close()
            self._http = None
        await self._pc.close()
