"""Hub events of the realtime plane shared between processes (Redis pub/sub).

With several ``livecast serve`` processes, the recorder runs in the process holding the
WHIP session, while chat and buys may arrive through any process. Each process publishes
the recorder's events (chat, deletions, featured product, deals, sales) on a Redis channel
and re-publishes the other processes' ones on its own hub.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from .. import hub

log = logging.getLogger(__name__)

CHANNEL = "livecast:hub"
BRIDGED = frozenset(
    {hub.CHAT, hub.CHAT_DELETED, hub.CHAT_CLEARED, hub.FEATURED, hub.DEAL, hub.SALES, hub.SOLDOUT}
)


class HubBridge:
    def __init__(self, r, local: hub.Hub, origin: str):
        self._r = r
        self._hub = local
        self._origin = origin
        self._pubsub = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.started = asyncio.Event()
        self.exited = asyncio.Event()

    async def publish(self, show: str, kind: str, data: Any) -> None:
        message = {"origin": self._origin, "show": show, "kind": kind, "data": data}
        await self._r.publish(CHANNEL, json.dumps(message, ensure_ascii=False))

    async def start(self) -> None:
        self._pubsub = self._r.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(CHANNEL)
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        self.started.set()
        try:
            while not self._stopping:
                message = await self._pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                try:
                    event = json.loads(message["data"])
                    if event.get("origin") == self._origin or event.get("kind") not in BRIDGED:
                        continue
                    self._hub.publish(event["show"], event["kind"], event.get("data"))
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring a malformed hub message on %s", CHANNEL)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hub bridge stopped")
        finally:
            self.exited.set()

    async def stop(self) -> None:
        """Cancel the listener, then close the subscription. Safe to call twice."""
        self._stopping = True  # ends the loop even if the cancellation gets swallowed
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._pubsub is not None:
            try:
                await self._pubsub.aclose()
            except Exception:
                log.exception("closing the hub bridge's subscription failed")
            self._pubsub = None
