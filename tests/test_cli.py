"""The `livecast` command end to end, on an embedded Redis in a temporary data dir."""

import asyncio
import json
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from livecast.store import catalog, open_store, sales
from livecast.store.orders import Orders
from tests.support import ADMIN, LiveServer, run_cli


@pytest.fixture
def env(tmp_path):
    return {"LIVECAST_DATA_DIR": str(tmp_path / "data"), "REDIS_URL": ""}


def ok(*args, env, cwd=None):
    result = run_cli(*args, env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_everywhere(env):
    for args in (
        [],
        ["serve"],
        ["show"],
        ["show", "create"],
        ["show", "list"],
        ["show", "end"],
        ["product", "add"],
        ["sales"],
        ["orders"],
    ):
        result = run_cli(*args, "--help", env=env)
        assert result.returncode == 0 and "usage: livecast" in result.stdout, args


def test_show_lifecycle_from_the_command_line(env, tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "sku,name,price,stock,max_per_order\n"
        "kimchi-1kg,포기김치 1kg,12900,100,5\n"
        'tote,"에코백, 면",5000,,\n'
    )
    created = json.loads(
        ok("show", "create", "--title", "김장 라이브", "--seller", "시장", "--catalog",
           str(catalog), "--json", env=env)
    )  # fmt: skip
    show_id = created["show"]["id"]
    assert [p["sku"] for p in created["show"]["products"]] == ["kimchi-1kg", "tote"]
    assert created["show"]["products"][1]["name"] == "에코백, 면"
    assert created["urls"]["studio"].endswith(f"/studio/{show_id}#key={created['host_key']}")
    assert "?" not in created["urls"]["moderate"]

    listed = ok("show", "list", env=env)
    assert show_id in listed and "scheduled" in listed
    added = ok("product", "add", show_id, "--sku", "waffle", "--name", "와플", "--price", "9900",
               "--stock", "30", env=env)  # fmt: skip
    assert "waffle" in added and "stock 30" in added
    csv_out = ok("sales", show_id, "--csv", env=env)
    assert csv_out.splitlines()[0] == "sku,name,price,sold,paid,remaining,revenue"
    assert csv_out.splitlines()[3].startswith("waffle,와플,9900,0,0,30,0")
    assert "ended" in ok("show", "end", show_id, env=env)
    assert "ended" in ok("show", "list", env=env)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("bad.csv", "sku,name,price\nok-1,x,100\nok-2,y,-3\n", 3),
        ("bad.csv", "sku,name,price\nok-1,x,100\n\nok-2,y,abc\n", 4),
        (
            "bad.json",
            '[\n  {"sku": "a", "name": "x", "price": 1},\n  {"sku": "b", "name": ""}\n]',
            3,
        ),
        ("bad.json", '{"products": [\n {"sku": "a", "name": "x", "price": 1\n]}', 3),
        ("dup.csv", "sku,name,price\na,x,1\nb,y,2\na,z,3\n", 4),
    ],
)
def test_bad_catalog_names_the_line(env, tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text)
    result = run_cli("show", "create", "--title", "t", "--catalog", str(path), env=env)
    assert result.returncode == 1
    assert f"{path}:{line}:" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_errors_are_one_line(env):
    for args in (
        ["show", "end", "nope"],
        ["sales", "nope"],
        ["product", "add", "nope", "--sku", "a", "--name", "x", "--price", "1"],
    ):
        result = run_cli(*args, env=env)
        assert result.returncode == 1, args
        assert result.stderr.count("\n") == 1 and "nope" in result.stderr
    result = run_cli("product", "add", "x", "--sku", "a", "--name", "n", "--price", "-1", env=env)
    assert result.returncode == 2 and "negative" in result.stderr


def test_orders_from_the_command_line(env, tmp_path):
    created = json.loads(ok("show", "create", "--title", "주문 라이브", "--json", env=env))
    show_id, shop_key = created["show"]["id"], created["shop_key"]
    assert shop_key and shop_key not in json.dumps(created["show"])
    ok("product", "add", show_id, "--sku", "tote", "--name", "에코백", "--price", "5000", env=env)

    async def buy_three():
        async with open_store(None, Path(env["LIVECAST_DATA_DIR"])) as r:
            await catalog.set_status(r, show_id, "live")
            buyer = sales.Buyer(r)
            for n in range(3):
                assert (await buyer.buy(show_id, f"u{n}", "n", "tote", 1, f"order-cli-{n}"))["ok"]
            await Orders(r).move("order-cli-1", "cancelled", by="admin")

    asyncio.run(buy_three())
    listed = ok("orders", show_id, env=env)
    assert listed.count("reserved") == 2 and listed.count("cancelled") == 1
    only = json.loads(ok("orders", show_id, "--status", "cancelled", "--json", env=env))
    assert [o["order_id"] for o in only] == ["order-cli-1"]
    result = run_cli("orders", show_id, "--csv", env=env)
    assert result.stdout.startswith("\ufeff주문번호 (order_id)") and result.stdout.count("\n") == 4
    assert "from 0 finished orders and 0 webhook" in ok(
        "orders", "purge", "--older-than", "30", env=env
    )
    bad = run_cli("orders", "purge", env=env)
    assert bad.returncode == 1 and "--older-than" in bad.stderr
    bad = run_cli("orders", show_id, "--status", "lost", env=env)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1


def get_json(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as res:
        return json.load(res)


def redis_pid(data_dir: Path) -> int:
    return int((data_dir / "redis" / "redis.pid").read_text())


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() != b""
    except OSError:
        return False


def test_embedded_redis_lifecycle(tmp_path):
    env = {"REDIS_URL": ""}
    server = LiveServer(tmp_path, env=env, args=("--demo",)).start()
    data_dir = tmp_path / "data"
    try:
        out = server.output()
        assert "demo show created" in out and "/studio/demo#key=" in out
        shows = get_json(server.base_url + "/api/shows")
        assert [s["id"] for s in shows] == ["demo"] and len(shows[0]["products"]) == 3
        pid = redis_pid(data_dir)
        assert alive(pid)
        # a one-shot command shares the running server's Redis
        assert "demo" in ok("show", "list", env={**server.env})
        # a second server on the same data dir refuses, clearly
        second = run_cli("serve", "--port", "1", env={**server.env})
        assert second.returncode == 1 and "in use by another livecast process" in second.stderr
    finally:
        assert server.stop() == 0
    assert not alive(pid), "redis-server must stop with livecast serve"

    # data survives a restart; a kill -9 leaves stale files that do not block the next start
    server = LiveServer(tmp_path, env=env).start()
    assert [s["id"] for s in get_json(server.base_url + "/api/shows")] == ["demo"]
    pid = redis_pid(data_dir)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    server._log.close()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    (data_dir / "redis" / "redis.pid").write_text(f"{pid}\n")  # stale pid file
    server = LiveServer(tmp_path, env=env).start()
    try:
        assert [s["id"] for s in get_json(server.base_url + "/api/shows")] == ["demo"]
        get_json(server.base_url + "/api/shows/demo/sales", headers=ADMIN)
    finally:
        server.stop()
