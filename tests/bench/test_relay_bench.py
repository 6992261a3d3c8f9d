"""`livecast bench relay` keeps working: a tiny ramp against a real server."""

from __future__ import annotations

import json
import subprocess
import sys

from livecast.devtools.processes import ServerProcess
from tests.faults.conftest import http
from tests.support import ADMIN, ADMIN_TOKEN, ROOT


def test_bench_relay_runs_a_tiny_ramp(tmp_path):
    out = tmp_path / "relay.json"
    done = subprocess.run(
        [sys.executable, "-m", "livecast", "bench", "relay", "--viewers", "1,2",
         "--seconds", "2", "--warmup", "0.5", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bench relay [forward]" in done.stdout
    data = json.loads(out.read_text())
    steps = data["runs"][0]["steps"]
    assert [s["viewers"] for s in steps] == [1, 2]
    assert sum(s["joined"] for s in steps) == 2 and not any(s["join_failed"] for s in steps)
    last = steps[-1]
    assert last["fps_median"] > 5  # frames flowed to every viewer (figures are the bench's job)
    assert last["decoded_frames"] > 0 and last["decoded_backwards"] == 0
    assert last["ingest_packets"] > 0
    assert data["runs"][0]["publisher_kbps"] > 100


def test_the_baseline_server_is_serve_with_the_transcode_hook(tmp_path):
    server = ServerProcess(
        tmp_path, env={"LIVECAST_ADMIN_TOKEN": ADMIN_TOKEN}, module="livecast.bench.transcode"
    ).start()
    try:
        show = http("POST", server.base_url + "/api/shows", {"title": "t"}, headers=ADMIN)
        offer = b"v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
        whep = http("POST", f"{server.base_url}/whep/{show.json()['show']['id']}", offer,
                    headers={"Content-Type": "application/sdp"})  # fmt: skip
        # forwarding takes a viewer before its host; the baseline needs the host's tracks
        assert whep.status == 409 and whep.json()["error"] == "not_live", whep.body
    finally:
        assert server.stop() == 0
