"""Frames between the processes of one node (``serve --workers``), over unix sockets.

The process holding a show's host packetizes each frame once (media/relay.py); a
process with viewers of that show connects to the holder's media socket (its card,
livecast/node.py) and subscribes to the show. Each frame then crosses ONCE per
subscribing process, as its RTP payloads and per-frame metadata (never decoded), and
that process sends it to its own viewers like a local frame. Keyframe requests travel
back the same connection.

Why a stream socket: a unix datagram socket is the simple first try, but its queue is
bounded in datagrams by ``net.unix.max_dgram_qlen`` (10 on this machine and many
others): a subscriber whose loop is busy for a few frames would make the holder drop
them. A stream socket queues bytes (its buffer, then the transport's); a subscriber that
falls ``MAX_BUFFERED`` behind loses video until the next keyframe instead of growing a
queue without bound.

Messages: ``u32 length`` then ``u8 type`` and a body (``_Reader``/``_pack_*``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct

log = logging.getLogger(__name__)

SUB, UNSUB, PLI, HELLO, FRAME, GONE = 1, 2, 3, 4, 5, 6
KINDS = ("video", "audio")
MAX_MESSAGE = 8 * 1024 * 1024  # a frame far above any real one: the peer is broken
MAX_BUFFERED = 256 * 1024  # bytes waiting for one subscriber before video is dropped (~2 s)
HELLO_TIMEOUT = 3.0

_U32 = struct.Struct("!I")
_FRAME = struct.Struct("!BBIQH")  # kind, keyframe, rtp timestamp, ntp, payload count
_U16 = struct.Struct("!H")


def _name(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 255:
        raise ValueError("name too long")
    return bytes((len(raw),)) + raw


def message(kind: int, body: bytes) -> bytes:
    return _U32.pack(len(body) + 1) + bytes((kind,)) + body


def pack_frame(show: str, kind: str, codec: str, keyframe: bool, packed) -> bytes:
    payloads, timestamp, ntp = packed
    parts = [
        _name(show),
        _name(codec),
        _FRAME.pack(KINDS.index(kind), keyframe, timestamp & 0xFFFFFFFF, ntp, len(payloads)),
    ]
    for payload in payloads:
        parts.append(_U16.pack(len(payload)))
        parts.append(payload)
    return message(FRAME, b"".join(parts))


class _Reader:
    """Reads one message body."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.at = 0

    def name(self) -> str:
        n = self.body[self.at]
        text = self.body[self.at + 1 : self.at + 1 + n].decode()
        self.at += 1 + n
        return text

    def frame(self):
        kind, keyframe, timestamp, ntp, count = _FRAME.unpack_from(self.body, self.at)
        at = self.at + _FRAME.size
        body = self.body
        payloads = []
        for _ in range(count):
            (n,) = _U16.unpack_from(body, at)
            payloads.append(body[at + 2 : at + 2 + n])
            at += 2 + n
        if at != len(body):
            raise ValueError("frame length mismatch")
        return KINDS[kind], bool(keyframe), (payloads, timestamp, ntp)


class Link(asyncio.Protocol):
    """One connection between two processes of the node (either end)."""

    def __init__(self, links: Links) -> None:
        self.links = links
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self.shows: set[str] = set()  # served end: the shows this peer subscribed to
        self.previews: set[str] = set()  # ... of which rehearsals (host's players only)
        self.skipping: set[str] = set()  # served end: shows whose video waits for a keyframe
        self.lost = asyncio.get_running_loop().create_future()
        self.dropped = 0

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.links.open.add(self)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        try:
            while len(buffer) - at >= 4:
                (n,) = _U32.unpack_from(buffer, at)
                if n < 1 or n > MAX_MESSAGE:
                    raise ValueError(f"message of {n} bytes")
                if len(buffer) - at - 4 < n:
                    break
                kind = buffer[at + 4]
                body = bytes(buffer[at + 5 : at + 4 + n])
                at += 4 + n
                self.links.received(self, kind, _Reader(body))
        except Exception as exc:  # a broken peer: drop the connection, feeds reconnect
            log.warning("media link broken: %r", exc)
            del buffer[:]
            self.transport.close()
            return
        del buffer[:at]

    def connection_lost(self, exc) -> None:
        if not self.lost.done():
            self.lost.set_result(None)
        self.links.lost(self)

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send_frame(self, show: str, data: bytes, kind: str, keyframe: bool) -> bool:
        """A frame for this subscriber; video waits for a keyframe once it falls behind."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        if kind == "video":
            if show in self.skipping:
                if not keyframe:
                    self.dropped += 1
                    return False
                self.skipping.discard(show)
            if transport.get_write_buffer_size() > MAX_BUFFERED:
                self.skipping.add(show)
                self.dropped += 1
                return False
        elif transport.get_write_buffer_size() > MAX_BUFFERED:
            self.dropped += 1
            return False
        transport.write(data)
        return True


class WorkerFeed:
    """A show's frames from the process of this node that holds its host (feeds.Feed)."""

    def __init__(self, plane, relay, card) -> None:
        self.links: Links = plane.feeds.links
        self.relay = relay
        self.owner = self.origin = card.process
        self.path = card.media
        self.video_codec: str | None = None
        self.closed = False
        self.private = False  # set by Feeds: subscribe to a rehearsal
        self.link: Link | None = None
        self._hello: asyncio.Future | None = None

    async def start(self) -> None:
        self.link = await self.links.connect(self.path)
        self._hello = asyncio.get_running_loop().create_future()
        self.links.feeds[(self.link, self.relay.show)] = self
        self.link.send(message(SUB, _name(self.relay.show) + bytes((self.private,))))
        on_air, codec = await asyncio.wait_for(self._hello, HELLO_TIMEOUT)
        if not on_air:
            raise ConnectionError("the host is no longer in that process")
        self.video_codec = codec or None

    def hello(self, on_air: bool, codec: str) -> None:
        if self._hello is not None and not self._hello.done():
            self._hello.set_result((on_air, codec))
        elif not on_air:
            self.closed = True

    def frame(self, kind: str, codec: str, keyframe: bool, packed) -> None:
        if not self.closed and self.relay.feed is self:
            self.relay.on_packed(kind, codec, keyframe, packed)

    async def request_keyframe(self) -> bool:
        if self.closed or self.link is None:
            return False
        self.link.send(message(PLI, _name(self.relay.show)))
        return True

    async def close(self) -> None:
        if self.closed and self.link is None:
            return
        self.closed = True
        link, self.link = self.link, None
        if link is not None:
            self.links.feeds.pop((link, self.relay.show), None)
            link.send(message(UNSUB, _name(self.relay.show)))


class Links:
    """This process's media socket (served) and its connections to the others."""

    def __init__(self, plane) -> None:
        self.plane = plane
        self.server: asyncio.AbstractServer | None = None
        self.path: str | None = None
        self.outgoing: dict[str, Link] = {}
        self._connecting: dict[str, asyncio.Future] = {}
        self.feeds: dict[tuple[Link, str], WorkerFeed] = {}
        self.open: set[Link] = set()  # every connection, served or made

    async def start(self, path: str) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        loop = asyncio.get_running_loop()
        self.server = await loop.create_unix_server(lambda: Link(self), path)
        os.chmod(path, 0o600)
        self.path = path

    async def connect(self, path: str) -> Link:
        link = self.outgoing.get(path)
        if link is not None and not link.lost.done():
            return link
        pending = self._connecting.get(path)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        future = self._connecting[path] = loop.create_future()
        try:
            _, link = await loop.create_unix_connection(lambda: Link(self), path)
            self.outgoing[path] = link
            future.set_result(link)
            return link
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: awaiting callers get it
            raise
        finally:
            self._connecting.pop(path, None)

    # messages
    def received(self, link: Link, kind: int, reader: _Reader) -> None:
        show = reader.name()
        if kind == FRAME:
            codec = reader.name()
            feed = self.feeds.get((link, show))
            if feed is not None:
                frame_kind, keyframe, packed = reader.frame()
                feed.frame(frame_kind, codec, keyframe, packed)
        elif kind == SUB:
            self._subscribe(link, show, bool(reader.body[reader.at]))
        elif kind == UNSUB:
            self._unsubscribe(link, show)
        elif kind == PLI:
            relay = self.plane.relays.get(show)
            if relay is not None and relay.on_air:
                relay.keyframes.request()
        elif kind in (HELLO, GONE):
            feed = self.feeds.get((link, show))
            if feed is not None:
                if kind == HELLO:
                    on_air = bool(reader.body[reader.at])
                    reader.at += 1
                    feed.hello(on_air, reader.name())
                else:
                    feed.closed = True
        else:
            raise ValueError(f"unknown message {kind}")

    def _subscribe(self, link: Link, show: str, private: bool) -> None:
        """A process subscribes to a show this one hosts (``private``: to its rehearsal,
        for the host's own players there; a public subscriber never gets a rehearsal)."""
        relay = self.plane.relays.get(show)
        host = relay.host if relay is not None else None
        feed = relay.feed if relay is not None else None
        on_air = (host is not None and host.rehearsal == private) or (
            host is None  # this process holds the node's edge feed of the show
            and not private
            and getattr(feed, "edge", False)
            and not feed.closed
        )
        if on_air:
            link.shows.add(show)
            if private:
                link.previews.add(show)
            link.skipping.add(show)  # from the next keyframe on
            relay.remote.add(link)
            relay.keyframes.request()
        codec = (relay.video_codec or "") if relay is not None else ""
        link.send(message(HELLO, _name(show) + bytes((on_air,)) + _name(codec)))

    def _unsubscribe(self, link: Link, show: str) -> None:
        link.shows.discard(show)
        link.previews.discard(show)
        relay = self.plane.relays.get(show)
        if relay is not None:
            relay.remote.discard(link)

    def host_left(self, relay) -> None:
        """The show's host left this process: its subscribers look for it elsewhere."""
        for link in list(relay.remote):
            link.shows.discard(relay.show)
            link.previews.discard(relay.show)
            link.send(message(GONE, _name(relay.show)))
        relay.remote.clear()

    def lost(self, link: Link) -> None:
        self.open.discard(link)
        for show in list(link.shows):
            relay = self.plane.relays.get(show)
            if relay is not None:
                relay.remote.discard(link)
        link.shows.clear()
        for key in [key for key in self.feeds if key[0] is link]:
            self.feeds.pop(key).closed = True
        for path, outgoing in list(self.outgoing.items()):
            if outgoing is link:
                del self.outgoing[path]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for link in list(self.open):
            if link.transport is not None:
                link.transport.close()
        if self.path:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
