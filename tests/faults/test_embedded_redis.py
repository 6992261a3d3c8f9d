"""The embedded redis-server (no REDIS_URL) killed under a running `livecast serve`."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

from tests.faults.conftest import create_show, healthy, http, metric, new_log_lines, wait_until
from tests.support import ADMIN


def redis_pid(server) -> int | None:
    """The live embedded redis-server child of ``server`` (from its pid file)."""
    try:
        pid = int((Path(server.env["LIVECAST_DATA_DIR"]) / "redis" / "redis.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"redis-server" in cmdline and _parent(pid) == server.pid else None


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_a_killed_embedded_redis_is_restarted_with_its_data(live_server):
    server = live_server()
    kept = create_show(server, "재시작 전에 만든 방송")
    first = wait_until(lambda: redis_pid(server), what="embedded redis-server pid")
    before = len(server.output().splitlines())

    os.kill(first, signal.SIGKILL)
    second = wait_until(
        lambda: (pid := redis_pid(server)) and pid != first and pid, what="a new redis-server"
    )
    assert second != first
    wait_until(lambda: healthy(server), timeout=30, what="/healthz 200 after the restart")
    wait_until(
        lambda: (
            http(
                "POST", server.base_url + "/api/shows", {"title": "재시작 후"}, headers=ADMIN
            ).status
            == 201
        ),
        timeout=10,
        what="an API write after the restart",
    )
    # same data dir and AOF: what was written before the kill is still there
    assert http("GET", f"{server.base_url}/api/shows/{kept}").status == 200
    assert server.process.poll() is None
    lines = new_log_lines(server, before)
    assert sum("embedded redis-server died" in line for line in lines) == 1, lines
    assert sum("embedded redis-server restarted" in line for line in lines) == 1, lines
    assert not any("Traceback" in line for line in lines), lines
    assert metric(server, "livecast_redis_restarts_total") == 1


def test_livecast_exits_non_zero_when_the_embedded_redis_keeps_dying(live_server):
    server = live_server()
    killed: set[int] = set()

    def kill_redis_until_livecast_exits():
        pid = redis_pid(server)
        if pid is not None and pid not in killed:
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        return server.process.poll() is not None

    wait_until(kill_redis_until_livecast_exits, timeout=90, what="livecast exiting", every=0.05)
    assert server.process.returncode == 1
    assert len(killed) == 6  # the first child and 5 restarts
    output = server.output()
    assert "embedded redis-server keeps dying" in output
    assert output.strip().splitlines()[-1].startswith("livecast: error: embedded redis-server")


def test_data_dir_and_redis_files_are_private(live_server, tmp_path):
    data = tmp_path / "server0" / "data"
    # as an older livecast (umask 022) left them
    (data / "redis").mkdir(parents=True, mode=0o755)
    data.chmod(0o755)
    (data / "redis").chmod(0o755)
    old = data / "redis" / "redis.log"
    old.write_text("old log\n")
    old.chmod(0o644)
    server = live_server()
    create_show(server)  # something in the AOF
    aof = wait_until(
        lambda: [p for p in (data / "redis").rglob("appendonly*") if p.stat().st_size],
        what="an AOF file",
    )
    assert aof
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    entries = [data, *data.rglob("*")]
    assert len(entries) >= 5
    for entry in entries:
        mode = stat.S_IMODE(entry.lstat().st_mode)
        assert mode & 0o077 == 0, f"{entry} is {oct(mode)}"
        if entry.is_file():
            assert mode == 0o600, f"{entry} is {oct(mode)}"
