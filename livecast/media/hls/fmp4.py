"""Just enough ISO BMFF reading to cut the muxer's output into HLS parts.

PyAV's mp4 muxer (fragmented) writes ``ftyp`` + ``moov`` (the init segment) and then one
``moof`` + ``mdat`` pair per fragment. :class:`BoxSplitter` turns the byte stream into
complete top-level boxes; :func:`fragment_timing` reads a ``moof``: where the video
track starts, how long it lasts and whether it starts with a sync sample.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

NON_SYNC = 0x00010000  # sample_is_non_sync_sample in the sample flags
DEPENDS_ON_NONE = 0x02000000  # sample_depends_on == 2: an I frame


class BoxSplitter:
    """Bytes in, complete top-level boxes out: ``(type, bytes of the whole box)``."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        self._buffer += data
        out = []
        while len(self._buffer) >= 8:
            size, kind = struct.unpack_from(">I4s", self._buffer)
            header = 8
            if size == 1:
                if len(self._buffer) < 16:
                    break
                size = struct.unpack_from(">Q", self._buffer, 8)[0]
                header = 16
            if size < header:
                raise ValueError(f"bad box size {size}")
            if len(self._buffer) < size:
                break
            out.append((kind.decode("latin-1"), bytes(self._buffer[:size])))
            del self._buffer[:size]
        return out


def children(data: bytes, start: int = 8) -> Iterator[tuple[str, bytes]]:
    """The boxes inside a container box (``data`` is the whole box)."""
    i = start
    while i + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, i)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, i + 8)[0]
            header = 16
        elif size == 0:
            size = len(data) - i
        if size < header:
            return
        yield kind.decode("latin-1"), data[i : i + size]
        i += size


def child(data: bytes, kind: str) -> bytes | None:
    return next((box for k, box in children(data) if k == kind), None)


def timescales(moov: bytes) -> dict[int, int]:
    """track_ID -> timescale, from an init segment's ``moov``."""
    out = {}
    for kind, trak in children(moov):
        if kind != "trak":
            continue
        tkhd, mdia = child(trak, "tkhd"), child(trak, "mdia")
        mdhd = child(mdia, "mdhd") if mdia else None
        if tkhd is None or mdhd is None:
            continue
        track_id = struct.unpack_from(">I", tkhd, 28 if tkhd[8] == 1 else 20)[0]
        timescale = struct.unpack_from(">I", mdhd, 28 if mdhd[8] == 1 else 20)[0]
        out[track_id] = timescale
    return out


def trex_defaults(moov: bytes) -> dict[int, tuple[int, int]]:
    """track_ID -> (default sample duration, default sample flags) from ``mvex/trex``."""
    out = {}
    mvex = child(moov, "mvex")
    if mvex is None:
        return out
    for kind, trex in children(mvex):
        if kind == "trex":
            track_id, _, duration, _, flags = struct.unpack_from(">5I", trex, 12)
            out[track_id] = (duration, flags)
    return out


@dataclass(frozen=True)
class Timing:
    start: int  # baseMediaDecodeTime, in the track's timescale
    duration: int  # sum of the sample durations
    independent: bool  # the first sample is a sync sample


def fragment_timing(moof: bytes, track_id: int, trex: tuple[int, int] = (0, 0)) -> Timing | None:
    """The timing of ``track_id`` in a ``moof`` (None if the fragment does not carry it)."""
    for kind, traf in children(moof):
        if kind != "traf":
            continue
        tfhd = child(traf, "tfhd")
        if tfhd is None:
            continue
        flags = int.from_bytes(tfhd[9:12], "big")
        if struct.unpack_from(">I", tfhd, 12)[0] != track_id:
            continue
        i = 16
        default_duration, default_flags = trex
        if flags & 0x01:
            i += 8
        if flags & 0x02:
            i += 4
        if flags & 0x08:
            default_duration = struct.unpack_from(">I", tfhd, i)[0]
            i += 4
        if flags & 0x10:
            i += 4
        if flags & 0x20:
            default_flags = struct.unpack_from(">I", tfhd, i)[0]
        start = 0
        tfdt = child(traf, "tfdt")
        if tfdt is not None:
            start = struct.unpack_from(">Q" if tfdt[8] == 1 else ">I", tfdt, 12)[0]
        duration = 0
        first_flags = None
        for kind2, trun in children(traf):
            if kind2 != "trun":
                continue
            tflags = int.from_bytes(trun[9:12], "big")
            count = struct.unpack_from(">I", trun, 12)[0]
            j = 16
            if tflags & 0x01:
                j += 4
            run_first = None
            if tflags & 0x04:
                run_first = struct.unpack_from(">I", trun, j)[0]
                j += 4
            for n in range(count):
                sample_duration, sample_flags = default_duration, default_flags
                if tflags & 0x100:
                    sample_duration = struct.unpack_from(">I", trun, j)[0]
                    j += 4
                if tflags & 0x200:
                    j += 4
                if tflags & 0x400:
                    sample_flags = struct.unpack_from(">I", trun, j)[0]
                    j += 4
                if tflags & 0x800:
                    j += 4
                if n == 0 and run_first is not None:
                    sample_flags = run_first
                if first_flags is None:
                    first_flags = sample_flags
                duration += sample_duration
        independent = first_flags is not None and not first_flags & NON_SYNC
        return Timing(start, duration, independent)
    return None
