"""Benchmark fixtures in the bench's own Redis: a live show with one product."""

from __future__ import annotations

import asyncio

from livecast.store import catalog, connect

BENCH_SKU = "bench-kimchi"


def bench_show(redis_url: str, *, stock: int | None, max_per_order: int | None = None):
    """Create a live show selling ``BENCH_SKU``; returns ``(show_id, sku)``."""

    async def create():
        r = connect(redis_url)
        try:
            product = {"sku": BENCH_SKU, "name": "벤치 김치", "price": 12900, "stock": stock,
                       "max_per_order": max_per_order}  # fmt: skip
            created = await catalog.create_show(r, {"title": "bench", "products": [product]})
            show_id = created["show"]["id"]
            await catalog.set_status(r, show_id, "live")
            return show_id
        finally:
            await r.aclose()

    return asyncio.run(create()), BENCH_SKU
