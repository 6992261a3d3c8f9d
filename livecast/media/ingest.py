"""The host's ingest: sequence gaps seen by the server, before any repair."""

from __future__ import annotations

from collections.abc import Callable


class IngestCount:
    """Counts one receiver's incoming RTP: packets, sequence numbers skipped, late ones.

    ``gaps`` counts sequence numbers skipped when a packet arrives ahead of the next one
    expected; ``late`` counts packets that arrive behind the highest seen (reordered,
    or retransmitted over RTX). ``gaps - late`` is what the host lost for good.
    """

    def __init__(self, on_change: Callable[[int, int, int], None] | None = None) -> None:
        self.packets = 0
        self.gaps = 0
        self.late = 0
        self._max: dict[int, int] = {}  # ssrc -> highest sequence number seen
        self._on_change = on_change

    def add(self, ssrc: int, seq: int, rtx: bool) -> None:
        gaps = late = 0
        if rtx:
            late = 1
        else:
            last = self._max.get(ssrc)
            if last is None:
                self._max[ssrc] = seq
            else:
                delta = (seq - last) & 0xFFFF
                if delta == 0:
                    late = 1  # a duplicate
                elif delta < 0x8000:
                    gaps = delta - 1
                    self._max[ssrc] = seq
                else:
                    late = 1
        self.packets += 1
        self.gaps += gaps
        self.late += late
        if self._on_change is not None:
            self._on_change(1, gaps, late)
