"""A background loop that talks to Redis, supervised: started and stopped with the app,
Redis faults waited out with backoff, one log line per state change (down, back) and a
count in /metrics, any other failure logged with its traceback."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.exceptions import RedisError

from .appkeys import METRICS
from .outage import describe

log = logging.getLogger(__name__)

MAX_BACKOFF = 10.0


class SupervisedLoop:
    name = "loop"  # its label in livecast_redis_errors / livecast_redis_reconnects and logs

    def __init__(self, app: web.Application, *, interval: float = 1.0):
        self._app = app
        self._interval = interval
        self._task: asyncio.Task | None = None
        self.started = asyncio.Event()
        self.exited = asyncio.Event()

    async def step(self) -> bool:
        """One round; True when there is more to do at once (no pause before the next)."""
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        self.started.set()
        metrics = self._app[METRICS]
        backoff, down = self._interval, False
        try:
            while True:
                try:
                    more = await self.step()
                except (RedisError, OSError) as exc:
                    metrics.redis_errors.labels(self.name).inc()
                    if not down:
                        log.warning(
                            "%s: Redis unavailable (%s), retrying", self.name, describe(exc)
                        )
                        down = True
                    backoff = min(MAX_BACKOFF, backoff * 2)
                    await asyncio.sleep(backoff)
                    continue
                if down:
                    log.info("%s: Redis back", self.name)
                    metrics.redis_reconnects.labels(self.name).inc()
                    down, backoff = False, self._interval
                if not more:
                    await asyncio.sleep(self._interval)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s stopped", self.name)
        finally:
            self.exited.set()

    @classmethod
    def setup(cls, app: web.Application) -> None:
        async def ctx(app: web.Application):
            loop = cls(app)
            loop.start()
            try:
                yield
            finally:
                await loop.stop()

        app.cleanup_ctx.append(ctx)
