"""WHIP and WHEP sessions: one RTCPeerConnection each, tapped or fed by the relay."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import OperationError

from . import aiortc_tap
from .aiortc_tap import gathering
from .hook import SessionHook
from .ice import announce, rtc_configuration
from .ingest import IngestCount
from .relay import ShowRelay, ViewerTrack

log = logging.getLogger(__name__)

VIDEO_CODECS = ("VP8", "H264")  # what a host may send; the host's offer orders them
AUDIO_CODECS = ("opus",)


class SdpError(ValueError):
    """The offer cannot be used (400), or has no codec in common (``codec_mismatch``)."""

    def __init__(self, message: str, code: str = "bad_sdp") -> None:
        super().__init__(message)
        self.code = code


def new_session_id() -> str:
    return secrets.token_urlsafe(18)  # 144 bits


def check_offer(sdp: str) -> dict[str, int]:
    """Basic shape of an offer: m-lines per kind (at most one audio and one video)."""
    if not sdp.lstrip().startswith("v=0"):
        raise SdpError("the body is not an SDP offer (it must start with v=0)")
    counts = {"audio": 0, "video": 0}
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
            if kind in counts:
                counts[kind] += 1
    if not any(counts.values()):
        raise SdpError("the offer has no audio or video")
    if counts["audio"] > 1 or counts["video"] > 1:
        raise SdpError("send one audio and one video track at most")
    return counts


def offered_video_codecs(sdp: str) -> list[str]:
    """Video codec names of an offer's video section, in the offer's order (upper case)."""
    names: list[str] = []
    in_video = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        elif in_video and (m := re.match(r"a=rtpmap:\d+ ([A-Za-z0-9-]+)/", line)):
            name = m.group(1).upper()
            if name not in names:
                names.append(name)
    return names


def answered_codec(sdp: str, kind: str) -> str | None:
    """The first codec of an answer's section of ``kind`` (what will be sent)."""
    in_kind = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            in_kind = line.startswith(f"m={kind}")
        elif in_kind and (m := re.match(r"a=rtpmap:\d+ ([A-Za-z0-9-]+)/", line)):
            return m.group(1).upper()
    return None


def preferences(kind: str, names: tuple[str, ...], capabilities) -> list:
    """Codec capabilities of ``kind`` restricted to ``names`` in that order, plus RTX."""
    codecs = capabilities(kind).codecs
    chosen = [c for name in names for c in codecs if c.mimeType.lower() == f"{kind}/{name}".lower()]
    if kind == "video":
        chosen += [c for c in codecs if c.mimeType.lower() == "video/rtx"]
    return chosen


async def negotiate(pc: RTCPeerConnection, offer: str, settings) -> str:
    """Apply the offer, answer it with every candidate gathered (OBS never trickles)."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    except OperationError as exc:
        raise SdpError(str(exc), code="codec_mismatch") from None
    except Exception as exc:  # aiortc's SDP parser raises whatever it hits
        raise SdpError(f"unusable offer: {exc!r}") from None
    answer = await pc.createAnswer()
    with gathering(settings.ice_addresses, settings.udp_ports):
        await pc.setLocalDescription(answer)
    return announce(pc.localDescription.sdp, settings.announced_address)


class WhipSession:
    """The host's ingest: receivers tapped, frames to the show's relay."""

    def __init__(
        self,
        relay: ShowRelay,
        *,
        on_end,
        no_media_timeout: float,
        on_ingest=None,
        hook: SessionHook | None = None,
    ) -> None:
        self.id = new_session_id()
        self.etag = f'"{secrets.token_hex(8)}"'
        self.relay = relay
        self.show = relay.show
        self.pc = RTCPeerConnection(rtc_configuration())
        self.created = time.monotonic()
        self.last_media: float | None = None
        self.video_codec: str | None = None
        self.video_receiver: RTCRtpReceiver | None = None
        self.closed = False
        self.end_reason: str | None = None
        self._on_end = on_end
        self._no_media_timeout = no_media_timeout
        self._watchdog: asyncio.Task | None = None
        self._on_ingest = on_ingest  # fn(kind, packets, gaps, late)
        self.hook = hook  # benchmarks and tests only (media/hook.py)
        self.rehearsal = False  # a private rehearsal: not live, not recorded, no lease

    def _ingest_counter(self, kind: str) -> IngestCount:
        on_ingest = self._on_ingest

        def changed(packets: int, gaps: int, late: int) -> None:
            self.last_media = time.monotonic()
            if on_ingest is not None:
                on_ingest(kind, packets, gaps, late)

        return IngestCount(changed)

    async def start(self, offer: str, settings) -> str:
        # a transceiver per kind the offer has (an audio-only host has no video section)
        counts = check_offer(offer)
        hook = self.hook
        tap = hook is None or hook.tap_host(self)
        # the host's order: a studio that puts H.264 first gets H.264 (HLS packages it)
        offered = [c for c in offered_video_codecs(offer) if c in VIDEO_CODECS]
        video_codecs = tuple(dict.fromkeys([*offered, *VIDEO_CODECS]))
        for kind, codecs in (("video", video_codecs), ("audio", AUDIO_CODECS)):
            if not counts[kind]:
                continue
            transceiver = self.pc.addTransceiver(kind, direction="recvonly")
            transceiver.setCodecPreferences(
                preferences(kind, codecs, RTCRtpReceiver.getCapabilities)
            )
            if kind == "video":
                self.video_receiver = transceiver.receiver
            if tap:
                aiortc_tap.tap_receiver(transceiver.receiver, self._frame_handler(kind))
                if hook is not None:
                    hook.host_tapped(transceiver.receiver)
            aiortc_tap.count_ingest(transceiver.receiver, self._ingest_counter(kind))
        answer = await negotiate(self.pc, offer, settings)
        self.video_codec = answered_codec(answer, "video")
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())
        return answer

    def _frame_handler(self, kind: str):
        relay = self.relay

        def on_frame(codec, frame) -> None:
            self.last_media = time.monotonic()
            relay.on_frame(
                self, kind, codec.name.upper(), codec.clockRate, frame.data, frame.timestamp
            )

        return on_frame

    def alive(self, stale_after: float) -> bool:
        """Still sending (or still connecting): a new WHIP POST must not replace it."""
        if self.closed or self.pc.connectionState in ("failed", "closed"):
            return False
        now = time.monotonic()
        if self.last_media is None:
            return now - self.created < self._no_media_timeout
        return now - self.last_media < stale_after

    async def request_keyframe(self) -> bool:
        if self.video_receiver is None or self.closed:
            return False
        return await aiortc_tap.send_pli(self.video_receiver)

    async def _watch(self) -> None:
        try:
            while not self.closed:
                await asyncio.sleep(0.5)
                reason = None
                if self.pc.connectionState in ("failed", "closed"):
                    reason = "ice"
                elif time.monotonic() - (self.last_media or self.created) > self._no_media_timeout:
                    reason = "no_media"
                if reason:
                    self.end_reason = reason
                    self._watchdog = None  # close() must not cancel the task running it
                    self._on_end(self, reason)
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("WHIP session watchdog for %s failed", self.show)

    async def close(self) -> None:
        """Close the peer connection; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            try:
                await self._watchdog
            except asyncio.CancelledError:
                pass
            self._watchdog = None
        await self.pc.close()


class WhepSession:
    """One viewer: our tracks, fed by the relay from whichever host session is current."""

    def __init__(
        self,
        relay: ShowRelay,
        *,
        video_codec: str,
        max_video: int,
        max_audio: int,
        on_end,
        hook: SessionHook | None = None,
    ) -> None:
        self.id = new_session_id()
        self.etag = f'"{secrets.token_hex(8)}"'
        self.relay = relay
        self.show = relay.show
        self.video_codec = video_codec
        self.pc = RTCPeerConnection(rtc_configuration())
        self.tracks = {
            "video": ViewerTrack(
                "video", video_codec, max_queue=max_video, need_keyframe=relay.keyframes.request
            ),
            "audio": ViewerTrack(
                "audio", "OPUS", max_queue=max_audio, need_keyframe=relay.keyframes.request
            ),
        }
        self.closed = False
        self.mismatched = False
        self.preview = False  # the host's own player: also sees a rehearsal
        self._on_end = on_end
        self._ended = False
        self.hook = hook  # benchmarks and tests only (media/hook.py)

    async def start(self, offer: str, settings) -> str:
        check_offer(offer)
        self.pc.on("connectionstatechange", self._state_changed)
        if self.hook is not None:
            answer = await self.hook.answer_viewer(self, offer, settings)
            if answer is not None:
                return answer
        video = self.pc.addTransceiver(self.tracks["video"], direction="sendonly")
        video.setCodecPreferences(
            preferences("video", (self.video_codec,), RTCRtpSender.getCapabilities)
        )
        aiortc_tap.on_keyframe_request(video.sender, self.relay.keyframes.request)
        audio = self.pc.addTransceiver(self.tracks["audio"], direction="sendonly")
        for transceiver in (video, audio):
            track = transceiver.sender.track
            track.sender = transceiver.sender
            track.send_parameters = aiortc_tap.capture_send_parameters(transceiver.sender)
        audio.setCodecPreferences(preferences("audio", AUDIO_CODECS, RTCRtpSender.getCapabilities))
        return await negotiate(self.pc, offer, settings)

    def _state_changed(self) -> None:
        if self.pc.connectionState in ("failed", "closed") and not self.closed:
            self.end("ice")

    def end(self, reason: str) -> None:
        if not self._ended:
            self._ended = True
            self._on_end(self, reason)

    def push(self, kind: str, packet, keyframe: bool, packed=None) -> bool:
        if self.mismatched:
            return False
        return self.tracks[kind].push(packet, keyframe, packed)

    def host_changed(self, video_codec: str | None) -> None:
        """A host (re)connected: resume at its next keyframe, or end on another codec."""
        if video_codec and video_codec != self.video_codec:
            # negotiated before the host went live, on another codec: the player reconnects
            self.mismatched = True
            self.end("codec_changed")
            return
        for track in self.tracks.values():
            track.restart()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for track in self.tracks.values():
            track.stop()
        await self.pc.close()
