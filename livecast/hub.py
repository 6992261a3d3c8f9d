"""The app's event hub: how one plane tells another (media -> realtime, realtime -> recorder).

Subscribers are plain callables ``fn(event)`` run synchronously by :meth:`Hub.publish`;
they must not block (schedule a task for slow work). A failing subscriber is logged and
does not stop the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# kinds published today
SHOW_STATUS = "show.status"  # media -> realtime: {status}
RECORDING_STARTED = "recording.started"  # media: {file}
RECORDING_STOPPED = "recording.stopped"  # media: {file}
CHAT = "chat"  # realtime -> recorder: the chat message
CHAT_DELETED = "chat.deleted"  # {ids}
CHAT_CLEARED = "chat.cleared"  # {}
FEATURED = "featured"  # {sku}
DEAL = "deal"  # {sku, price, ends_at} or None
SALES = "sales"  # {sku: {sold, remaining}}
SOLDOUT = "soldout"  # {sku}
PRODUCTS = "products"  # api -> realtime: the product list changed
ORDER = "order"  # order routes, sweeper -> realtime: {user, order} an order changed


@dataclass(frozen=True)
class Event:
    show: str
    kind: str
    data: Any = None
    ts: float = field(default_factory=time.time)


Subscriber = Callable[[Event], None]


class Hub:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def publish(self, show: str, kind: str, data: Any = None) -> Event:
        event = Event(show, kind, data)
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:
                log.exception("hub subscriber %r failed on %s", fn, kind)
        return event
