"""Buys, the featured product and timed deals."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from .. import hub
from ..store import catalog, deals, host_lease, keys, sales
from ..store.errors import InvalidInput, UnknownProduct
from .errors import EventError, Invalid
from .members import Member
from .payload import matching, obj, whole

if TYPE_CHECKING:
    from .plane import Realtime

log = logging.getLogger(__name__)

DEAL_MAX_SECONDS = 24 * 3600
TOAST_PERIOD_MS = 300  # at most ~3 "just bought" toasts a second per show
BUY_MESSAGES = {
    "sold_out": "this product is sold out",
    "insufficient_stock": "not enough units left for that quantity",
    "limit_exceeded": "more than one order may hold",
    "not_live": "the show is not live",
    "unknown_product": "no such product in this show",
    "unknown_show": "no such show",
    "invalid": "the order is not valid",
    "unavailable": "the result is not known yet: send the same order again",
}
# how long a buy waits for Redis before answering `unavailable` (outcome unknown)
BUY_WAIT_SECONDS = 5


def mask_name(name: str) -> str:
    """A buyer's name for the "just bought" toast: 김민수 -> 김*수, john -> j***."""
    name = name.strip()
    if not name:
        return "***"
    if name.isascii():
        return name[0] + "***"
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def now_ms() -> int:
    return int(time.time() * 1000)


# buy
async def buy(rt: Realtime, member: Member, payload: Any) -> dict:
    try:
        sku, qty, order_id = sales.parse_buy(payload)
    except InvalidInput as exc:
        rt.metrics.buys.labels("invalid").inc()
        raise Invalid(exc.message) from None
    attempt = asyncio.ensure_future(
        rt.buyer.buy(member.show, member.id, member.name, sku, qty, order_id)
    )
    attempt.add_done_callback(_consume)
    try:
        result = await asyncio.wait_for(asyncio.shield(attempt), BUY_WAIT_SECONDS)
    except (TimeoutError, RedisError, OSError):
        # the script may still run (or have run): only a retry with this order_id can tell
        rt.metrics.buys.labels("unavailable").inc()
        return {
            "ok": False,
            "error": "unavailable",
            "order_id": order_id,
            "message": BUY_MESSAGES["unavailable"],
        }
    if not result["ok"]:
        rt.metrics.buys.labels(result["error"]).inc()
        return {**result, "message": BUY_MESSAGES.get(result["error"], result["error"])}
    rt.metrics.buys.labels("replayed" if result.get("replayed") else "ok").inc()
    result["checkout_url"] = rt.checkout_url(order_id)
    if not result.get("replayed"):
        rt.metrics.units_sold.inc(qty)
        await after_sale(rt, member, result)
    else:  # the first try may have been committed after its buyer stopped waiting
        rt.broadcasts.sales_changed(member.show)
    return result


def _consume(task: asyncio.Future) -> None:
    """A buy nobody waits for any more (its buyer heard `unavailable`) ends quietly."""
    if not task.cancelled():
        task.exception()


async def after_sale(rt: Realtime, member: Member, result: dict) -> None:
    show = member.show
    rt.broadcasts.sales_changed(show)
    rt.broadcasts.tally(show).bought(member.id, result["qty"], result["total"])  # show report
    if result.get("remaining") == 0:
        # only the buy that took the last unit sees 0 (the script is atomic): once per product
        await rt.publish(show, hub.SOLDOUT, {"sku": result["sku"]})
        await rt.emit("soldout", {"sku": result["sku"]}, room=rt.show_room(show))
    if rt.toasts.due(show) and await rt.r.set(
        keys.throttle(show, "purchase"), 1, px=TOAST_PERIOD_MS, nx=True
    ):
        toast = {"name": mask_name(member.name), "sku": result["sku"], "qty": result["qty"]}
        await rt.emit("purchase", toast, room=rt.show_room(show))
    # no `order` event for a reservation: the ack is its notice, and a buy storm must not
    # become an `order` storm (the order desk picks new orders up with `after` on `sales`)


# the buyer's orders
async def my_orders(rt: Realtime, member: Member, payload: Any) -> dict:
    obj(payload, empty_ok=True)
    orders = await rt.orders.for_buyer(member.show, member.id)
    return {"ok": True, "orders": orders}


# featured product
async def feature(rt: Realtime, member: Member, payload: Any) -> dict:
    data = obj(payload)
    if "sku" not in data:
        raise Invalid("sku is required (null to unpin)")
    sku = data["sku"]
    if sku is not None:
        matching(sku, "sku", catalog.SKU_RE)
    try:
        await catalog.set_featured(rt.r, member.show, sku)
    except UnknownProduct as exc:
        raise EventError(exc.message, code="unknown_product") from None
    await rt.emit("featured", {"sku": sku}, room=rt.show_room(member.show))
    await rt.publish(member.show, hub.FEATURED, {"sku": sku})
    return {"ok": True, "sku": sku}


# deals
async def deal_start(rt: Realtime, member: Member, payload: Any) -> dict:
    """A timed deal price while the show is live: below the product's price, one deal at
    a time (a running deal is ended first, never replaced), and its product featured."""
    data = obj(payload)
    sku = matching(data.get("sku"), "sku", catalog.SKU_RE)
    price = whole(data.get("price"), "price", minimum=0, maximum=catalog.MAX_PRICE)
    seconds = whole(data.get("seconds"), "seconds", minimum=1, maximum=DEAL_MAX_SECONDS)
    show = member.show
    record = await catalog.get_show_record(rt.r, show)
    status = record.get("status", "scheduled")
    if status == "ended":
        raise EventError("the show has ended", code="ended")
    if status != "live":
        raise EventError("deals run while the show is live", code="not_live")
    try:
        product = await catalog.get_product(rt.r, show, sku)
    except UnknownProduct as exc:
        raise EventError(exc.message, code="unknown_product") from None
    if price >= product["price"]:
        raise Invalid(
            f"the deal price must be below the product's price ({product['price']})",
            field="price",
            list_price=product["price"],
        )
    deal = {"sku": sku, "price": price, "ends_at": now_ms() + seconds * 1000}
    running = await deals.start(rt.r, show, deal)
    if running is not None:
        current = await catalog.active_deal(rt.r, show)
        raise EventError(
            f"a deal on {running} is running: end it before starting another",
            code="deal_running",
            sku=running,
            ends_at=current["ends_at"] if current else None,
        )
    if record.get("featured") != sku:  # a deal on a product nobody sees sells nothing
        await catalog.set_featured(rt.r, show, sku)
        await rt.emit("featured", {"sku": sku}, room=rt.show_room(show))
        await rt.publish(show, hub.FEATURED, {"sku": sku})
    rt.deals.arm(show, deal["ends_at"])
    await announce_deal(rt, show, deal)
    return {"ok": True, **deal}


async def deal_end(rt: Realtime, member: Member, payload: Any) -> dict:
    data = obj(payload, empty_ok=True)
    sku = data.get("sku")
    if sku is not None:
        matching(sku, "sku", catalog.SKU_RE)
    current = await catalog.active_deal(rt.r, member.show)
    if current is None:
        return {"ok": True, "ended": False}
    if sku is not None and current["sku"] != sku:
        raise Invalid(f"the running deal is on {current['sku']}, not {sku}")
    await rt.r.delete(keys.deal(member.show))
    rt.deals.disarm(member.show)
    await announce_deal(rt, member.show, None)
    return {"ok": True, "ended": True}


# the end of the show
async def show_end(rt: Realtime, member: Member, payload: Any) -> dict:
    """The host ends the show when it has no broadcast to DELETE (e.g. while the studio
    is reconnecting): ended for good, the deal with it; the process holding the host's
    WHIP session (any process, through the hub) drops it."""
    obj(payload, empty_ok=True)
    show = member.show
    previous = await catalog.set_status(rt.r, show, "ended")
    await host_lease.release(rt.r, show)
    if previous != "ended":
        await rt.publish(show, hub.SHOW_STATUS, {"status": "ended"})
    return {"ok": True, "ended": previous != "ended"}


async def announce_deal(rt: Realtime, show: str, deal: dict | None) -> None:
    await rt.emit("deal", deal, room=rt.show_room(show))
    await rt.publish(show, hub.DEAL, deal)


class ToastSampler:
    """Per process, skip the Redis throttle while this process's own period has not passed."""

    def __init__(self):
        self._last: dict[str, float] = {}

    def due(self, show: str) -> bool:
        now = time.monotonic()
        if now - self._last.get(show, 0.0) < TOAST_PERIOD_MS / 1000:
            return False
        self._last[show] = now
        return True


class DealTimers:
    """Ends each show's deal on time: ``deal null`` goes out when ends_at passes.

    Every process arms a timer for every deal it hears of (its own, and the others'
    through the hub bridge), so the deal still ends if the process that started it is
    gone; a Redis key makes only one of them announce the end.
    """

    def __init__(self, rt: Realtime):
        self._rt = rt
        self._tasks: dict[str, tuple[int, asyncio.Task]] = {}
        self._stopping = False

    def arm(self, show: str, ends_at: int) -> None:
        armed = self._tasks.get(show)
        if armed is not None and armed[0] == ends_at or self._stopping:
            return
        self.disarm(show)
        self._tasks[show] = (ends_at, asyncio.create_task(self._expire(show, ends_at)))

    def disarm(self, show: str) -> None:
        armed = self._tasks.get(show)
        if armed is not None and armed[1] is not asyncio.current_task():
            del self._tasks[show]
            armed[1].cancel()

    async def _expire(self, show: str, ends_at: int) -> None:
        r = self._rt.r
        try:
            await asyncio.sleep(max(0, ends_at - now_ms()) / 1000)
            current = await r.hget(keys.deal(show), "ends_at")
            if current is not None and int(current) != ends_at:
                return  # replaced by a newer deal (maybe started through another process)
            if not await r.set(keys.throttle(show, f"deal-end:{ends_at}"), 1, nx=True, ex=60):
                return  # another process announced it
            if current is not None:
                await r.delete(keys.deal(show))
            await announce_deal(self._rt, show, None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self._rt.redis_error(exc, "deal"):
                log.exception("ending the deal of show %s failed", show)
        finally:
            armed = self._tasks.get(show)
            if armed is not None and armed[1] is asyncio.current_task():
                del self._tasks[show]

    async def stop(self) -> None:
        self._stopping = True
        tasks = [task for _, task in self._tasks.values()]
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
