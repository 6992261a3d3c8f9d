"""Hub events of the realtime plane shared between processes (Redis pub/sub).

With several ``livecast serve`` processes, the recorder runs in the process holding the
WHIP session, while chat and buys may arrive through any process. Each process publishes
the recorder's events (chat, deletions, featured product, deals, sales) on a Redis channel
and re-publishes the other processes' ones on its own hub.

The subscription survives Redis going away: the listener resubscribes with backoff and
logs one line when it loses Redis and one when it is subscribed again (``PUBSUB NUMSUB
livecast:hub`` counts every process again). Events published while Redis is down are
dropped (pub/sub keeps nothing), with no traceback per event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from .. import hub
from ..outage import describe, is_redis_error

log = logging.getLogger(__name__)

CHANNEL = "livecast:hub"
BRIDGED = frozenset(
    {hub.CHAT, hub.CHAT_DELETED, hub.CHAT_CLEARED, hub.FEATURED, hub.DEAL, hub.SALES, hub.SOLDOUT}
)
BACKOFF = (0.2, 5.0)  # seconds before resubscribing: first, then doubled up to the second
LOOP = "hub_bridge"  # its label in livecast_redis_reconnects / livecast_redis_errors


class HubBridge:
    def __init__(self, r, local: hub.Hub, origin: str, *, metrics=None, backoff=BACKOFF):
        self._r = r
        self._hub = local
        self._origin = origin
        self._metrics = metrics
        self._backoff = backoff
        self._pubsub = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._lost_at: float | None = None  # monotonic time Redis was lost, None while fine
        self.started = asyncio.Event()
        self.exited = asyncio.Event()
        self.subscribed = asyncio.Event()  # set while the subscription is live

    async def publish(self, show: str, kind: str, data: Any) -> None:
        message = {"origin": self._origin, "show": show, "kind": kind, "data": data}
        try:
            await self._r.publish(CHANNEL, json.dumps(message, ensure_ascii=False))
        except Exception as exc:
            if not is_redis_error(exc):
                raise
            self._lost(exc, "publishing")

    async def start(self) -> None:
        """Subscribe (if Redis answers), then listen in a task that resubscribes as needed."""
        try:
            await self._subscribe()
        except Exception as exc:
            if not is_redis_error(exc):
                raise
            self._lost(exc, "subscribing")
        self._task = asyncio.create_task(self._run())

    async def _subscribe(self) -> None:
        pubsub = self._r.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
        except BaseException:
            await _close(pubsub)
            raise
        self._pubsub = pubsub
        self.subscribed.set()

    def _lost(self, exc: BaseException, doing: str) -> None:
        if self._metrics is not None:
            self._metrics.redis_errors.labels(LOOP).inc()
        if self._lost_at is not None:
            return
        self._lost_at = time.monotonic()
        log.warning(
            "hub bridge lost Redis while %s (%s); resubscribing with backoff", doing, describe(exc)
        )

    async def _drop(self) -> None:
        self.subscribed.clear()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            await _close(pubsub)

    async def _run(self) -> None:
        self.started.set()
        low, high = self._backoff
        delay = low
        try:
            while not self._stopping:
                if self._pubsub is None:
                    await asyncio.sleep(delay)
                    delay = min(high, delay * 2)
                    try:
                        await self._subscribe()
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        if not is_redis_error(exc):
                            log.exception("hub bridge could not subscribe to %s", CHANNEL)
                        self._lost(exc, "subscribing")
                        continue
                    delay = low
                    if self._lost_at is not None:
                        log.warning(
                            "hub bridge resubscribed to %s after %.1f s",
                            CHANNEL,
                            time.monotonic() - self._lost_at,
                        )
                        self._lost_at = None
                        if self._metrics is not None:
                            self._metrics.redis_reconnects.labels(LOOP).inc()
                try:
                    message = await self._pubsub.get_message(timeout=1.0)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not is_redis_error(exc):
                        log.exception("hub bridge failed reading %s", CHANNEL)
                    self._lost(exc, "listening")
                    await self._drop()
                    continue
                if message is not None and message.get("type") == "message":
                    self._deliver(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("hub bridge stopped")
        finally:
            self.exited.set()

    def _deliver(self, message: dict) -> None:
        try:
            event = json.loads(message["data"])
            if event.get("origin") == self._origin or event.get("kind") not in BRIDGED:
                return
            self._hub.publish(event["show"], event["kind"], event.get("data"))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring a malformed hub message on %s", CHANNEL)

    async def stop(self) -> None:
        """Cancel the listener, then close the subscription. Safe to call twice."""
        self._stopping = True  # ends the loop even if the cancellation gets swallowed
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._drop()


async def _close(pubsub) -> None:
    try:
        await pubsub.aclose()
    except Exception as exc:
        if not is_redis_error(exc):
            log.exception("closing the hub bridge's subscription failed")
