"""The HLS packager: a show's forwarded frames remuxed into fMP4 parts (no re-encoding).

One packager per live H.264 host session, fed from the relay's tap next to the recorder
(:meth:`write` never blocks). A thread muxes with PyAV's mp4 muxer, fragmented
(``frag_keyframe`` + ``frag_duration``): a fragment ends at each keyframe and before
``FRAGMENT_SECONDS`` pass, and every fragment is one part. Parts, segments (a segment's
parts end to end), init segments and playlists are written into the show's folder under
the data dir (private; temp file + rename), so any process of the node can serve them.

Audio stays Opus (in fMP4, ``dOps``): no decoding, no CPU; hls.js plays it through MSE
in Chromium and Firefox, Safari 17+ natively (see docs/deploy.md).
"""

from __future__ import annotations

import fractions
import json
import logging
import os
import re
import threading
import time
from collections import deque
from pathlib import Path

import av

from ...store.embedded import private_dir
from ..keyframe import h264_parameter_sets
from ..recorder import OPUS_HEAD
from . import fmp4
from .playlist import (
    LIVE_SEGMENTS,
    PART_TARGET,
    PARTS_FOR_SEGMENTS,
    Part,
    Segment,
    init_name,
    media_playlist,
    part_name,
    segment_name,
    starts_segment,
    vod_playlist,
)

log = logging.getLogger(__name__)

# a fragment ends at the first frame this long after its first: parts last from this to
# this + one frame interval, within [85 %, 100 %] of PART_TARGET down to 15 fps
FRAGMENT_SECONDS = 0.43
MUXER_OPTIONS = {
    "movflags": "frag_keyframe+empty_moov+default_base_moof",
    "frag_duration": str(int(FRAGMENT_SECONDS * 1_000_000)),
    "max_interleave_delta": "100000",  # µs: do not hold video for late audio longer
    "flush_packets": "1",
}
INDEX = "index.m3u8"
VOD = "vod.m3u8"
LOG = "segments.jsonl"  # one complete segment a line: what vod.m3u8 is made from
QUEUE_SIZE = 2000
POLL = 0.005  # seconds the thread sleeps when it has caught up
SEGMENT_FILE_RE = re.compile(r"^seg([0-9]+)\.m4s$")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that a reader sees the old bytes or the new, never a mix."""
    tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def read_log(directory: Path) -> list[Segment]:
    """The show's complete segments so far (from earlier host sessions too)."""
    segments = []
    try:
        lines = (directory / LOG).read_text().splitlines()
    except FileNotFoundError:
        return segments
    for line in lines:
        try:
            item = json.loads(line)
            segment = Segment(item["msn"], item["init"], item["at"], complete=True)
            segment.list_parts = False
            segment.parts = [Part(float(item["duration"]), True)]
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line
        segments.append(segment)
    return segments


def finish_show(directory: Path) -> None:
    """The show has ended: the live playlist gets its ENDLIST, vod.m3u8 is written.
    Safe to call in several processes, or twice (blocking: call from a thread)."""
    if not directory.is_dir():
        return
    index = directory / INDEX
    try:
        text = index.read_text()
    except FileNotFoundError:
        text = None
    if text is not None and "#EXT-X-ENDLIST" not in text:
        write_atomic(index, (text + "#EXT-X-ENDLIST\n").encode())
    segments = read_log(directory)
    if segments:
        write_atomic(directory / VOD, vod_playlist(segments).encode())


class _Sink:
    """The muxer's output file: bytes go to the box splitter."""

    def __init__(self, splitter: fmp4.BoxSplitter) -> None:
        self.splitter = splitter
        self.boxes: list[tuple[str, bytes]] = []

    def write(self, data) -> int:
        self.boxes += self.splitter.feed(bytes(data))
        return len(data)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass


class HlsPackager:
    """Packages one host session of ``show`` into ``directory``; :meth:`write` never blocks."""

    def __init__(self, directory: Path, show: str, timeline_origin: float) -> None:
        self.directory = directory
        self.show = show
        # the wall clock of the show timeline's zero (EXT-X-PROGRAM-DATE-TIME)
        self._wall_origin = time.time() - (time.monotonic() - timeline_origin)
        self._items: deque = deque()
        self._thread = threading.Thread(target=self._run, name=f"hls-{show}", daemon=True)
        self.dropped = 0
        self.failed: str | None = None
        self.parts_written = 0
        self.longest_part = 0.0
        self.longest_segment = 0.0
        # muxer state (the thread's)
        self._container = None
        self._streams: dict[str, av.stream.Stream] = {}
        self._sink: _Sink | None = None
        self._pending_moof: bytes | None = None
        self._timescale = 90000
        self._trex = (0, 0)
        self._first_video: tuple[float, int] | None = None  # (pts seconds, tfdt ticks)
        self._last_pts: dict[str, int] = {}
        # the playlist's state
        self._history: list[Segment] = []
        self._segment: Segment | None = None
        self._part_bytes: list[bytes] = []
        self._with_part_files: deque[tuple[int, int]] = deque()  # (msn, parts) on disk
        self._init: str | None = None
        self._discontinuity = False
        self._next_msn = 0

    def start(self) -> None:
        private_dir(self.directory)
        self._history = read_log(self.directory)
        self._next_msn = max([s.msn + 1 for s in self._history] + [self._max_msn_on_disk() + 1])
        self._thread.start()

    def _max_msn_on_disk(self) -> int:
        found = [-1]
        for path in self.directory.iterdir():
            name = path.name
            if name.startswith(("seg", "part", "init")):
                digits = re.match(r"^(?:seg|part|init)([0-9]+)", name)
                if digits:
                    found.append(int(digits.group(1)))
        return max(found)

    def write(self, kind: str, data: bytes, pts: int, keyframe: bool) -> None:
        if len(self._items) >= QUEUE_SIZE:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("HLS packager for %s is behind; dropping frames", self.show)
            return
        self._items.append((kind, data, pts, keyframe))

    def stop_blocking(self, *, ended: bool = False) -> None:
        """Finish (call from a thread): the last part is written, ``ended`` adds ENDLIST."""
        if self._thread.is_alive():
            self._items.append(("stop", ended))
            self._thread.join()

    def _next(self):
        while True:
            try:
                return self._items.popleft()
            except IndexError:
                time.sleep(POLL)

    # the thread
    def _run(self) -> None:
        ended = False
        try:
            while True:
                item = self._next()
                if item[0] == "stop":
                    ended = item[1]
                    break
                if self.failed:
                    continue
                self._mux(*item)
        except Exception as exc:
            self.failed = str(exc)
            log.exception("HLS packager for %s failed", self.show)
        finally:
            try:
                self._close()
            except Exception:
                log.exception("HLS packager for %s: closing failed", self.show)
            if ended:
                finish_show(self.directory)

    def _mux(self, kind: str, data: bytes, pts: int, keyframe: bool) -> None:
        if self._container is None and (kind != "video" or not keyframe or not self._open(data)):
            return  # parts start at a keyframe
        if kind in self._last_pts and pts <= self._last_pts[kind]:
            pts = self._last_pts[kind] + 1
        self._last_pts[kind] = pts
        clock = 90000 if kind == "video" else 48000
        if kind == "video" and self._first_video is None:
            self._first_video = (pts / clock, -1)
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = fractions.Fraction(1, clock)
        packet.stream = self._streams[kind]
        if kind == "video" and keyframe:
            packet.is_keyframe = True
        try:
            self._container.mux(packet)
        except av.FFmpegError as exc:
            log.warning("HLS packager for %s: mux failed: %s", self.show, exc)
        self._take_output()

    def _open(self, keyframe: bytes) -> bool:
        extradata = h264_parameter_sets(keyframe)
        if extradata is None:
            return False
        size = _picture_size(keyframe)
        if size is None:
            return False
        self._sink = _Sink(fmp4.BoxSplitter())
        container = av.open(self._sink, "w", format="mp4", options=MUXER_OPTIONS)
        video = container.add_stream("h264", rate=30)
        video.codec_context.extradata = extradata
        video.width, video.height = size
        audio = container.add_stream("libopus", rate=48000, layout="stereo")
        audio.codec_context.extradata = OPUS_HEAD
        self._container = container
        self._streams = {"video": video, "audio": audio}
        self._init = init_name(self._next_msn)
        self._first_video = None
        self._discontinuity = bool(self._history)
        return True

    def _close(self) -> None:
        if self._container is not None:
            container, self._container = self._container, None
            container.close()  # writes the last fragment
            self._take_output()
        if self._segment is not None and self._segment.parts:
            self._close_segment()
        self._segment = None
        # the part files go; the playlist keeps the segments (a reconnecting host continues)
        for msn, count in self._with_part_files:
            self._remove_parts(msn, count)
        self._with_part_files.clear()
        for segment in self._history:
            segment.list_parts = False
        self._write_index()

    def _take_output(self) -> None:
        sink = self._sink
        if sink is None or not sink.boxes:
            return
        boxes, sink.boxes = sink.boxes, []
        header = b""
        for kind, box in boxes:
            if kind == "ftyp":
                header = box
            elif kind == "moov":
                scales = fmp4.timescales(box)
                self._timescale = scales.get(1, 90000)
                self._trex = fmp4.trex_defaults(box).get(1, (0, 0))
                write_atomic(self.directory / self._init, header + box)
            elif kind == "moof":
                self._pending_moof = box
            elif kind == "mdat" and self._pending_moof is not None:
                moof, self._pending_moof = self._pending_moof, None
                self._add_part(moof, box)

    def _add_part(self, moof: bytes, mdat: bytes) -> None:
        timing = fmp4.fragment_timing(moof, 1, self._trex)
        if timing is None:  # no video in this fragment (the host's camera paused)
            timing = fmp4.Timing(0, 0, False)
        if self._first_video is not None and self._first_video[1] < 0:
            self._first_video = (self._first_video[0], timing.start)
        part = Part(timing.duration / self._timescale, timing.independent)
        if starts_segment(self._segment, part):
            if self._segment is not None:
                self._close_segment()
            self._segment = Segment(
                self._next_msn,
                self._init,
                self._wall_clock(timing.start),
                discontinuity=self._discontinuity,
            )
            self._discontinuity = False
            self._next_msn += 1
        segment = self._segment
        name = part_name(segment.msn, len(segment.parts))
        body = moof + mdat
        write_atomic(self.directory / name, body)
        self._part_bytes.append(body)
        segment.parts.append(part)
        self.parts_written += 1
        self.longest_part = max(self.longest_part, part.duration)
        if part.duration > PART_TARGET + 1e-3:
            log.warning("HLS %s: part %s lasts %.3f s", self.show, name, part.duration)
        self._write_index()

    def _wall_clock(self, tfdt: int) -> float:
        first_pts, first_tfdt = self._first_video or (0.0, 0)
        return self._wall_origin + first_pts + (tfdt - max(first_tfdt, 0)) / self._timescale

    def _close_segment(self) -> None:
        segment = self._segment
        write_atomic(self.directory / segment_name(segment.msn), b"".join(self._part_bytes))
        self._part_bytes = []
        segment.complete = True
        self.longest_segment = max(self.longest_segment, segment.duration)
        self._history.append(segment)
        line = {
            "msn": segment.msn,
            "init": segment.init,
            "at": round(segment.started_at, 3),
            "duration": round(segment.duration, 5),
        }
        with open(self.directory / LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        # parts leave the playlist after PARTS_FOR_SEGMENTS segments; their files a
        # segment later (a player may have just read a playlist that lists them)
        self._with_part_files.append((segment.msn, len(segment.parts)))
        while len(self._with_part_files) > PARTS_FOR_SEGMENTS + 1:
            self._remove_parts(*self._with_part_files.popleft())

    def _remove_parts(self, msn: int, count: int) -> None:
        for i in range(count):
            (self.directory / part_name(msn, i)).unlink(missing_ok=True)

    def _write_index(self) -> None:
        live = self._history[-LIVE_SEGMENTS:]
        if self._segment is not None and self._segment.parts:
            live.append(self._segment)
        if not live:
            return
        write_atomic(self.directory / INDEX, media_playlist(live).encode())


def _picture_size(keyframe: bytes) -> tuple[int, int] | None:
    """Width and height of an H.264 keyframe (decoded once per host session)."""
    try:
        decoder = av.CodecContext.create("h264", "r")
        frames = decoder.decode(av.Packet(keyframe))
        frames += decoder.decode(None)
    except av.FFmpegError:
        return None
    if not frames:
        return None
    return frames[0].width, frames[0].height
