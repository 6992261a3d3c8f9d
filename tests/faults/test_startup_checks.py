"""`livecast serve` on a library whose internals moved: it refuses to start, with one
line naming the package and its version (the checks run at start-up, not only in tests).

A ``sitecustomize`` module on PYTHONPATH moves one internal in the server's process."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

import pytest

from tests.support import ADMIN_TOKEN, free_port

MOVES = {
    "aiortc": (
        "import aiortc.rtcrtpsender as m\ndel m.RTCRtpSender._send_keyframe\n",
        f"aiortc {metadata.version('aiortc')}",
        "_send_keyframe",
    ),
    "python-engineio": (
        "import engineio.async_socket as m\n"
        "async def send(self, pkt):\n    return None\n"
        "m.AsyncSocket.send = send\n",
        f"python-engineio {metadata.version('python-engineio')}",
        "AsyncSocket.send",
    ),
    "aioice": (
        "import aioice.ice as m\ndel m.get_host_addresses\n",
        f"aioice {metadata.version('aioice')}",
        "get_host_addresses",
    ),
}


@pytest.mark.parametrize("package", sorted(MOVES))
def test_a_moved_internal_stops_serve_with_one_line(tmp_path, package):
    patch, names, what = MOVES[package]
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(patch)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), *sys.path[1:]]),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "LIVECAST_DATA_DIR": str(tmp_path / "data"),
        "LIVECAST_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "LIVECAST_ADMIN_TOKEN": ADMIN_TOKEN,
        "LIVECAST_ICE_ADDRESSES": "127.0.0.1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "livecast", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"livecast: error: {names} ") and what in errors[0], errors[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "livecast listening" not in result.stdout
