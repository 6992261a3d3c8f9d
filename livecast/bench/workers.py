"""Load-generator worker processes (spawned, optionally kept off the server's core)."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
from collections.abc import Awaitable, Callable
from typing import Any

WorkerFn = Callable[[Any], Awaitable[dict]]


def _main(fn: WorkerFn, job: Any, pin: bool, out) -> None:
    cpus = os.sched_getaffinity(0)
    if pin and len(cpus) > 1:
        os.sched_setaffinity(0, cpus - {0})
    try:
        out.put(asyncio.run(fn(job)))
    except BaseException as exc:
        out.put({"failed": f"{type(exc).__name__}: {exc}"})
        raise


class Workers:
    """Start ``fn(job)`` in one process per job; ``results()`` waits for all of them."""

    def __init__(self, fn: WorkerFn, jobs: list, *, pin: bool):
        ctx = mp.get_context("spawn")
        self._out = ctx.Queue()
        self._procs = [ctx.Process(target=_main, args=(fn, job, pin, self._out)) for job in jobs]

    def start(self) -> Workers:
        for proc in self._procs:
            proc.start()
        return self

    def results(self, timeout: float) -> list[dict]:
        results = [self._out.get(timeout=timeout) for _ in self._procs]
        for proc in self._procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        failed = [r["failed"] for r in results if "failed" in r]
        if failed:
            raise RuntimeError("load worker failed: " + "; ".join(failed))
        return results


def split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as whole numbers allow."""
    share = [total // parts] * parts
    for i in range(total % parts):
        share[i] += 1
    return share
