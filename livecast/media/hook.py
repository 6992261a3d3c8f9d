"""The one seam where benchmarks and tests change how media sessions start.

Production runs without it (``MediaOptions.hook`` is None). ``livecast.bench.transcode``
plugs in aiortc's decode-and-re-encode relay as the baseline ``livecast bench relay``
compares against; ``livecast.media.aiortc_tap.census`` counts the decoders aiortc builds,
so tests can show the server never decodes.
"""

from __future__ import annotations


class SessionHook:
    """Every method's default keeps the forwarding path as it is."""

    def tap_host(self, session) -> bool:
        """Before the host's offer is applied; False leaves its receivers untapped
        (aiortc then decodes them into tracks)."""
        return True

    def host_tapped(self, receiver) -> None:
        """One of the host's receivers was tapped (it has not started yet)."""

    async def answer_viewer(self, session, offer: str, settings) -> str | None:
        """An answer that replaces the forwarding path for this viewer, or None."""
        return None
