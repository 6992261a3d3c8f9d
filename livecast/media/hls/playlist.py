"""Low-latency HLS playlists (RFC 8216bis) as plain text, and the blocking-reload rules.

A show's media is cut into parts (one fMP4 fragment each, at most ``PART_TARGET``
seconds) grouped into segments that start at keyframes. Files are named by their
Media Sequence Number (msn) and part index, so a name is never reused for other bytes:

- ``init{n}.mp4``: the init segment of the muxer that starts at msn ``n``
- ``part{msn}.{i}.m4s``: part ``i`` of segment ``msn``
- ``seg{msn}.m4s``: the whole segment (its parts' bytes, one after the other)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

PART_TARGET = 0.5  # seconds: EXT-X-PART-INF PART-TARGET; every part is at most this long
SEGMENT_TARGET = 2  # seconds: EXT-X-TARGETDURATION
MIN_SEGMENT = 1.0  # a new segment starts at the first keyframe after this long
PART_HOLD_BACK = 3 * PART_TARGET  # the RFC's recommended 3 part targets from the live edge
# RFC 8216bis 4.4.4.9: a part lasts at least 85 % of PART-TARGET unless it is INDEPENDENT
# or the last of its segment
SHORT_PART = 0.85 * PART_TARGET
LIVE_SEGMENTS = 6  # segments listed in the live playlist
PARTS_FOR_SEGMENTS = 3  # the last this many segments (and the open one) list their parts
ADVANCE_PARTS = 3  # RFC 8216bis 6.2.5.2: a request further ahead than this is refused
VERSION = 9

NAME_RE = re.compile(
    r"^(?:init[0-9]{1,9}\.mp4|seg[0-9]{1,9}\.m4s|part[0-9]{1,9}\.[0-9]{1,4}\.m4s)$"
)
PART_URI_RE = re.compile(r'^#EXT-X-PART:.*URI="part([0-9]+)\.([0-9]+)\.m4s"', re.M)
SEGMENT_URI_RE = re.compile(r"^seg([0-9]+)\.m4s$", re.M)


def init_name(msn: int) -> str:
    return f"init{msn}.mp4"


def part_name(msn: int, index: int) -> str:
    return f"part{msn}.{index}.m4s"


def segment_name(msn: int) -> str:
    return f"seg{msn}.m4s"


@dataclass
class Part:
    duration: float
    independent: bool


@dataclass
class Segment:
    msn: int
    init: str  # the init segment's name (EXT-X-MAP)
    started_at: float  # wall clock of its first frame (EXT-X-PROGRAM-DATE-TIME)
    parts: list[Part] = field(default_factory=list)
    complete: bool = False
    discontinuity: bool = False  # a new muxer (a new host session) starts here
    list_parts: bool = True  # False once its part files are gone (an earlier session)

    @property
    def duration(self) -> float:
        return sum(p.duration for p in self.parts)


def starts_segment(current: Segment | None, part: Part) -> bool:
    """Does ``part`` open a new segment? Only at a keyframe: once the current segment is
    at least MIN_SEGMENT long, or would pass the target with this part, or when the
    keyframe cut the part before it short (a short part may only end a segment)."""
    if current is None or not current.parts:
        return True
    if not part.independent:
        return False
    last = current.parts[-1]
    return (
        current.duration >= MIN_SEGMENT
        or current.duration + part.duration > SEGMENT_TARGET
        or (last.duration < SHORT_PART and not last.independent)
    )


def _fmt(seconds: float) -> str:
    return f"{seconds:.5f}".rstrip("0").rstrip(".") or "0"


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def media_playlist(segments: list[Segment], *, ended: bool = False) -> str:
    """The live playlist of ``segments`` (oldest first; the last may be open)."""
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        f"#EXT-X-TARGETDURATION:{SEGMENT_TARGET}",
        f"#EXT-X-PART-INF:PART-TARGET={_fmt(PART_TARGET)}",
        f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={_fmt(PART_HOLD_BACK)}",
        f"#EXT-X-MEDIA-SEQUENCE:{segments[0].msn if segments else 0}",
    ]
    complete = [s for s in segments if s.complete]
    with_parts = {s.msn for s in complete[-PARTS_FOR_SEGMENTS:]}
    init = None
    for segment in segments:
        if segment.discontinuity and init is not None:
            lines.append("#EXT-X-DISCONTINUITY")
        if segment.init != init:
            init = segment.init
            lines.append(f'#EXT-X-MAP:URI="{init}"')
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_date(segment.started_at)}")
        if segment.list_parts and (not segment.complete or segment.msn in with_parts):
            for i, part in enumerate(segment.parts):
                independent = ",INDEPENDENT=YES" if part.independent else ""
                lines.append(
                    f"#EXT-X-PART:DURATION={_fmt(part.duration)},"
                    f'URI="{part_name(segment.msn, i)}"{independent}'
                )
        if segment.complete:
            lines.append(f"#EXTINF:{_fmt(segment.duration)},")
            lines.append(segment_name(segment.msn))
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def vod_playlist(segments: list[Segment]) -> str:
    """Every complete segment of the show, as a VOD playlist, each with its date-time."""
    complete = [s for s in segments if s.complete and s.parts]
    target = max([SEGMENT_TARGET, *(math.ceil(s.duration) for s in complete)])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-MEDIA-SEQUENCE:{complete[0].msn if complete else 0}",
    ]
    init = None
    for segment in complete:
        # every segment's wall clock: the replay places a recording's chat and moments on
        # the vod by it (sessions play end to end, the gaps between them are not in it)
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_date(segment.started_at)}")
        if segment.init != init:
            if init is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            init = segment.init
            lines.append(f'#EXT-X-MAP:URI="{init}"')
        lines.append(f"#EXTINF:{_fmt(segment.duration)},")
        lines.append(segment_name(segment.msn))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


# what the playlist holds, read back from its text (any process can serve it)
@dataclass(frozen=True)
class Edge:
    last_part: tuple[int, int] | None  # (msn, index) of the newest part listed
    last_segment: int | None  # msn of the newest complete segment
    ended: bool

    @property
    def newest_msn(self) -> int | None:
        values = [self.last_segment, self.last_part[0] if self.last_part else None]
        return max((v for v in values if v is not None), default=None)


def read_edge(text: str) -> Edge:
    parts = PART_URI_RE.findall(text)
    segments = SEGMENT_URI_RE.findall(text)
    return Edge(
        last_part=(int(parts[-1][0]), int(parts[-1][1])) if parts else None,
        last_segment=int(segments[-1]) if segments else None,
        ended="#EXT-X-ENDLIST" in text,
    )


class BadReload(ValueError):
    """Unusable ``_HLS_msn`` / ``_HLS_part`` (an HTTP 400)."""


def reload_request(query) -> tuple[int, int | None] | None:
    """``(msn, part)`` of a blocking reload, None for a plain request; BadReload if bad."""
    msn, part = query.get("_HLS_msn"), query.get("_HLS_part")
    if msn is None:
        if part is not None:
            raise BadReload("_HLS_part needs _HLS_msn")
        return None
    values = []
    for name, value in (("_HLS_msn", msn), ("_HLS_part", part)):
        if value is None:
            values.append(None)
            continue
        if not value.isascii() or not value.isdigit() or len(value) > 9:
            raise BadReload(f"{name} must be a non-negative integer")
        values.append(int(value))
    return values[0], values[1]


def reload_state(edge: Edge, msn: int, part: int | None) -> str:
    """``ready`` (answer now), ``wait`` (not there yet) or ``too_far`` (HTTP 400)."""
    if edge.ended:
        return "ready"
    newest = edge.newest_msn
    if newest is None:
        return "wait" if msn <= 2 else "too_far"
    if part is None:
        if edge.last_segment is not None and edge.last_segment >= msn:
            return "ready"
        return "too_far" if msn > newest + 2 else "wait"
    if edge.last_part is not None and edge.last_part >= (msn, part):
        return "ready"
    if edge.last_segment is not None and edge.last_segment > msn:
        return "ready"
    if msn > newest + 2:
        return "too_far"
    last = edge.last_part
    if last is not None and msn == last[0] and part > last[1] + ADVANCE_PARTS:
        return "too_far"
    return "wait"
