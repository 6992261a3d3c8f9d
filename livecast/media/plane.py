"""The media plane's state and rules: who may publish, who may watch, when a show ends."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from dataclasses import dataclass

from aiohttp import web
from redis.exceptions import RedisError

from .. import hub, routing
from ..appkeys import HUB, METRICS, PROCESS_CARD, PROCESS_ID, REDIS, REDIS_HEALTH, SETTINGS
from ..errors import ApiError
from ..outage import describe, is_redis_error
from ..store import catalog, host_lease, keys, processes
from ..store.embedded import private_dir
from ..store.errors import Conflict, StoreError
from . import hls
from .edge import EdgeFeed
from .feeds import Feeds
from .hls import HlsPackager, finish_show
from .hook import SessionHook
from .recorder import Recorder, recording_url
from .relay import ShowRelay
from .sessions import SdpError, WhepSession, WhipSession, offered_video_codecs


@dataclass
class MediaOptions:
    no_media_timeout: float = 10.0  # a WHIP session with no media this long ends
    # the show stays live this long for the host to come back (a deadline in Redis, see
    # store/host_lease.py: it holds across restarts and any process's sweep ends the show)
    reconnect_grace: float = host_lease.GRACE_SECONDS
    stale_after: float = 2.0  # a WHIP session silent this long may be replaced by a new POST
    pli_interval: float = 0.3  # at most one PLI upstream per interval per show
    keyframe_every: float = 4.0  # while recording, a keyframe at least this often (seeking)
    max_publishers: int = 50  # live WHIP sessions per process (503 beyond)
    video_queue: int = 60  # frames queued per viewer before it drops to the next keyframe
    audio_queue: int = 100
    retry_after: int = 5  # seconds, on 503
    record: bool = True
    hls: bool = True  # package H.264 shows as low-latency HLS (media/hls/)
    # while packaging HLS, a keyframe at least this often: segments (<= 2 s) start at one
    hls_keyframe_every: float = 1.5
    hook: SessionHook | None = None  # benchmarks and tests only (media/hook.py)


log = logging.getLogger(__name__)


class MediaPlane:
    def __init__(self, app: web.Application, options: MediaOptions | None = None) -> None:
        self.app = app
        self.options = options or MediaOptions()
        self.relays: dict[str, ShowRelay] = {}
        self.whip: dict[str, WhipSession] = {}
        self.whep: dict[str, WhepSession] = {}
        self.recorders: dict[str, Recorder] = {}  # file name -> recorder
        self._tasks: set[asyncio.Task] = set()
        self._renewer: asyncio.Task | None = None
        self._ending: set[str] = set()  # shows this plane is ending itself (WHIP DELETE)
        self._lock = asyncio.Lock()
        self.feeds = Feeds(self)  # frames of shows whose host is in another process

    def start(self) -> None:
        """Background work (app start-up): keeping the feeds right."""
        self._spawn(self.feeds.run())

    @property
    def settings(self):
        return self.app[SETTINGS]

    @property
    def metrics(self):
        return self.app[METRICS]

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if is_redis_error(exc):  # one line per outage (RedisHealth), not one per task
            self.app[REDIS_HEALTH].failed(exc, "media")
        else:
            log.error("media task failed", exc_info=exc)

    def relay(self, show: str) -> ShowRelay:
        relay = self.relays.get(show)
        if relay is None:
            relay = self.relays[show] = ShowRelay(
                show,
                pli_interval=self.options.pli_interval,
                keyframe_every=self.options.keyframe_every,
                hls_keyframe_every=self.options.hls_keyframe_every,
                on_forward=self._forwarded,
            )
        return relay

    def _ingested(self, kind: str, packets: int, gaps: int, late: int) -> None:
        m = self.metrics
        m.ingest_packets.labels(kind).inc(packets)
        if gaps:
            m.ingest_gaps.labels(kind).inc(gaps)
        if late:
            m.ingest_late.labels(kind).inc(late)

    def _forwarded(self, kind: str, count: int) -> None:
        self.metrics.forwarded_packets.labels(kind).inc(count)

    def _update_gauges(self) -> None:
        self.metrics.live_shows.set(sum(1 for r in self.relays.values() if r.host is not None))
        self.metrics.whep_sessions.set(len(self.whep))
        self.metrics.recordings.set(len(self.recorders))

    # the host
    @property
    def process_id(self) -> str:
        return self.app.get(PROCESS_ID) or "local"

    async def publish(self, show: str, offer: str, *, rehearsal: bool = False) -> WhipSession:
        """A WHIP POST with the host key: 409 while another session is live (a public POST
        replaces a rehearsal), 409 ``ended`` once the show has ended, else go live.

        A rehearsal is private: the show stays scheduled, only the host's own players
        (WHEP with the host key) get its frames, nothing is recorded.
        """
        async with self._lock:  # one POST at a time decides who the host is
            relay = self.relay(show)
            current = relay.host
            replaces_rehearsal = current is not None and current.rehearsal and not rehearsal
            if (
                current is not None
                and current.alive(self.options.stale_after)
                and not replaces_rehearsal
            ):
                raise ApiError(409, "already_live", "another WHIP session is live for this show")
            if await self.app[REDIS].hget(keys.show(show), "status") == "ended":
                raise ApiError(409, "ended", "this show has ended: go live in a new show")
            live = sum(1 for r in self.relays.values() if r.host is not None and r is not relay)
            if live >= self.options.max_publishers:
                raise ApiError(
                    503,
                    "at_capacity",
                    "this server is at its limit of live shows",
                    headers={"Retry-After": str(self.options.retry_after)},
                )
            session = WhipSession(
                relay,
                on_end=self.host_ended,
                no_media_timeout=self.options.no_media_timeout,
                on_ingest=self._ingested,
                hook=self.options.hook,
            )
            session.id = routing.session_id(self.process_id)  # names this process
            session.rehearsal = rehearsal
            relay.pending += 1
            try:
                answer = await session.start(offer, self.settings)
            except SdpError as exc:
                await session.close()
                raise ApiError(400, exc.code, str(exc)) from None
            except BaseException:
                await session.close()
                raise
            finally:
                relay.pending -= 1
            if current is not None:
                await self._drop_host(current, "replaced")
            self.whip[session.id] = session
            session.answer = answer
            relay.private = rehearsal
            relay.attach_host(session)
            await self.feeds.drop(relay)  # the host is here now
            if not rehearsal:
                self._start_recording(relay, session)
                self._start_hls(relay, session)
            self._update_gauges()
        if self._renewer is None:
            self._renewer = self._spawn(self._renew_leases())
        if rehearsal:
            await self._renew(session)
            return session
        try:
            previous = await catalog.set_status(self.app[REDIS], show, "live")
        except Conflict:  # ended meanwhile (the host came back after its deadline)
            await self._drop_host(session, "ended")
            raise ApiError(409, "ended", "this show has ended") from None
        except (StoreError, RedisError) as exc:
            log.warning("could not set show %s live: %s", show, describe(exc))
            previous = "live"
        if previous != "live":
            self.app[HUB].publish(show, hub.SHOW_STATUS, {"status": "live"})
        await self._renew(session)
        return session

    # the host's lease in Redis (store/host_lease.py)
    async def _renew(self, session: WhipSession) -> None:
        try:
            if session.rehearsal:  # private: where it is, for the host's preview elsewhere
                await host_lease.rehearsing(self.app[REDIS], session.show, self.process_id)
                return
            await host_lease.renew(
                self.app[REDIS],
                session.show,
                self.process_id,
                session.id,
                grace=self.options.reconnect_grace,
            )
        except (RedisError, OSError) as exc:
            log.warning("could not renew the host lease of %s: %s", session.show, describe(exc))

    async def _renew_leases(self) -> None:
        """Every RENEW_SECONDS, push the deadline of every show this process hosts."""
        while True:
            await asyncio.sleep(host_lease.RENEW_SECONDS)
            for relay in list(self.relays.values()):
                host = relay.host
                if host is not None and not host.closed:
                    await self._renew(host)

    async def _host_gone(self, session: WhipSession) -> None:
        """The show's host left without ending it: the show ends after the grace unless
        the host comes back (to this process or another)."""
        try:
            await host_lease.lost(
                self.app[REDIS], session.show, session.id, grace=self.options.reconnect_grace
            )
        except (RedisError, OSError) as exc:
            log.warning("could not start the grace of %s: %s", session.show, describe(exc))

    def _start_recording(self, relay: ShowRelay, session: WhipSession) -> None:
        if not self.options.record:
            return
        recorder = Recorder(
            self.settings.recordings_dir / relay.show,
            relay.show,
            secrets.token_urlsafe(6),
            session.video_codec,
            relay.timeline.origin,
        )
        recorder.start()
        relay.recorder = recorder
        self.recorders[recorder.file] = recorder
        self.app[HUB].publish(
            relay.show,
            hub.RECORDING_STARTED,
            {"file": recorder.file, "url": recording_url(relay.show, recorder.file)},
        )

    def _start_hls(self, relay: ShowRelay, session: WhipSession) -> None:
        if not self.options.hls or (session.video_codec or "").upper() != "H264":
            return  # VP8 shows have no HLS: players use WHEP
        packager = HlsPackager(
            hls.show_directory(self.settings.data_dir, relay.show),
            relay.show,
            relay.timeline.origin,
        )
        try:
            private_dir(self.settings.data_dir / "hls")
            packager.start()
        except OSError as exc:
            log.warning("no HLS for %s: %s", relay.show, exc)
            return
        relay.hls = packager

    async def _stop_hls(self, relay: ShowRelay, *, ended: bool) -> None:
        packager = relay.hls
        if packager is None:
            return
        relay.hls = None
        await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(packager.stop_blocking, ended=ended)
        )

    async def _stop_recording(self, relay: ShowRelay) -> None:
        recorder = relay.recorder
        if recorder is None:
            return
        relay.recorder = None
        await asyncio.get_running_loop().run_in_executor(None, recorder.stop_blocking)
        self.recorders.pop(recorder.file, None)
        self._update_gauges()
        self.app[HUB].publish(
            relay.show,
            hub.RECORDING_STOPPED,
            {
                "file": recorder.file,
                "url": recording_url(relay.show, recorder.file),
                "duration": round(recorder.duration, 3),
            },
        )

    async def _drop_host(self, session: WhipSession, reason: str) -> bool:
        """Close a host session; True if it was the show's current host."""
        self.whip.pop(session.id, None)
        relay = self.relays.get(session.show)
        was_host = relay is not None and relay.detach_host(session)
        if was_host:
            self.feeds.links.host_left(relay)
            if session.rehearsal:
                try:
                    await host_lease.rehearsal_over(self.app[REDIS], session.show, self.process_id)
                except (RedisError, OSError):
                    pass  # the lease lapses by itself
        await session.close()
        if was_host:
            await self._stop_hls(relay, ended=reason in ("deleted", "show ended"))
            await self._stop_recording(relay)
        self._update_gauges()
        log.info("WHIP session for %s ended (%s)", session.show, reason)
        return was_host

    async def end_broadcast(self, session: WhipSession) -> None:
        """WHIP DELETE: the host ended the show."""
        relay = self.relays.get(session.show)
        if relay is not None and relay.host is session and not session.rehearsal:
            self._ending.add(session.show)
            try:
                # before the recording stops, so "ended" lands in its sidecar too
                await self._set_status(session.show, "ended")
                try:
                    await host_lease.release(self.app[REDIS], session.show)
                except (RedisError, OSError) as exc:
                    log.warning(
                        "could not release the host lease of %s: %s", session.show, describe(exc)
                    )
                await self._drop_host(session, "deleted")
            finally:
                self._ending.discard(session.show)
        else:
            await self._drop_host(session, "deleted")
        await self._forget_if_idle(session.show)

    async def _forget_if_idle(self, show: str) -> None:
        """Drop a show's relay once it has no host, no viewers and no grace timer."""
        relay = self.relays.get(show)
        if relay is None or relay.host is not None or relay.viewers or relay.pending:
            return
        if relay.feed is not None:
            return
        del self.relays[show]
        await relay.stop()

    def host_ended(self, session: WhipSession, reason: str) -> None:
        """ICE failed or no media: keep the show live for a reconnect, then end it."""
        self._spawn(self._host_lost(session, reason))

    async def _host_lost(self, session: WhipSession, reason: str) -> None:
        if await self._drop_host(session, reason) and not session.rehearsal:
            await self._host_gone(session)
        await self._forget_if_idle(session.show)

    async def _show_ended(self, show: str) -> None:
        """The show ended elsewhere (a sweep, another process): drop its host here."""
        relay = self.relays.get(show)
        if relay is not None and relay.host is not None:
            await self._drop_host(relay.host, "show ended")
        await self._forget_if_idle(show)

    async def _set_status(self, show: str, status: str) -> None:
        try:
            previous = await catalog.set_status(self.app[REDIS], show, status)
        except (StoreError, RedisError) as exc:
            log.warning("could not set show %s %s: %s", show, status, describe(exc))
            return
        if previous != status:
            self.app[HUB].publish(show, hub.SHOW_STATUS, {"status": status})

    # viewers
    async def watch(
        self, show: str, offer: str, *, preview: bool = False, edge: str | None = None
    ) -> WhepSession:
        """A WHEP viewer; ``edge``: the node whose feed this is (media/edge.py), which
        passes the viewer limit but only gets a public broadcast received here."""
        if edge is None and len(self.whep) >= self.settings.max_viewers:
            raise ApiError(
                503,
                "at_capacity",
                "this server has as many viewers as it takes",
                headers={"Retry-After": str(self.options.retry_after)},
            )
        if edge is not None:
            await self._check_edge(show, edge)
        relay = self.relay(show)
        if relay.host is None:
            relay.pending += 1  # kept while the feed connects
            try:
                await self.feeds.ensure(relay)  # the host may be in another process
            finally:
                relay.pending -= 1
        if edge is not None and not self._origin_of(relay):
            await self._forget_if_idle(show)
            raise ApiError(
                409,
                "not_origin",
                "this node does not receive this show's broadcast from its host",
            )
        offered = offered_video_codecs(offer)
        if relay.video_codec is not None:
            codec = relay.video_codec
            if "m=video" in offer and codec not in offered:
                raise ApiError(
                    422,
                    "codec_mismatch",
                    f"the host sends {codec}; the offer has {', '.join(offered) or 'none'}",
                )
        else:
            # not live yet: the browsers' common codec, unless the player only has H.264
            codec = "VP8" if "VP8" in offered or "H264" not in offered else "H264"
        session = WhepSession(
            relay,
            video_codec=codec,
            max_video=self.options.video_queue,
            max_audio=self.options.audio_queue,
            on_end=self.viewer_ended,
            hook=self.options.hook,
        )
        session.id = routing.session_id(self.process_id)
        session.preview = preview
        relay.pending += 1
        try:
            session.answer = await session.start(offer, self.settings)
        except SdpError as exc:
            await session.close()
            status = {"codec_mismatch": 422, "not_live": 409}.get(exc.code, 400)
            raise ApiError(status, exc.code, str(exc)) from None
        except BaseException:
            await session.close()
            raise
        finally:
            relay.pending -= 1
        self.whep[session.id] = session
        relay.viewers.add(session)
        self._update_gauges()
        return session

    async def _check_edge(self, show: str, edge: str) -> None:
        """Before any feed is made for it: another node's edge is fed only by the node
        whose process holds the show's public broadcast (409 otherwise)."""
        node = self.app[PROCESS_CARD].node
        if edge == node:
            raise ApiError(
                409,
                "same_node",
                "this node asked itself for the show: the LIVECAST_NODE_URL of the node "
                "holding the host points back here",
            )
        relay = self.relays.get(show)
        if relay is not None and relay.host is not None:
            if relay.private:
                raise ApiError(409, "not_origin", "this show is in a private rehearsal")
            return
        owner, private = await self.feeds.owner(show)
        card = await processes.card(self.app[REDIS], owner) if owner and not private else None
        if card is None or card.get("node") != node:
            raise ApiError(
                409, "not_origin", "this node does not receive this show's broadcast from its host"
            )

    @staticmethod
    def _origin_of(relay: ShowRelay) -> bool:
        """This node has the show's public broadcast: its host in this process, or a
        feed from a process of this node (never another node's feed, never a rehearsal)."""
        if relay.host is not None:
            return not relay.private
        feed = relay.feed
        return feed is not None and not isinstance(feed, EdgeFeed) and not relay.private

    def viewer_ended(self, session: WhepSession, reason: str) -> None:
        self._spawn(self.stop_viewer(session))

    async def stop_viewer(self, session: WhepSession) -> None:
        self.whep.pop(session.id, None)
        relay = self.relays.get(session.show)
        if relay is not None:
            relay.viewers.discard(session)
        await session.close()
        self._update_gauges()
        await self._forget_if_idle(session.show)

    # recording sidecar
    def on_hub_event(self, event: hub.Event) -> None:
        relay = self.relays.get(event.show)
        if relay is not None and relay.recorder is not None:
            relay.recorder.add_event(event)
        if (
            event.kind == hub.SHOW_STATUS
            and isinstance(event.data, dict)
            and event.data.get("status") == "ended"
            and relay is not None
            and event.show not in self._ending
        ):
            self._spawn(self._show_ended(event.show))
        if (
            event.kind == hub.SHOW_STATUS
            and isinstance(event.data, dict)
            and event.data.get("status") == "ended"
            and (relay is None or relay.hls is None)  # a packager here finishes itself
        ):
            self._spawn(self._finish_hls(event.show))

    async def _finish_hls(self, show: str) -> None:
        """The show ended (its host may have gone earlier): ENDLIST and vod.m3u8."""
        directory = hls.show_directory(self.settings.data_dir, show)
        await asyncio.get_running_loop().run_in_executor(None, finish_show, directory)

    async def close(self) -> None:
        """App cleanup: every peer connection closed, every recording finished.

        Live shows stay live: their hosts get the reconnect grace, to come back to this
        server once it is up again (or to another process); a sweep ends them after it.
        """
        for session in list(self.whep.values()):
            await self.stop_viewer(session)
        for session in list(self.whip.values()):
            if await self._drop_host(session, "shutdown") and not session.rehearsal:
                await self._host_gone(session)
        await self.feeds.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for relay in list(self.relays.values()):
            await relay.stop()
