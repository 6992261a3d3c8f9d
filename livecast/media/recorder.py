"""Recording: the forwarded packets remuxed with PyAV (no decoding), plus a sidecar of events.

One recording per live WHIP session, in ``recordings_dir/{show}/``:

- ``{started}-{session}.webm`` (VP8 + Opus) or ``.mkv`` (H.264 + Opus), written by a
  thread (muxing blocks); the file starts at the first video keyframe.
- ``{same stem}.events.jsonl``: one JSON object a line, ``{"t": seconds since the
  recording started, "kind": hub kind, "data": ...}`` for the show's chat, featured,
  deal, sales, sold-out and status events, so a replay can show them in step.
- ``{same stem}.json`` written when the recording stops: started_at, duration, codecs.

Crashes: the muxer ends a cluster at least every second and writes it out at once, and
every sidecar line is flushed, so a SIGKILL loses about a second. While a recording is
written its sidecar is locked (``flock``, released by the kernel when the process dies);
at start-up :func:`finalise_interrupted` remuxes every recording that has no ``.json``
and no lock into a complete file (seek index, duration) and writes its ``.json``.
"""

from __future__ import annotations

import fcntl
import fractions
import json
import logging
import os
import re
import struct
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import av

from .. import hub
from .keyframe import h264_parameter_sets, vp8_size

log = logging.getLogger(__name__)

RECORDED_KINDS = frozenset(
    {
        hub.CHAT,
        hub.CHAT_DELETED,
        hub.CHAT_CLEARED,
        hub.FEATURED,
        hub.DEAL,
        hub.SALES,
        hub.SOLDOUT,
        hub.SHOW_STATUS,
    }
)
MEDIA_SUFFIXES = (".webm", ".mkv")
FILE_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9_-]{1,32}\.(webm|mkv)$")
# RFC 7845 identification header: version 1, 2 channels, 312 samples pre-skip, 48 kHz
OPUS_HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, 312, 48000, 0, 0)
# a cluster at least every second, written out at once: a crash loses about a second
MUXER_OPTIONS = {
    "cluster_time_limit": "1000",  # ms
    "cluster_size_limit": "2097152",
    "flush_packets": "1",
}
QUEUE_SIZE = 4000
POLL = 0.02  # seconds the writer sleeps when it has caught up


def recording_url(show: str, file: str) -> str:
    return f"/recordings/{show}/{file}"


class Recorder:
    """Writes one host session; :meth:`write` and :meth:`add_event` never block."""

    def __init__(
        self,
        directory: Path,
        show: str,
        session_id: str,
        video_codec: str | None,
        timeline_origin: float,
    ) -> None:
        self.show = show
        self.video_codec = (video_codec or "VP8").upper()
        self.started = time.time()
        self._origin_seconds = time.monotonic() - timeline_origin
        stamp = datetime.fromtimestamp(self.started, UTC).strftime("%Y%m%dT%H%M%SZ")
        suffix = ".mkv" if self.video_codec == "H264" else ".webm"
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{stamp}-{session_id[:12]}{suffix}"
        self.events_path = self.path.with_suffix(".events.jsonl")
        self.meta_path = self.path.with_suffix(".json")
        # a deque the writer polls: appending wakes no thread (a queue.Queue's notify per
        # frame cost 7 % of the event loop's time with 128 viewers)
        self._items: deque = deque()
        self._thread = threading.Thread(target=self._run, name=f"recorder-{show}", daemon=True)
        self._origin_cache: dict[int, int] = {}
        self.dropped = 0
        self.duration = 0.0
        self.failed: str | None = None
        self._events = None  # the sidecar, locked while this recording is written

    @property
    def file(self) -> str:
        return self.path.name

    def origin_ticks(self, clock_rate: int) -> int:
        ticks = self._origin_cache.get(clock_rate)
        if ticks is None:
            ticks = self._origin_cache[clock_rate] = int(self._origin_seconds * clock_rate)
        return ticks

    def start(self) -> None:
        self._events = open(self.events_path, "a", encoding="utf-8")  # noqa: SIM115
        fcntl.flock(self._events.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._thread.start()

    def write(self, kind: str, data: bytes, pts: int, keyframe: bool) -> None:
        self._put(("media", kind, data, pts, keyframe))

    def add_event(self, event: hub.Event) -> None:
        if event.kind in RECORDED_KINDS:
            line = {
                "t": round(max(0.0, event.ts - self.started), 3),
                "kind": event.kind,
                "data": event.data,
            }
            self._put(("event", json.dumps(line, ensure_ascii=False, default=str)))

    def _put(self, item) -> None:
        if len(self._items) >= QUEUE_SIZE:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("recorder for %s is behind; dropping packets", self.show)
            return
        self._items.append(item)

    def stop_blocking(self) -> None:
        """Finish the file (call from a thread: joins the writer)."""
        if self._thread.is_alive():
            self._items.append(None)
            self._thread.join()

    def _next(self):
        while True:
            try:
                return self._items.popleft()
            except IndexError:
                time.sleep(POLL)

    # the writer thread
    def _run(self) -> None:
        container = None
        streams: dict[str, av.stream.Stream] = {}
        last_pts: dict[str, int] = {}
        first_pts: dict[str, float] = {}
        end = 0.0
        events = self._events
        try:
            while True:
                item = self._next()
                if item is None:
                    break
                if item[0] == "event":
                    events.write(item[1] + "\n")
                    events.flush()
                    continue
                _, kind, data, pts, keyframe = item
                if container is None:
                    if kind != "video" or not keyframe:
                        continue  # the file starts at a keyframe
                    container, streams = self._open(data)
                if self.failed:
                    continue
                stream = streams[kind]
                if kind in last_pts and pts <= last_pts[kind]:
                    pts = last_pts[kind] + 1
                last_pts[kind] = pts
                clock = 90000 if kind == "video" else 48000
                packet = av.Packet(data)
                packet.pts = packet.dts = pts
                packet.time_base = fractions.Fraction(1, clock)
                packet.stream = stream
                if kind == "video" and keyframe:
                    packet.is_keyframe = True
                try:
                    container.mux(packet)
                except av.FFmpegError as exc:
                    log.warning("recorder for %s: mux failed: %s", self.show, exc)
                    continue
                seconds = pts / clock
                first_pts.setdefault(kind, seconds)
                end = max(end, seconds)
                self.duration = max(0.0, end - min(first_pts.values()))
        except Exception as exc:
            self.failed = str(exc)
            log.exception("recorder for %s failed", self.show)
        finally:
            if container is not None:
                try:
                    container.close()
                except Exception:
                    log.exception("recorder for %s: closing the file failed", self.show)
            self._write_meta()
            events.close()  # the lock goes with it: the recording is complete

    def _open(self, keyframe: bytes):
        fmt = "matroska" if self.video_codec == "H264" else "webm"
        container = av.open(str(self.path), "w", format=fmt, container_options=MUXER_OPTIONS)
        video = container.add_stream("h264" if self.video_codec == "H264" else "vp8", rate=30)
        if self.video_codec == "H264":
            extradata = h264_parameter_sets(keyframe)
            if extradata:
                video.codec_context.extradata = extradata
        elif size := vp8_size(keyframe):
            video.width, video.height = size
        audio = container.add_stream("libopus", rate=48000, layout="stereo")
        audio.codec_context.extradata = OPUS_HEAD
        return container, {"video": video, "audio": audio}

    def _write_meta(self) -> None:
        if not self.path.exists():
            return
        meta = {
            "started_at": iso(self.started),
            "duration": round(self.duration, 3),
            "video": self.video_codec,
            "audio": "opus",
        }
        self.meta_path.write_text(json.dumps(meta))


def finalise_interrupted(directory: Path) -> list[Path]:
    """Complete every recording under ``directory`` that a crash left unfinished (no
    ``.json``, sidecar not locked by a live recorder); returns those finalised.
    Blocking: call from a thread."""
    done = []
    if not directory.is_dir():
        return done
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if not FILE_RE.match(path.name) or path.with_suffix(".json").exists():
                continue
            try:
                if _finalise_unlocked(path):
                    done.append(path)
            except Exception:
                log.exception("could not finalise the interrupted recording %s", path.name)
    return done


def _finalise_unlocked(path: Path) -> bool:
    with open(path.with_suffix(".events.jsonl"), "a", encoding="utf-8") as sidecar:
        try:
            fcntl.flock(sidecar.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # being recorded (by another process)
        if path.with_suffix(".json").exists():
            return False
        return finalise(path)


def finalise(path: Path) -> bool:
    """Remux an interrupted recording into a complete file and write its ``.json``.

    The packets are copied as they are (no decoding) up to the torn end. An empty file
    (killed before its first keyframe) is removed with its sidecar; one that does not
    open is kept as it is, listed without a duration.
    """
    if path.stat().st_size == 0:
        path.unlink()
        path.with_suffix(".events.jsonl").unlink(missing_ok=True)
        log.warning("removed the interrupted recording %s: no media was written", path.name)
        return False
    tmp = path.with_name(path.name + ".part")
    fmt = "matroska" if path.suffix == ".mkv" else "webm"
    first: float | None = None
    end = 0.0
    try:
        with av.open(str(path)) as source, av.open(str(tmp), "w", format=fmt) as out:
            streams = {s.index: out.add_stream_from_template(s) for s in source.streams}
            try:
                for packet in source.demux():
                    if packet.dts is None or packet.pts is None:
                        continue
                    seconds = float(packet.pts * packet.time_base)
                    first = seconds if first is None else min(first, seconds)
                    end = max(end, seconds)
                    packet.stream = streams[packet.stream.index]
                    out.mux(packet)
            except av.FFmpegError:
                pass  # the torn end of a killed file
    except av.FFmpegError:
        first = None
    if first is None:
        tmp.unlink(missing_ok=True)
        log.warning("the interrupted recording %s does not open; kept as it is", path.name)
    else:
        os.replace(tmp, path)
    meta = {
        "started_at": _started_from_name(path.name),
        "duration": None if first is None else round(end - first, 3),
        "video": "H264" if path.suffix == ".mkv" else "VP8",
        "audio": "opus",
        "interrupted": True,
    }
    path.with_suffix(".json").write_text(json.dumps(meta))
    if first is None:
        return False
    log.info("finalised the interrupted recording %s (%.1f s)", path.name, meta["duration"])
    return True


def _started_from_name(name: str) -> str:
    stamp = datetime.strptime(name[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return iso(stamp.timestamp())


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def probe(path: Path) -> tuple[str, float | None]:
    started = iso(path.stat().st_mtime)
    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return started, round(container.duration / av.time_base, 3)
    except av.FFmpegError:
        pass
    return started, None


def list_recordings(directory: Path, show: str, active: dict[str, Recorder]) -> list[dict]:
    """The show's recordings, oldest first (blocking: call from a thread)."""
    folder = directory / show
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if not FILE_RE.match(path.name):
            continue
        meta_path = path.with_suffix(".json")
        recorder = active.get(path.name)
        if recorder is not None:
            started, duration = iso(recorder.started), round(recorder.duration, 3)
        elif meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text())
                started, duration = meta["started_at"], meta["duration"]
            except (ValueError, KeyError):
                continue
        else:
            started, duration = probe(path)  # interrupted: no metadata written
        out.append(
            {
                "file": path.name,
                "url": recording_url(show, path.name),
                "started_at": started,
                "duration": duration,
                "size": path.stat().st_size,
                "events_url": recording_url(show, path.with_suffix(".events.jsonl").name),
            }
        )
    return out
