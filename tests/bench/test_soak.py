"""A short run of `livecast bench soak` keeps it working (figures are not asserted)."""

import json

import pytest

from livecast.bench import soak


def test_bench_soak_small_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(soak, "REST_SECONDS", 1.0)
    out_json = tmp_path / "soak.json"
    argv = ["--minutes", "0.2", "--viewers", "10", "--buyers", "2", "--chatters", "2",
            "--whep", "0", "--json", str(out_json)]  # fmt: skip
    assert soak.main(argv) == 0
    out = capsys.readouterr().out
    for figure in ("server RSS (MB)", "open fds", "asyncio tasks", "Redis used_memory (MB)"):
        assert figure in out
    assert "slope/min" in out and "RSS growth after the warm-up" in out
    data = json.loads(out_json.read_text())
    figures = data["figures"]
    assert figures["joins"] >= 10 and figures["buys"] > 0 and figures["chats"] > 0
    assert figures["errors"] == {} and figures["server_exit"] == 0
    assert len(data["samples"]) >= 4  # before the load, several during it, after it
    assert all(s["tasks"] is not None and s["rss_mb"] > 0 for s in data["samples"])


def test_a_growing_rss_fails_the_soak(monkeypatch, capsys):
    monkeypatch.setattr(soak, "run", lambda args: {"figures": {
        **{f"{k}_{c}": 1.0 for k in ("rss_mb", "fds", "tasks", "redis_mb")
           for c in ("idle", "start", "end", "per_min", "rest")},
        "rss_growth_mb": 80.0, "warmup_s": 1, "joins": 1, "buys": 1, "chats": 1, "whep": 0,
        "errors": {}}})  # fmt: skip
    assert soak.main(["--minutes", "1"]) == 1
    assert "FAIL: the server's RSS grew by 80.0 MB" in capsys.readouterr().out


@pytest.mark.parametrize("flag", [["--minutes", "0"], ["--minutes", "1", "--viewers", "-1"]])
def test_bench_soak_is_bounded(flag):
    with pytest.raises(SystemExit):
        soak.parse_args(flag)
