"""Every touch of python-socketio's and python-engineio's internals, in one module.

Written against python-socketio 5.12+ and python-engineio 4.11+ (pinned in
.ci/constraints.txt); :func:`check_internals` runs at start-up, before anything here is
swapped in, and stops ``livecast serve`` with one line naming the package and its
version if an upgrade moved what this module uses:

- broadcasts cost one queue append per recipient: python-socketio's
  ``AsyncManager.emit`` creates a task per recipient; :func:`fan_out` appends the
  encoded Engine.IO packets straight to each recipient's ``AsyncSocket.queue``
  (``AsyncServer.sockets``), which its writer drains as before;
- websockets are answered without permessage-deflate (``_async['websocket']``): chat
  and counter frames are a few hundred bytes, and a zlib context per connection costs
  memory and CPU on every frame of every broadcast;
- hostile input closes the socket with one counted log line, before anything is
  buffered: Socket.IO binary packets (livecast never sends or takes binary; a
  BINARY_EVENT header may claim a million attachments), frames and packets that do not
  decode, polling POST bodies over the message limit (413) or without a length (411).
  The guards sit in the websocket driver's ``wait()``, in ``_handle_eio_message`` and in
  the POST route (whose checked body reaches engineio through ``translate_request``);
- shutdown drops every connection at the transport (no CLOSE packet, which clients take
  as "do not reconnect"), so python-socketio and socket.io-client reconnect;
- :class:`EventNamespace` maps python-socketio's handler calls (``trigger_event``) to
  three methods: admit, leave, event;
- the Redis client manager (several processes) broadcasts what it hears the same way
  (``_handle_emit``) and publishes on a pool that waits for a free connection
  (``_redis_connect``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextvars import ContextVar

import engineio
import redis.asyncio
import socketio
from aiohttp import web
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio import packet

from .. import errors, routing
from ..appkeys import PROCESS_ID
from ..internals import installed_version, run_to_end

log = logging.getLogger(__name__)
_quiet = logging.getLogger(__name__ + ".probe")  # the start-up probes' own chatter
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False

MAX_PAYLOAD_PACKETS = 16  # what python-engineio decodes from one polling POST
# a checked polling POST body, from the POST route to translate_request (same task)
_body: ContextVar[bytes | None] = ContextVar("livecast_eio_body", default=None)


class InternalsMoved(errors.InternalsMoved):
    """The installed python-socketio or python-engineio lacks what this module uses."""


# start-up check
def check_internals(server: socketio.AsyncServer) -> None:
    """Raise :class:`InternalsMoved` (one line: package, version, what moved).

    Attribute and behaviour checks on ``server`` as python-socketio built it and on
    throwaway objects; call it before :func:`install` swaps anything.
    """
    problems = _engineio_problems(server)
    if problems:
        raise InternalsMoved(
            f"python-engineio {installed_version('python-engineio')} moved what "
            f"livecast/realtime/fanout.py uses: {'; '.join(problems)}"
        )
    problems = _socketio_problems(server)
    if problems:
        raise InternalsMoved(
            f"python-socketio {installed_version('python-socketio')} moved what "
            f"livecast/realtime/fanout.py uses: {'; '.join(problems)}"
        )


def _engineio_problems(server: socketio.AsyncServer) -> list[str]:
    eio = server.eio
    problems = []
    if not isinstance(getattr(eio, "sockets", None), dict):
        problems.append("AsyncServer.sockets is no longer a dict")
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict):
        return problems + ["AsyncServer._async (the async driver table) is gone"]
    driver = drivers.get("websocket")
    if not (isinstance(driver, type) and issubclass(driver, eio_aiohttp.WebSocket)):
        problems.append("AsyncServer._async['websocket'] is not the aiohttp WebSocket driver")
    if drivers.get("translate_request") is not eio_aiohttp.translate_request:
        problems.append("AsyncServer._async['translate_request'] is not aiohttp's")
    reason = getattr(eio, "reason", None)
    if not hasattr(reason, "SERVER_DISCONNECT") or not hasattr(reason, "TRANSPORT_CLOSE"):
        problems.append("AsyncServer.reason (4.11+) is missing")
    if problems:
        return problems
    # a socket's queue is where send() puts packets, and what poll() drains
    probe_server = engineio.AsyncServer(async_mode="aiohttp", logger=_quiet)
    try:
        sock = AsyncSocket(probe_server, "probe")
        if not isinstance(getattr(sock, "queue", None), asyncio.Queue) or sock.closed:
            return ["AsyncSocket.queue / closed moved"]
        sock.last_ping = None
        pkt = eio_packet.Packet(eio_packet.MESSAGE, "2probe")
        run_to_end(sock.send(pkt))
        if sock.queue.empty() or sock.queue.get_nowait() is not pkt:
            problems.append("AsyncSocket.send no longer appends to AsyncSocket.queue")
        # the aiohttp driver reads with self._sock.receive() and hands back msg.data
        ws = eio_aiohttp.WebSocket(None, probe_server)

        class Msg:
            data = "4probe"

        class Sock:
            async def receive(self):
                return Msg()

        ws._sock = Sock()
        if run_to_end(ws.wait()) != "4probe":
            problems.append("the aiohttp WebSocket driver's wait() changed")
        environ = eio_aiohttp.translate_request(_FakeRequest())
        if not hasattr(environ.get("wsgi.input"), "read"):
            problems.append("translate_request no longer gives wsgi.input")
    except Exception as exc:
        problems.append(f"socket probe failed: {exc!r}")
    return problems


def _socketio_problems(server: socketio.AsyncServer) -> list[str]:
    problems = []
    if not hasattr(server, "reason") or not hasattr(server.reason, "SERVER_DISCONNECT"):
        problems.append("AsyncServer.reason (disconnect reasons, 5.12+) is missing")
    handler = getattr(server.eio, "handlers", {}).get("message")
    if getattr(handler, "__func__", None) is not getattr(
        type(server), "_handle_eio_message", object()
    ):
        problems.append("AsyncServer._handle_eio_message is no longer the Engine.IO handler")
    if not issubclass(getattr(server, "packet_class", object), packet.Packet):
        problems.append("AsyncServer.packet_class is not a socketio.packet.Packet")
    try:
        pkt = packet.Packet(encoded_packet='2["chat:send",{"text":"hi"}]')
        if pkt.packet_type != packet.EVENT or pkt.data != ["chat:send", {"text": "hi"}]:
            problems.append("Packet(encoded_packet=...) decodes differently")
        if packet.Packet(encoded_packet="51-[]").attachment_count != 1:
            problems.append("Packet no longer reads a binary packet's attachment count")
    except Exception as exc:
        problems.append(f"Packet decoding changed: {exc!r}")
    for name in ("get_participants", "is_connected"):
        if not callable(getattr(server.manager, name, None)):
            problems.append(f"AsyncManager.{name} is gone")
    for name in ("_handle_emit", "_redis_connect"):
        if not callable(getattr(socketio.AsyncRedisManager, name, None)):
            problems.append(f"AsyncRedisManager.{name} is gone")
    if not callable(getattr(socketio.AsyncNamespace, "trigger_event", None)):
        problems.append("AsyncNamespace.trigger_event is gone")
    return problems


class _FakeRequest:
    method = "POST"
    query_string = ""
    path_qs = path = "/socket.io/"
    version = (1, 1)
    headers: dict = {}

    def __init__(self) -> None:
        self.content = _Body(b"")


# hostile input
class Guard:
    """Refuses what livecast never accepts; one log line per refusal, at most one a
    second (the others are counted into the next), and ``on_refused(reason)``."""

    def __init__(self, on_refused=None) -> None:
        self.on_refused = on_refused
        self._last_line = 0.0
        self._quiet = 0

    def refused(self, reason: str) -> None:
        if self.on_refused is not None:
            self.on_refused(reason)
        now = time.monotonic()
        if now - self._last_line < 1.0:
            self._quiet += 1
            return
        more = f" ({self._quiet} more refused since the last line)" if self._quiet else ""
        self._last_line, self._quiet = now, 0
        log.warning("Socket.IO connection closed: %s%s", REASONS.get(reason, reason), more)


REASONS = {
    "binary": "a binary packet (livecast takes none)",
    "malformed": "a packet that does not decode",
    "too_large": "a polling POST over the message limit (413)",
    "no_length": "a polling POST without Content-Length (411)",
}


def frame_problem(data) -> str | None:
    """What is wrong with one Engine.IO packet as received, before any decoding."""
    if not isinstance(data, str):
        return "binary"
    if not data or data[0] not in "0123456":
        return "binary" if data[:1] == "b" else "malformed"
    if data[0] == "4" and data[1:2] in ("5", "6"):
        return "binary"  # a Socket.IO BINARY_EVENT / BINARY_ACK header
    return None


def packet_problem(data) -> str | None:
    """What is wrong with a Socket.IO packet before decoding: livecast's clients send
    CONNECT, DISCONNECT and EVENT only (never binary, and never an ACK: the server
    asks for none)."""
    if not isinstance(data, str):
        return "binary"
    if not data or data[0] not in "012":
        return "binary" if data[:1] in ("5", "6") else "malformed"
    return None


class MalformedPacket(ValueError):
    """A Socket.IO packet that does not decode into something livecast handles."""


class CheckedPacket(packet.Packet):
    """python-socketio's packet, refusing binary types and shapes no handler takes."""

    def decode(self, encoded_packet):
        if not isinstance(encoded_packet, str) or encoded_packet[:1] in ("5", "6"):
            raise MalformedPacket("binary")
        try:
            count = super().decode(encoded_packet)
        except (ValueError, TypeError, RecursionError, IndexError) as exc:
            raise MalformedPacket("malformed") from exc
        data = self.data
        if self.namespace not in (None, "/"):
            raise MalformedPacket("malformed")  # livecast serves the namespace "/" only
        if self.packet_type == packet.EVENT and not (
            isinstance(data, list) and data and isinstance(data[0], str)
        ):
            raise MalformedPacket("malformed")
        if self.packet_type == packet.CONNECT and not (data is None or isinstance(data, dict)):
            raise MalformedPacket("malformed")
        return count


class Server(socketio.AsyncServer):
    """python-socketio's server with the guards; see :func:`create_server`."""

    guard: Guard

    async def _handle_eio_message(self, eio_sid, data):
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or sock.closed:
            return  # refused already: what the client still sends is dropped
        reason = packet_problem(data)
        if reason is None:
            try:
                return await super()._handle_eio_message(eio_sid, data)
            except MalformedPacket as exc:
                reason = str(exc)
        await self.refuse(eio_sid, reason)

    async def refuse(self, eio_sid: str, reason: str) -> None:
        self.guard.refused(reason)
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            await _drop(sock, self.eio.reason.SERVER_DISCONNECT)


def create_server(on_refused=None, **options) -> Server:
    """A :class:`Server` (``options`` as for ``socketio.AsyncServer``), checked, then
    with the uncompressed and guarded websocket driver swapped in."""
    server = Server(serializer=CheckedPacket, **options)
    check_internals(server)
    server.guard = Guard(on_refused)
    server.eio._async = {
        **server.eio._async,
        "websocket": _websocket_driver(server.guard),
        "translate_request": _translate_request,
    }
    return server


def _websocket_driver(guard: Guard):
    class GuardedWebSocket(eio_aiohttp.WebSocket):
        """engineio's aiohttp websocket: no permessage-deflate, refuses bad frames."""

        async def __call__(self, environ):
            request = environ["aiohttp.request"]
            self._sock = web.WebSocketResponse(
                max_msg_size=self.server.max_http_buffer_size, compress=False
            )
            await self._sock.prepare(request)
            self.environ = environ
            await self.handler(self)
            return self._sock

        async def wait(self):
            data = await super().wait()
            reason = frame_problem(data)
            if reason is not None:
                guard.refused(reason)
                raise OSError(reason)  # engineio closes the socket on a read error
            return data

    return GuardedWebSocket


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    async def read(self, n: int = -1) -> bytes:
        return self._body


def _translate_request(request):
    environ = eio_aiohttp.translate_request(request)
    body = _body.get()
    if body is not None:
        environ["wsgi.input"] = _Body(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def payload_problem(body: bytes) -> str | None:
    """What is wrong with a polling POST body (Engine.IO v4 payload), if anything."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "malformed"
    if not text:
        return None
    parts = text.split("\x1e")
    if len(parts) > MAX_PAYLOAD_PACKETS:
        return "malformed"
    for part in parts:
        if reason := frame_problem(part):
            return reason
    return None


def attach(server: Server, app: web.Application, path: str = "/socket.io/") -> None:
    """Routes for Engine.IO (``sio.attach``), with polling POST bodies checked.

    Engine.IO session ids start with this process's id (``generate_id``), and a polling
    request for another process's session is forwarded to it (livecast/routing.py): under
    ``serve --workers`` a client's polls may reach any process. (A websocket upgrade of
    such a session is refused by the process that gets it; the client keeps polling.)
    """
    eio = server.eio
    limit = eio.max_http_buffer_size
    prefix = app[PROCESS_ID] + "-"
    generate_id = eio.generate_id
    eio.generate_id = lambda: prefix + generate_id()

    async def elsewhere(request: web.Request) -> web.StreamResponse | None:
        sid = request.query.get("sid")
        if not sid or sid in eio.sockets or request.query.get("transport") != "polling":
            return None
        return await routing.forward(request, sid)

    async def get(request: web.Request) -> web.StreamResponse:
        forwarded = await elsewhere(request)
        return forwarded if forwarded is not None else await eio.handle_request(request)

    async def post(request: web.Request) -> web.StreamResponse:
        forwarded = await elsewhere(request)
        if forwarded is not None:
            return forwarded
        length = request.content_length
        if length is None:
            if request.body_exists:
                server.guard.refused("no_length")
                return _plain(411, "Length Required")
            length = 0
        if length > limit:
            server.guard.refused("too_large")
            return _plain(413, f"a message is at most {limit} bytes")
        body = await request.content.readexactly(length) if length else b""
        reason = payload_problem(body)
        if reason is not None:
            sid = request.query.get("sid")
            if sid in eio.sockets:
                await server.refuse(sid, reason)
            else:
                server.guard.refused(reason)
            return _plain(400, "refused")
        token = _body.set(body)
        try:
            return await eio.handle_request(request)
        finally:
            _body.reset(token)

    app.router.add_get(path, get)
    app.router.add_post(path, post)
    app.router.add_route("OPTIONS", path, eio.handle_request)


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)


# connections
async def _drop(sock: AsyncSocket, reason) -> None:
    """Close an Engine.IO socket at the transport, without a CLOSE packet.

    ``abort=True``: no CLOSE packet (python-socketio's client takes one as "the server
    meant it" and does not reconnect); ``None`` in its queue ends the websocket writer
    (which closes the websocket) or the pending long-poll.
    """
    if sock.closed:
        return
    await sock.close(wait=False, abort=True, reason=reason)
    sock.queue.put_nowait(None)


async def drop_all(server: socketio.AsyncServer, timeout: float) -> int:
    """Drop every connection of this process (shutdown): clients reconnect, to this
    server's successor. Returns how many; gives up waiting after ``timeout``."""
    sockets = list(server.eio.sockets.values())
    if not sockets:
        return 0
    reason = server.eio.reason.SERVER_DISCONNECT
    closing = [asyncio.ensure_future(_drop(s, reason)) for s in sockets]
    done, pending = await asyncio.wait(closing, timeout=timeout)
    for task in pending:
        task.cancel()
    for task in done:
        if not task.cancelled():
            task.exception()  # retrieved: a socket that failed to close is closed anyway
    if pending:
        log.warning("%d Socket.IO connections did not close in %.0f s", len(pending), timeout)
    return len(sockets)


def is_connected(server: socketio.AsyncServer, sid: str) -> bool:
    """True once python-socketio sent the client its CONNECT packet."""
    return server.manager.is_connected(sid, "/")


async def close_manager(server: socketio.AsyncServer) -> None:
    """Stop the Redis client manager's listener and close its clients (several processes)."""
    manager = server.manager
    thread = getattr(manager, "thread", None)
    if thread is not None:
        thread.cancel()
        await asyncio.gather(thread, return_exceptions=True)
    for name in ("pubsub", "redis"):
        client = getattr(manager, name, None)
        if client is not None:
            try:
                await client.aclose()
            except Exception:
                log.exception("closing the Socket.IO Redis manager's %s failed", name)


class EventNamespace(socketio.AsyncNamespace):
    """The namespace "/": python-socketio's calls mapped to :meth:`admit`,
    :meth:`leave` and :meth:`event` (event names hold ':', so not ``on_<event>``)."""

    def __init__(self) -> None:
        super().__init__("/")
        self._admitted: set[str] = set()

    async def trigger_event(self, event, *args):
        sid = args[0] if args else None
        # python-socketio calls connect(sid, environ, auth) and disconnect(sid, reason)
        # itself; a client *event* named so is bogus
        if event == "connect" and len(args) == 3 and sid not in self._admitted:
            await self.admit(sid, args[2])
            self._admitted.add(sid)
            return None
        if event == "disconnect" and not self.server.manager.is_connected(sid, "/"):
            self._admitted.discard(sid)
            return await self.leave(sid)
        return await self.event(event, sid, args[1:])

    async def admit(self, sid: str, auth) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def leave(self, sid: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def event(self, event: str, sid: str, args: tuple):  # pragma: no cover - abstract
        raise NotImplementedError


# broadcasts
def encode(server: socketio.AsyncServer, event: str, data, namespace: str):
    if isinstance(data, tuple):
        args = list(data)
    elif data is None:
        args = []
    else:
        args = [data]
    pkt = packet.Packet(packet.EVENT, namespace=namespace, data=[event, *args])
    encoded = pkt.encode()
    if not isinstance(encoded, list):
        encoded = [encoded]
    return [eio_packet.Packet(eio_packet.MESSAGE, p) for p in encoded]


def fan_out(manager: socketio.AsyncManager, event, data, namespace, room, skip_sid) -> int:
    """Queue ``event`` for every participant of ``room``; returns how many got it."""
    namespace = namespace or "/"
    if namespace not in manager.rooms:
        return 0
    skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
    packets = encode(manager.server, event, data, namespace)
    sockets = manager.server.eio.sockets
    sent = 0
    for sid, eio_sid in manager.get_participants(namespace, room):
        if sid in skip:
            continue
        socket = sockets.get(eio_sid)
        if socket is None or socket.closed:
            continue
        queue: asyncio.Queue = socket.queue
        for p in packets:
            queue.put_nowait(p)
        sent += 1
    return sent


class LocalManager(socketio.AsyncManager):
    """One process: broadcasts without a task per recipient."""

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None,
                   to=None, **kwargs):  # fmt: skip
        if callback is not None:
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                      callback=callback, to=to, **kwargs)  # fmt: skip
        fan_out(self, event, data, namespace, to or room, skip_sid)


class RedisManager(socketio.AsyncRedisManager):
    """Several processes: what comes in over Redis pub/sub is broadcast the same way."""

    PUBLISH_CONNECTIONS = 32

    def _redis_connect(self):
        """The manager's client on a pool that WAITS for a free connection: redis-py's
        default pool raises "Too many connections" past its limit, and python-socketio
        answers that by dropping the client and connecting anew -- under a burst of emits,
        a storm of new connections and no emit delivered."""
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            self.redis_url, max_connections=self.PUBLISH_CONNECTIONS, timeout=10
        )
        self.redis = redis.asyncio.Redis.from_pool(pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    async def _handle_emit(self, message):
        if message.get("callback") is not None or message.get("binary"):
            return await super()._handle_emit(message)
        data = message["data"]
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        fan_out(self, message["event"], data, message.get("namespace"), message.get("room"),
                message.get("skip_sid"))  # fmt: skip
