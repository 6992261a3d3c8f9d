"""The aiortc internals the tap relies on are where aiortc 1.16.0 has them."""

from __future__ import annotations

import tomllib

import aiortc
import pytest
from aiortc import rtcrtpreceiver

from livecast.media import aiortc_tap
from tests.support import ROOT


def test_installed_aiortc_has_the_internals_the_tap_uses():
    aiortc_tap.check_internals()  # raises InternalsMoved naming what moved


def test_pyproject_pins_the_aiortc_the_tap_was_written_for():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"aiortc=={aiortc_tap.AIORTC_VERSION}" in project["dependencies"]


def test_check_fails_loudly_when_aiortc_changes(monkeypatch):
    monkeypatch.setattr(aiortc, "__version__", "9.9.9")
    with pytest.raises(aiortc_tap.InternalsMoved, match="9.9.9"):
        aiortc_tap.check_internals()


def test_check_fails_when_the_decoder_queue_moves(monkeypatch):
    real = aiortc_tap.inspect.getsource

    def moved(obj):
        source = real(obj)
        return (
            source.replace("__decoder_queue", "__frames")
            if obj is rtcrtpreceiver.RTCRtpReceiver
            else source
        )

    monkeypatch.setattr(aiortc_tap.inspect, "getsource", moved)
    with pytest.raises(aiortc_tap.InternalsMoved, match="decoder_queue"):
        aiortc_tap.check_internals()


def test_decoder_census_wraps_get_decoder_once():
    census = aiortc_tap.install_decoder_census()
    assert aiortc_tap.install_decoder_census() is census
    assert rtcrtpreceiver.get_decoder is census
