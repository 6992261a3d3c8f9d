"""The buy benchmark runs end to end (small) and refuses non-loopback targets."""

import pytest

from livecast.bench import buy


def test_bench_buy_small_run(capsys):
    assert buy.main(["--clients", "5", "--buys", "60", "--seconds", "20"]) == 0
    out = capsys.readouterr().out
    assert "5 clients, 60 acks" in out and "buys/s" in out and "ack p99" in out


@pytest.mark.parametrize("url", ["http://10.0.0.1:8080", "http://example.com"])
def test_bench_buy_targets_loopback_only(url):
    with pytest.raises(SystemExit):
        buy.parse_args(["--url", url, "--show", "x"])
