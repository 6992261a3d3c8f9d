"""Buys and sales figures. A buy is ONE Lua script (``buy.lua``): nothing oversells."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib import resources
from typing import Any

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


class Buyer:
    """Runs the buy script; one per Redis client (the script is loaded once)."""

    def __init__(self, r):
        self._script = r.register_script(BUY_SCRIPT)

    async def buy(self, show_id: str, user: str, name: str, sku: str, qty: int, order_id: str):
        answer = await self._script(
            keys=[
                keys.show(show_id),
                keys.products(show_id),
                keys.stock(show_id),
                keys.sold(show_id),
                keys.revenue(show_id),
                keys.orders(show_id),
                keys.order_ids(show_id),
                keys.deal(show_id),
            ],
            args=[sku, qty, order_id, user, name],
        )
        result = json.loads(answer)
        if result.get("remaining") is None:
            result["remaining"] = None
        return result


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
    orders = await r.xlen(keys.orders(show_id))
    rows = [
        {
            "sku": p["sku"],
            "name": p["name"],
            "price": p["price"],
            "sold": p["sold"],
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
            "revenue": sum(row["revenue"] for row in rows),
            "orders": orders,
        },
    }


CSV_COLUMNS = ("sku", "name", "price", "sold", "remaining", "revenue")


def report_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["products"]:
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()
