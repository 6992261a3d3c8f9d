"""Finalising recordings a crash left unfinished, without touching one being written."""

from __future__ import annotations

import fractions
import json
import time

import av
import numpy as np

from livecast.media.recorder import Recorder, finalise_interrupted, list_recordings


def vp8_frames(count: int) -> list[tuple[bytes, bool]]:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 64, 48, "yuv420p"
    codec.time_base = fractions.Fraction(1, 90000)
    codec.options = {"deadline": "realtime", "lag-in-frames": "0"}
    out = []
    for i in range(count):
        frame = av.VideoFrame.from_ndarray(np.full((72, 64), i * 9 % 255, np.uint8), "yuv420p")
        frame.pts, frame.time_base = i * 3000, codec.time_base
        out += [(bytes(p), p.is_keyframe) for p in codec.encode(frame)]
    return out


def opus_packets(count: int) -> list[bytes]:
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48000, "stereo", "s16"
    out = []
    for i in range(count):
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1920), np.int16), "s16", "stereo")
        frame.sample_rate, frame.pts = 48000, i * 960
        out += [bytes(p) for p in codec.encode(frame)]
    return out


def write_frames(recorder: Recorder, frames) -> None:
    audio = opus_packets(len(frames) * 3 // 2)
    for i, (data, key) in enumerate(frames):
        recorder.write("video", data, i * 3000, key)
        for j in (3 * i // 2, 3 * i // 2 + 1):
            if j < len(audio) and j * 960 < (i + 1) * 1600:
                recorder.write("audio", audio[j], j * 960, True)


def wait_for_size(path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size > 0):
        assert time.monotonic() < deadline, "nothing written"
        time.sleep(0.05)


def test_a_recording_being_written_is_left_alone(tmp_path):
    recorder = Recorder(tmp_path / "show", "show", "live1", "VP8", time.monotonic())
    recorder.start()
    try:
        write_frames(recorder, vp8_frames(45))
        wait_for_size(recorder.path)
        assert finalise_interrupted(tmp_path) == []  # its sidecar is locked: still recording
        assert not recorder.meta_path.exists()
    finally:
        recorder.stop_blocking()
    assert json.loads(recorder.meta_path.read_text())["duration"] > 1.0
    assert finalise_interrupted(tmp_path) == []  # finished: nothing to do


def test_an_interrupted_recording_is_completed_and_listed(tmp_path):
    recorder = Recorder(tmp_path / "show", "show", "cut1", "VP8", time.monotonic())
    recorder.start()
    write_frames(recorder, vp8_frames(90))  # 3 s
    wait_for_size(recorder.path)
    time.sleep(0.5)
    # as after a SIGKILL: no trailer, no .json, the lock gone with the process
    cut = recorder.path.read_bytes()
    recorder.stop_blocking()
    recorder.meta_path.unlink()
    recorder.path.write_bytes(cut)
    with av.open(str(recorder.path)) as container:
        assert container.duration is None  # no duration written yet

    assert finalise_interrupted(tmp_path) == [recorder.path]
    meta = json.loads(recorder.meta_path.read_text())
    assert meta["interrupted"] is True and 1.0 < meta["duration"] <= 3.0
    with av.open(str(recorder.path)) as container:
        assert container.duration is not None
    [item] = list_recordings(tmp_path, "show", {})
    assert item["duration"] == meta["duration"] and item["started_at"].endswith("Z")


def test_an_interrupted_recording_that_does_not_open_is_kept(tmp_path):
    folder = tmp_path / "show"
    folder.mkdir()
    media = folder / "20261130T120000Z-garbled1.webm"
    media.write_bytes(b"not a webm at all")
    assert finalise_interrupted(tmp_path) == []
    assert media.read_bytes() == b"not a webm at all"
    [item] = list_recordings(tmp_path, "show", {})
    assert item["duration"] is None and item["started_at"] == "2026-11-30T12:00:00Z"


def test_an_interrupted_recording_without_media_is_removed(tmp_path):
    folder = tmp_path / "show"
    folder.mkdir()
    media = folder / "20261130T120000Z-empty1.webm"
    media.write_bytes(b"")
    media.with_suffix(".events.jsonl").write_text("")
    assert finalise_interrupted(tmp_path) == []
    assert list(folder.iterdir()) == []
