"""The Socket.IO namespace: thin glue from python-socketio to :class:`Realtime`.

Event names hold ':' (``chat:send``), so instead of ``on_<event>`` methods every event
goes through :meth:`trigger_event` and the table in ``plane.EVENTS``.
"""

from __future__ import annotations

import logging

import socketio

from .members import Refused
from .plane import Realtime

log = logging.getLogger(__name__)


class ShowNamespace(socketio.AsyncNamespace):
    def __init__(self, rt: Realtime):
        super().__init__("/")
        self.rt = rt

    async def trigger_event(self, event, *args):
        sid = args[0] if args else None
        # python-socketio calls connect/disconnect itself; a client *event* named so is bogus
        if event == "connect" and sid not in self.rt.members and len(args) == 3:
            return await self.on_connect(sid, args[2])
        if event == "disconnect" and not self.server.manager.is_connected(sid, "/"):
            return await self.rt.disconnect(sid)
        return await self.rt.handle(event, sid, args[1:])

    async def on_connect(self, sid: str, auth) -> None:
        try:
            await self.rt.connect(sid, auth)
        except Refused as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        except Exception:
            log.exception("admitting socket %s failed", sid)
            await self.rt.disconnect(sid)
            raise socketio.exceptions.ConnectionRefusedError("unavailable") from None
