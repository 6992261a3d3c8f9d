"""`livecast bench cascade` keeps working: two nodes, a viewer on each, figures out."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import ROOT


def test_bench_cascade_measures_both_nodes_and_the_hop(tmp_path):
    out = tmp_path / "cascade.json"
    done = subprocess.run(
        [sys.executable, "-m", "livecast", "bench", "cascade", "--viewers", "2",
         "--seconds", "2", "--warmup", "0.5", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "hop added (B - A, per frame)" in done.stdout
    data = json.loads(out.read_text())
    a, b = data["nodes"]
    for node in (a, b):
        assert node["joined"] == 2 and not node["join_errors"]
        assert node["fps_median"] > 5  # frames flowed on both nodes (figures are the bench's job)
        assert node["latency_samples"] > 0
        assert node["decoded_frames"] > 0 and node["decoded_backwards"] == 0
    assert data["hop"]["latency_samples"] > 0 and data["hop"]["latency_p50_ms"] is not None
