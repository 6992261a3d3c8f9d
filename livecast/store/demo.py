"""The demo show of ``livecast serve --demo`` (Korean co-op products)."""

from __future__ import annotations

import json
from importlib import resources

from . import catalog, host_lease, keys

DEMO_SHOW_ID = "demo"


def demo_catalog() -> dict:
    return json.loads(resources.files(__package__).joinpath("demo.json").read_text("utf-8"))


async def ensure_demo_show(r) -> dict:
    """Create the demo show once; each call issues fresh keys (the old ones were shown once)."""
    created = not await catalog.show_exists(r, DEMO_SHOW_ID)
    if created:
        await catalog.create_show(r, demo_catalog(), show_id=DEMO_SHOW_ID)
    elif (await catalog.get_show_record(r, DEMO_SHOW_ID)).get("status") == "ended":
        # a demo can run again (a real show that ended stays ended: catalog.set_status)
        await r.hset(keys.show(DEMO_SHOW_ID), "status", "scheduled")
        await host_lease.release(r, DEMO_SHOW_ID)
    issued = await catalog.reissue_keys(r, DEMO_SHOW_ID)
    return {"show": DEMO_SHOW_ID, "created": created, **issued}
