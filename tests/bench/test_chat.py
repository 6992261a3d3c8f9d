"""A small run of `livecast bench chat` keeps it working (figures are not asserted)."""

import json

import pytest

from livecast.bench import chat


def test_bench_chat_small_run(tmp_path, capsys):
    out_json = tmp_path / "chat.json"
    # 30 msg/s: more chat messages than the 10 chat:batch frames a second a client gets
    argv = ["--clients", "20", "--rate", "30", "--seconds", "2", "--timed", "10",
            "--load-procs", "1", "--buy-rate", "5", "--json", str(out_json)]  # fmt: skip
    assert chat.main(argv) == 0
    out = capsys.readouterr().out
    assert "chat out/s" in out and "frames out/s" in out and "p99 ms" in out
    assert "chat frames/client/s" in out
    figures = json.loads(out_json.read_text())["figures"]
    assert figures["clients"] == 20 and figures["acked"] == 60
    assert figures["delivered_pct"] == 100.0  # every timed client got every accepted message
    assert figures["deliveries"] == 60 * 20  # the counting clients unpack batches too
    assert figures["chat_frames_per_client_s"] <= 11  # batches, not one frame per message
    assert figures["sampled_out"] == 0  # 30 msg/s is not sampled
    assert figures["sales_events"] > 0  # the buyer kept the coalesced sales flowing


@pytest.mark.parametrize("flag", [["--clients", "0"], ["--seconds", "0"], ["--rate", "0"]])
def test_bench_chat_is_bounded(flag):
    with pytest.raises(SystemExit):
        chat.parse_args(flag)
