"""`livecast bench relay` keeps working: a tiny ramp against a real server."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import ROOT


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
