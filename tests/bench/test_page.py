"""`livecast bench page` runs end to end (one run) and prints its table."""

import pytest

from livecast.bench import page

pytestmark = pytest.mark.browser


def test_bench_page_one_run(capsys):
    assert page.main(["--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "watch page, median of 1 runs" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("cold", "warm"))]
    assert [row[0] for row in rows] == ["cold", "warm", "cold_slow", "warm_slow"]
    assert all(int(row[3].replace(",", "")) > 0 for row in rows)  # bytes on the wire
