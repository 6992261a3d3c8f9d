"""The Socket.IO namespace: thin glue from python-socketio to :class:`Realtime`.

Event names hold ':' (``chat:send``), so every event goes through the table in
``plane.EVENTS`` (python-socketio's dispatch is mapped in ``fanout.EventNamespace``).
"""

from __future__ import annotations

import logging

import socketio

from .fanout import EventNamespace
from .members import Refused
from .plane import Realtime

log = logging.getLogger(__name__)


class ShowNamespace(EventNamespace):
    def __init__(self, rt: Realtime):
        super().__init__()
        self.rt = rt

    async def admit(self, sid: str, auth) -> None:
        try:
            await self.rt.connect(sid, auth)
        except Refused as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code) from None
        except Exception as exc:
            if self.rt.redis_error(exc, "socketio"):
                log.debug("admitting socket %s: Redis unavailable", sid)
            else:
                log.exception("admitting socket %s failed", sid)
            await self.leave(sid)
            raise socketio.exceptions.ConnectionRefusedError("unavailable") from None

    async def leave(self, sid: str) -> None:
        try:
            await self.rt.disconnect(sid)
        except Exception as exc:
            if not self.rt.redis_error(exc, "socketio"):
                log.exception("socket %s leaving failed", sid)

    async def event(self, event: str, sid: str, args: tuple):
        return await self.rt.handle(event, sid, args)
