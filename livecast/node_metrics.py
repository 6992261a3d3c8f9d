"""``/metrics`` for a whole node: under ``serve --workers`` a scrape reaches one process
at random, so that process gathers every worker's own metrics (``?process=self`` on each
one's unix socket, livecast/node.py) and answers them all, each sample labelled with its
``process``. Sum over ``process`` in queries for node totals."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=3)


class _Gathered:
    """A collector yielding the parsed families of several processes, labelled."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def collect(self):
        families: dict[str, Metric] = {}
        for process, text in sorted(self.texts.items()):
            for family in text_string_to_metric_families(text):
                merged = families.get(family.name)
                if merged is None:
                    merged = families[family.name] = Metric(
                        family.name, family.documentation, family.type, family.unit
                    )
                for s in family.samples:
                    merged.add_sample(s.name, {**s.labels, "process": process}, s.value,
                                      s.timestamp, s.exemplar)  # fmt: skip
        yield from families.values()


async def _fetch(path: Path) -> str | None:
    try:
        connector = aiohttp.UnixConnector(path=str(path))
        async with (
            aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as s,
            s.get("http://livecast/metrics?process=self") as res,
        ):
            return await res.text() if res.status == 200 else None
    except ConnectionRefusedError:  # a worker that died: its socket file is stale
        for stale in (path, path.with_suffix(".media")):
            stale.unlink(missing_ok=True)
        return None
    except (aiohttp.ClientError, OSError, TimeoutError):
        return None


def siblings(run_dir: Path, own_process: str) -> list[Path]:
    """The HTTP sockets of the node's other processes (a dir of a few entries)."""
    return [p for p in sorted(run_dir.glob("*.http")) if p.stem != own_process]


async def gather(own_process: str, own_text: bytes, run_dir: Path) -> bytes:
    """Every live process of the node's metrics, labelled by process."""
    others = siblings(run_dir, own_process)
    texts = {own_process: own_text.decode()}
    for path, text in zip(others, await asyncio.gather(*map(_fetch, others)), strict=True):
        if text is not None:
            texts[path.stem] = text
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Gathered(texts))
    return generate_latest(registry)
