"""The realtime plane's core: who is connected, the event table, state on connect, rooms."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiohttp import web
from redis.exceptions import RedisError

from .. import hub, outage
from ..appkeys import HUB, METRICS, PROCESS_ID, REDIS, REDIS_HEALTH, SETTINGS
from ..store import catalog, host_lease, keys, report
from ..store import chat as chat_store
from ..store import moderation as mod_store
from ..store.errors import StoreError
from ..store.orders import Orders
from ..store.sales import Buyer
from ..tokens import issue_token, new_viewer_id, verify_token
from . import chat, commerce, fanout, moderation
from .bridge import HubBridge
from .broadcast import Broadcasts
from .errors import EventError, Forbidden, Invalid, RateLimited
from .members import ROLES, STAFF, Auth, Member, Refused, default_name, parse_auth

log = logging.getLogger(__name__)

HISTORY_ON_CONNECT = 50
SHUTDOWN_SECONDS = 1.0  # SIGTERM: what dropping connections and leaving Redis tidy may take
Handler = Callable[["Realtime", Member, Any], Awaitable[dict]]

# event -> (roles allowed, handler)
EVENTS: dict[str, tuple[tuple[str, ...], Handler]] = {
    "chat:send": (ROLES, chat.send),
    "react": (ROLES, chat.react),
    "buy": (("viewer",), commerce.buy),
    "my:orders": (("viewer",), commerce.my_orders),
    "product:feature": (("host",), commerce.feature),
    "deal:start": (("host",), commerce.deal_start),
    "deal:end": (("host",), commerce.deal_end),
    "show:end": (("host",), commerce.show_end),
    "mod:delete": (STAFF, moderation.delete),
    "mod:clear": (STAFF, moderation.clear),
    "mod:pin": (STAFF, moderation.pin),
    "mod:slow": (STAFF, moderation.slow),
    "mod:words": (STAFF, moderation.words),
    "mod:timeout": (STAFF, moderation.timeout),
    "mod:ban": (STAFF, moderation.ban),
    "mod:unban": (STAFF, moderation.unban),
    "mod:user": (STAFF, moderation.user_history),
}


class Realtime:
    """Owns the Socket.IO server's state for one app (one process)."""

    def __init__(self, app: web.Application, sio: socketio.AsyncServer):
        self.app = app
        self.sio = sio
        self.settings = app[SETTINGS]
        self.hub: hub.Hub = app[HUB]
        self.metrics = app[METRICS]
        self.process_id = app[PROCESS_ID]
        self.members: dict[str, Member] = {}
        self.viewer_counts: Counter[str] = Counter()
        self.broadcasts = Broadcasts(self)
        self.deals = commerce.DealTimers(self)
        self.toasts = commerce.ToastSampler()
        self._tasks: set[asyncio.Task] = set()
        self.r = None
        self.buyer: Buyer | None = None
        self.orders: Orders | None = None
        self.limits: chat_store.SendLimits | None = None
        self.bridge: HubBridge | None = None

    # rooms
    @staticmethod
    def show_room(show: str) -> str:
        return f"show:{show}"

    @staticmethod
    def mods_room(show: str) -> str:
        return f"mods:{show}"

    @staticmethod
    def audience_room(show: str) -> str:
        """Everyone but staff: they get the sampled chat:batch when chat storms."""
        return f"audience:{show}"

    @staticmethod
    def user_room(show: str, user: str) -> str:
        return f"user:{show}:{user}"

    @staticmethod
    def host_room(show: str) -> str:
        """The host's sockets: they see orders with buyers' details (moderators do not)."""
        return f"host:{show}"

    def checkout_url(self, order_id: str) -> str:
        base = self.settings.public_url or ""
        return f"{base}/checkout/{order_id}"

    async def emit(self, event: str, data: Any, *, room: str) -> None:
        await self.sio.emit(event, data, room=room)

    async def publish(self, show: str, kind: str, data: Any) -> None:
        """On this process's hub, and (several processes) on the others' through Redis."""
        self.hub.publish(show, kind, data)
        if self.bridge is not None:
            try:
                await self.bridge.publish(show, kind, data)
            except Exception as exc:
                if not self.redis_error(exc, "hub"):
                    log.exception("sharing hub event %s with other processes failed", kind)

    # lifecycle (aiohttp cleanup_ctx)
    async def ctx(self, app: web.Application):
        self.r = app[REDIS]
        hooked = self.settings.webhook_url is not None
        self.buyer = Buyer(self.r, hold_minutes=self.settings.hold_minutes, webhooks=hooked)
        self.orders = Orders(self.r, payment_hours=self.settings.payment_hours, webhooks=hooked)
        self.limits = chat_store.SendLimits(self.r)
        unsubscribe = self.hub.subscribe(self.on_hub_event)
        if self.settings.redis_url:  # other processes may share this Redis
            self.bridge = HubBridge(self.r, self.hub, self.process_id, metrics=self.metrics)
            await self.bridge.start()
        self.broadcasts.start()
        try:
            yield
        finally:
            unsubscribe()
            if self.bridge is not None:
                await self.bridge.stop()
            await self.broadcasts.stop()
            await self.deals.stop()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._forget_viewers()
            await self.sio.shutdown()
            await fanout.close_manager(self.sio)

    async def on_shutdown(self, app: web.Application) -> None:
        """Drop this process's Socket.IO connections at the transport (SIGTERM): clients
        see the connection lost, not a goodbye, and reconnect (to the next server)."""
        dropped = await fanout.drop_all(self.sio, timeout=SHUTDOWN_SECONDS)
        if dropped:
            log.info("dropped %d Socket.IO connections: their clients reconnect", dropped)

    async def _forget_viewers(self) -> None:
        try:
            async with self.r.pipeline(transaction=False) as p:
                for show in self.viewer_counts:
                    p.hdel(keys.viewers(show), self.process_id)
                await asyncio.wait_for(p.execute(), SHUTDOWN_SECONDS)
        except Exception as exc:
            if not self.redis_error(exc, "shutdown") and not isinstance(exc, TimeoutError):
                log.exception("could not remove this process's viewer counts")
        self.viewer_counts.clear()

    def redis_error(self, exc: BaseException, where: str) -> bool:
        """True if ``exc`` means Redis is unavailable (told to RedisHealth: one line
        per outage and a count, never a traceback per event)."""
        if not outage.is_redis_error(exc):
            return False
        self.app[REDIS_HEALTH].failed(exc, where)
        return True

    def spawn(self, coro: Awaitable) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not self.redis_error(exc, "socketio"):
            log.error("realtime task failed", exc_info=exc)

    # hub: media plane and REST API -> clients
    def on_hub_event(self, event: hub.Event) -> None:
        room = self.show_room(event.show)
        if event.kind == hub.SHOW_STATUS:
            data = event.data if isinstance(event.data, dict) else {"status": event.data}
            self.spawn(self.emit("show", {"status": data.get("status")}, room=room))
            if data.get("status") == "ended":  # ending a show ends its deal (catalog)
                self.deals.disarm(event.show)
                self.spawn(self.emit("deal", None, room=room))
        elif event.kind == hub.PRODUCTS:
            self.spawn(self.emit("products", event.data, room=room))
            self.broadcasts.sales_changed(event.show)
        elif event.kind == hub.ORDER:
            order, user = event.data["order"], event.data["user"]
            self.spawn(self.emit("order", order, room=self.user_room(event.show, user)))
            self.spawn(self.emit("order", order, room=self.host_room(event.show)))
            if order["status"] in ("cancelled", "expired"):
                self.broadcasts.sales_changed(event.show)
        elif event.kind == hub.DEAL:
            # any process's deal: arm a timer here too (one process announces the end)
            if isinstance(event.data, dict) and isinstance(event.data.get("ends_at"), int):
                self.deals.arm(event.show, event.data["ends_at"])
            elif event.data is None:
                self.deals.disarm(event.show)

    # connections
    async def connect(self, sid: str, auth: Any) -> None:
        """Admit a socket or raise Refused(code)."""
        member = await self.identify(sid, parse_auth(auth))
        self.members[sid] = member
        show = member.show
        await self.sio.enter_room(sid, self.show_room(show))
        await self.sio.enter_room(sid, self.user_room(show, member.id))
        if member.staff:
            await self.sio.enter_room(sid, self.mods_room(show))
        else:
            await self.sio.enter_room(sid, self.audience_room(show))
        if member.role == "host":
            await self.sio.enter_room(sid, self.host_room(show))
        if member.role == "viewer" and not member.replay:
            self.viewer_counts[show] += 1
            await self.r.hincrby(keys.viewers(show), self.process_id, 1)
            self.broadcasts.viewers_changed(show)
            await mod_store.add_socket(self.r, show, member.id, sid)
            self.spawn(report.quietly(report.viewer_joined(self.r, show, member.id), "a join"))
        self.metrics.socket_clients.inc()
        self.spawn(self.send_state(member))

    async def identify(self, sid: str, auth: Auth) -> Member:
        if not await catalog.show_exists(self.r, auth.show):
            raise Refused("unknown_show")
        if auth.key is not None:
            role = await catalog.role_for_key(self.r, auth.show, auth.key)
            if role is None:
                raise Refused("bad_key")
            user = "host" if role == "host" else "m" + catalog.hash_key(auth.key)[:12]
            token = None
        else:
            role = "viewer"
            user = verify_token(self.settings.secret, auth.token) or new_viewer_id()
            if await mod_store.ban_record(self.r, auth.show, user):
                raise Refused("banned")
            token = issue_token(self.settings.secret, user)
        name = auth.name or default_name(role, user)
        member = Member(sid=sid, show=auth.show, id=user, name=name, role=role, token=token)
        member.replay = auth.replay and role == "viewer"  # not one of the live audience
        return member

    async def disconnect(self, sid: str) -> None:
        member = self.members.pop(sid, None)
        if member is None:
            return
        self.metrics.socket_clients.dec()
        if member.role == "viewer" and not member.replay:
            self.viewer_counts[member.show] -= 1
            await self.r.hincrby(keys.viewers(member.show), self.process_id, -1)
            self.broadcasts.viewers_changed(member.show)
            await mod_store.remove_socket(self.r, member.show, member.id, sid)
            watched_ms = (time.monotonic() - member.joined_at) * 1000
            left = report.viewer_left(self.r, member.show, watched_ms)
            self.spawn(report.quietly(left, "a viewer leaving"))

    async def send_state(self, member: Member) -> None:
        # the CONNECT packet goes out after the connect handler returns: wait for it
        for _ in range(500):
            if fanout.is_connected(self.sio, member.sid):
                break
            if member.sid not in self.members:
                return
            await asyncio.sleep(0.01)
        await self.sio.emit("state", await self.state_for(member), to=member.sid)

    async def state_for(self, member: Member) -> dict:
        show = member.show
        view = await catalog.public_view(self.r, show)
        if view["deal"]:
            self.deals.arm(show, view["deal"]["ends_at"])  # e.g. a deal from before a restart
        room = await mod_store.settings(self.r, show)
        state = {
            "show": view,
            "products": view["products"],
            "featured": view["featured"],
            "deal": view["deal"],
            "sales": {
                p["sku"]: {"sold": p["sold"], "remaining": p["remaining"]} for p in view["products"]
            },
            "chat": await chat_store.history(self.r, show, HISTORY_ON_CONNECT),
            "viewers": view["viewers"],
            "pinned": room["pinned"],
            "slow": room["slow"],
            "you": member.you(),
        }
        if member.role == "viewer":
            _, muted_until, _, _ = await mod_store.chat_blocks(self.r, show, member.id)
            state["muted"] = {"until": muted_until}
        if member.role == "host":  # the studio: is its broadcast the one on air?
            state["broadcast"] = await host_lease.read(self.r, show)
        if member.staff:
            state["mod"] = {
                "log": await mod_store.recent_actions(self.r, show),
                "words": await mod_store.blocked_words(self.r, show),
            }
        return state

    # events
    async def handle(self, event: str, sid: str, args: tuple) -> dict:
        """Run one client event; always returns the ack (never raises)."""
        member = self.members.get(sid)
        entry = EVENTS.get(event) if isinstance(event, str) else None
        try:
            if member is None:
                raise Invalid("not connected")
            if entry is None:
                raise Invalid("unknown event")
            if len(args) > 1:
                raise Invalid("one payload object expected")
            roles, handler = entry
            if member.role not in roles:
                raise Forbidden(f"{event} is not for a {member.role}")
            if event != "react" and not member.take_event():
                raise RateLimited("too many events, slow down")
            return await handler(self, member, args[0] if args else None)
        except EventError as exc:
            return exc.ack()
        except StoreError as exc:
            return {"ok": False, "error": exc.code, "message": exc.message}
        except (RedisError, OSError) as exc:
            self.redis_error(exc, "socketio")
            return {"ok": False, "error": "unavailable", "message": "try again in a moment"}
        except Exception:
            log.exception("event %s from %s failed", event, sid)
            return {"ok": False, "error": "internal", "message": "internal error, try again"}
