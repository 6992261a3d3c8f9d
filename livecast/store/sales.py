"""Buys and sales figures. A buy is ONE Lua script (``buy.lua``): nothing oversells."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from importlib import resources
from typing import Any

from redis.exceptions import NoScriptError

from . import catalog, keys
from .errors import InvalidInput

BUY_SCRIPT = resources.files(__package__).joinpath("buy.lua").read_text()
ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
MAX_QTY = 999
BUY_ERRORS = (
    "sold_out",
    "insufficient_stock",
    "limit_exceeded",
    "not_live",
    "unknown_product",
    "unknown_show",
    "invalid",
)


def parse_buy(payload: Any) -> tuple[str, int, str]:
    """Check a buy request ``{sku, qty, order_id}``; returns the three values."""
    if not isinstance(payload, dict):
        raise InvalidInput("buy needs {sku, qty, order_id}")
    sku, qty, order_id = payload.get("sku"), payload.get("qty", 1), payload.get("order_id")
    if not isinstance(sku, str) or not catalog.SKU_RE.match(sku):
        raise InvalidInput("sku must be a product's sku")
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise InvalidInput(f"qty must be a whole number from 1 to {MAX_QTY}")
    if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
        raise InvalidInput("order_id must be 8-80 letters, digits or '_.:-' (a UUID is fine)")
    return sku, qty, order_id


def buy_keys(show_id: str, user: str, order_id: str) -> list[str]:
    return [
        keys.show(show_id),
        keys.products(show_id),
        keys.stock(show_id),
        keys.sold(show_id),
        keys.revenue(show_id),
        keys.orders(show_id),
        keys.deal(show_id),
        keys.order(order_id),
        keys.show_orders(show_id),
        keys.order_seq(show_id),
        keys.buyer_orders(show_id, user),
        keys.ORDER_DEADLINES,
        keys.OUTBOX,
    ]


class Buyer:
    """Runs the buy script (a buy reserves the units as an order); one per Redis client.

    ``hold_minutes`` is how long the reservation waits for checkout before it expires.

    Buys that arrive in the same event-loop turn go to Redis in one pipeline of EVALSHA
    calls: one round trip and one pooled connection for the lot. Each script call is
    still atomic on its own, so batching changes no figure, only the cost per buy.
    """

    def __init__(self, r, *, hold_minutes: int = 15, webhooks: bool = True):
        self._r = r
        self.hold_ms = hold_minutes * 60_000
        # False: no global webhook URL, so only shows with their own get outbox events
        self._hooked = "1" if webhooks else "0"
        self._script = r.register_script(BUY_SCRIPT)
        self._pending: list[tuple[list, list, asyncio.Future]] = []
        self._tasks: set[asyncio.Task] = set()

    async def buy(self, show_id: str, user: str, name: str, sku: str, qty: int, order_id: str):
        future = asyncio.get_running_loop().create_future()
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        args = [sku, qty, order_id, user, name, self.hold_ms, show_id, self._hooked]
        self._pending.append((buy_keys(show_id, user, order_id), args, future))
        result = json.loads(await future)
        if result.get("remaining") is None:
            result["remaining"] = None
        return result

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list) -> None:
        try:
            answers = await self._evalsha_all(batch)
        except BaseException as exc:  # the Redis connection failed: every buyer hears it
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError())
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, future), answer in zip(batch, answers, strict=True):
            if future.done():
                continue
            if isinstance(answer, Exception):
                future.set_exception(answer)
            else:
                future.set_result(answer)

    async def _evalsha_all(self, batch: list) -> list:
        if len(batch) == 1:
            keys_, args, _ = batch[0]
            return [await self._script(keys=keys_, args=args)]
        answers = await self._pipeline(batch)
        missing = [i for i, a in enumerate(answers) if isinstance(a, NoScriptError)]
        if missing:  # Redis restarted or flushed its scripts: load it, run those again
            await self._r.script_load(BUY_SCRIPT)
            again = await self._pipeline([batch[i] for i in missing])
            for i, answer in zip(missing, again, strict=True):
                answers[i] = answer
        return answers

    async def _pipeline(self, batch: list) -> list:
        async with self._r.pipeline(transaction=False) as pipe:
            for keys_, args, _ in batch:
                pipe.evalsha(self._script.sha, len(keys_), *keys_, *args)
            return await pipe.execute(raise_on_error=False)


async def sales_figures(r, show_id: str) -> dict[str, dict]:
    """``{sku: {sold, remaining}}`` as the realtime plane broadcasts it."""
    return {
        p["sku"]: {"sold": p["sold"], "remaining": p["remaining"]}
        for p in await catalog.products(r, show_id)
    }


async def sales_report(r, show_id: str) -> dict:
    """Units sold and revenue per product, and totals."""
    record = await catalog.get_show_record(r, show_id)
    products = await catalog.products(r, show_id)
    revenue = await r.hgetall(keys.revenue(show_id))
    paid = await r.hgetall(keys.paid(show_id))
    orders = await r.xlen(keys.orders(show_id))
    rows = [
        {
            "sku": p["sku"],
            "name": p["name"],
            "price": p["price"],
            "sold": p["sold"],
            "paid": int(paid.get(p["sku"], 0)),
            "remaining": p["remaining"],
            "revenue": int(revenue.get(p["sku"], 0)),
        }
        for p in products
    ]
    return {
        "show": show_id,
        "title": record.get("title", ""),
        "currency": record.get("currency", "KRW"),
        "status": record.get("status", "scheduled"),
        "products": rows,
        "total": {
            "sold": sum(row["sold"] for row in rows),
            "paid": sum(row["paid"] for row in rows),
            "revenue": sum(row["revenue"] for row in rows),
            "orders": orders,
        },
    }


CSV_COLUMNS = ("sku", "name", "price", "sold", "paid", "remaining", "revenue")


def report_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["products"]:
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()
