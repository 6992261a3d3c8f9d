"""The buy benchmark runs end to end (small) and checks its figures against Redis."""

import pytest

from livecast.bench import buy


def test_bench_buy_small_run(capsys):
    assert buy.main(["--clients", "5", "--buys", "60", "--seconds", "20", "--stock", "50"]) == 0
    out = capsys.readouterr().out
    assert "reservations/s" in out and "ack p99 ms" in out
    assert "Socket.IO: redis sold 50, stock left 0, orders 50 (exact)" in out
    assert "Socket.IO: refused buys: {'sold_out': 10}" in out
    assert "Lua on Redis: redis sold 50, stock left 0, orders 50 (exact)" in out
    assert "expiry sweep: 50 reservations expired in" in out
    assert "stock back to 50, sold 0, 50 orders expired (exact)" in out


@pytest.mark.parametrize("flag", [["--clients", "0"], ["--seconds", "0"], ["--buys", "-1"]])
def test_bench_buy_is_bounded(flag):
    with pytest.raises(SystemExit):
        buy.parse_args(flag)
