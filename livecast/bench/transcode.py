"""The baseline ``livecast bench relay --baseline transcode`` compares with: what aiortc
alone does, the host's frames decoded once and re-encoded for every viewer
(``MediaRelay`` + ``addTrack``).

It plugs into the media plane through its one hook (``MediaOptions.hook``, see
``livecast/media/hook.py``); ``python -m livecast.bench.transcode serve`` is
``livecast serve`` with it, for the benchmark's server subprocess.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from aiortc import RTCRtpSender

from ..media.hook import SessionHook
from ..media.sessions import AUDIO_CODECS, SdpError, negotiate, preferences


class TranscodeBaseline(SessionHook):
    """Hosts' receivers left untapped (decoded); each viewer re-encodes from them."""

    def __init__(self) -> None:
        self.decoded: dict[str, dict] = {}  # show -> kind -> the host's decoded track
        self._relays: dict = {}  # show -> MediaRelay
        self._arrived: dict[str, asyncio.Event] = {}

    def arrived(self, show: str) -> asyncio.Event:
        """Set once the show's host video track is there."""
        return self._arrived.setdefault(show, asyncio.Event())

    def tap_host(self, session) -> bool:
        show = session.show

        def on_track(track) -> None:
            self.decoded.setdefault(show, {})[track.kind] = track
            if track.kind == "video":
                self.arrived(show).set()

        session.pc.on("track", on_track)
        return False

    async def answer_viewer(self, session, offer: str, settings) -> str:
        from aiortc.contrib.media import MediaRelay

        show = session.show
        decoded = self.decoded.get(show, {})
        if "video" not in decoded:
            raise SdpError("transcode baseline: the host is not live yet", code="not_live")
        relay = self._relays.get(show)
        if relay is None:
            relay = self._relays[show] = MediaRelay()
        for kind, names in (("video", (session.video_codec,)), ("audio", AUDIO_CODECS)):
            track = decoded.get(kind)
            if track is None:
                continue
            t = session.pc.addTransceiver(relay.subscribe(track), direction="sendonly")
            t.setCodecPreferences(preferences(kind, names, RTCRtpSender.getCapabilities))
        return await negotiate(session.pc, offer, settings)


def install(app) -> None:
    from ..media import MEDIA

    app[MEDIA].options.hook = TranscodeBaseline()


def main(argv: list[str]) -> int:
    """``serve [--host H] [--port P]``: ``livecast serve`` with the baseline plugged in."""
    from .. import cli
    from ..config import ConfigError, Settings
    from ..errors import InternalsMoved

    args = cli.build_parser().parse_args(argv)
    if args.fn is not cli.cmd_serve:
        print("usage: python -m livecast.bench.transcode serve [...]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        return cli.cmd_serve(args, Settings.from_env(), customize=install) or 0
    except (ConfigError, cli.CliError, InternalsMoved) as exc:
        print(f"livecast: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
