"""Page weight and first frame of the watch page, in Debian's Chromium on loopback.

    unshare -n sh -c 'ip link set lo up; .venv/bin/livecast bench page --runs 5'

Starts a private ``livecast serve`` (127.0.0.1 only), creates a show and goes live from the
studio (Chromium's fake camera), then opens the watch page in a fresh browser context
(empty cache) ``--runs`` times, and once more per run as a reload (warm cache). For each
load it records, from the Chrome DevTools protocol and the page's own clocks:

- requests and bytes on the wire (``encodedDataLength`` of every HTTP response: headers and
  compressed body; WebSocket frames and WebRTC media are not HTTP and are not counted),
- the module depth: how many round trips deep the last script request was (1 = asked for
  by the HTML itself),
- ``whep``: ms from navigation start to the WHEP POST (the page's own code has loaded and
  the player starts), and ``frame``: to the first decoded video frame
  (``requestVideoFrameCallback``),

unthrottled and with a slow mobile network emulated for HTTP (``--rtt`` ms round trip,
``--down`` kbit/s; WebRTC's UDP is not throttled by Chromium's emulation). Prints medians
and writes every run as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from ..devtools.browser import CHROMIUM, CHROMIUM_ARGS, PHONE
from ..devtools.processes import ServerProcess

ADMIN_TOKEN = secrets.token_urlsafe(24)
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

FIRST_FRAME = """() => new Promise((resolve) => {
  const video = document.querySelector('#video');
  const done = () => resolve(performance.now());
  const wait = () => video.requestVideoFrameCallback ? video.requestVideoFrameCallback(done)
    : video.addEventListener('loadeddata', done, { once: true });
  wait();
})"""
WHEP_START = """() => {
  const entry = performance.getEntriesByType('resource').find((e) => e.name.includes('/whep/'));
  return entry ? entry.startTime : null;
}"""


def create_show(base_url: str) -> dict:
    body = {
        "title": "측정용 라이브",
        "seller": "bench",
        "products": [
            {"sku": "a", "name": "상품 A", "price": 12900, "stock": 100},
            {"sku": "b", "name": "상품 B", "price": 9900, "stock": 100},
        ],
    }
    req = urllib.request.Request(
        f"{base_url}/api/shows",
        data=json.dumps(body).encode(),
        method="POST",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.load(res)


class Recorder:
    """HTTP requests of one page through CDP: bytes, count and initiator depth."""

    def __init__(self, page, *, rtt: float | None, down: float | None):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        if rtt:
            self.cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": rtt,
                    "downloadThroughput": down * 1000 / 8,
                    "uploadThroughput": down * 1000 / 8 / 2,
                },
            )
        self.requests: dict[str, dict] = {}
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestServedFromCache", self._cached)
        self.cdp.on("Network.responseReceived", self._received)
        self.cdp.on("Network.loadingFinished", self._finished)

    def reset(self) -> None:
        self.requests.clear()

    def _sent(self, event) -> None:
        initiator = event.get("initiator", {})
        parent = initiator.get("url") or ""
        if not parent and initiator.get("stack"):
            frames = initiator["stack"].get("callFrames") or []
            parent = frames[0]["url"] if frames else ""
        self.requests[event["requestId"]] = {
            "url": event["request"]["url"],
            "type": event.get("type"),
            "parent": parent,
            "bytes": 0,
            "cached": False,
            "status": None,
        }

    def _cached(self, event) -> None:
        request = self.requests.get(event["requestId"])
        if request is not None:
            request["cached"] = True

    def _received(self, event) -> None:
        request = self.requests.get(event["requestId"])
        if request is not None:
            response = event["response"]
            request["status"] = response.get("status")
            if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
                request["cached"] = True

    def _finished(self, event) -> None:
        request = self.requests.get(event["requestId"])
        if request is not None:
            request["bytes"] = event.get("encodedDataLength", 0)

    def figures(self) -> dict:
        http = [r for r in self.requests.values() if r["url"].startswith("http")]
        http = [r for r in http if "/socket.io/?" not in r["url"] and "/whep/" not in r["url"]]
        depth: dict[str, int] = {}

        def depth_of(url: str, seen=()) -> int:
            if url in depth:
                return depth[url]
            parent = next((r["parent"] for r in http if r["url"] == url), "")
            d = 0 if not parent or parent in seen else depth_of(parent, (*seen, url)) + 1
            depth[url] = d
            return d

        scripts = [r for r in http if r["type"] == "Script"]
        detail = [
            [r["url"].split("/", 3)[-1], r["type"], depth_of(r["url"]), r["bytes"], r["status"]]
            for r in http
        ]
        wire = [r for r in http if not r["cached"]]
        return {
            "detail": detail,
            "requests": len(wire),  # on the wire (304 revalidations count, cache hits not)
            "revalidated": sum(1 for r in wire if r["status"] == 304),
            "bytes": sum(r["bytes"] for r in http),
            "script_requests": len(scripts),
            "module_depth": max((depth_of(r["url"]) for r in scripts), default=0),
        }


def load(page, recorder: Recorder, url: str, *, reload: bool = False) -> dict:
    recorder.reset()
    if reload:
        page.reload(wait_until="commit")
    else:
        page.goto(url, wait_until="commit")
    frame = page.wait_for_function(FIRST_FRAME, timeout=60_000).json_value()
    page.wait_for_load_state("load")
    time.sleep(0.5)  # late responses (icons) land
    return {**recorder.figures(), "whep": page.evaluate(WHEP_START), "frame": frame}


def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="livecast-page-bench-"))
    env = {"LIVECAST_ADMIN_TOKEN": ADMIN_TOKEN}
    if args.tree:
        env["PYTHONPATH"] = str(args.tree)
    server = ServerProcess(workdir, env=env).start()
    results: dict[str, list] = {"cold": [], "warm": [], "cold_slow": [], "warm_slow": []}
    try:
        created = create_show(server.base_url)
        show = created["show"]["id"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            studio = browser.new_page()
            studio.goto(f"{server.base_url}/studio/{show}#key={created['host_key']}")
            studio.locator("#golive").click(timeout=30_000)
            studio.wait_for_function(
                "() => document.querySelector('#pc-state')?.dataset.state === 'live'",
                timeout=30_000,
            )
            url = f"{server.base_url}/watch/{show}"
            for _ in range(args.runs):
                for slow in (False, True):
                    context = browser.new_context(locale="ko-KR", **PHONE)
                    page = context.new_page()
                    recorder = Recorder(
                        page, rtt=args.rtt if slow else None, down=args.down if slow else None
                    )
                    suffix = "_slow" if slow else ""
                    results["cold" + suffix].append(load(page, recorder, url))
                    results["warm" + suffix].append(load(page, recorder, url, reload=True))
                    context.close()
            browser.close()
    finally:
        server.stop()
    return results


def summary(results: dict) -> dict:
    out = {}
    for name, runs in results.items():
        if not runs:
            continue
        out[name] = {
            key: statistics.median(r[key] for r in runs if r[key] is not None)
            for key in (
                "requests",
                "revalidated",
                "bytes",
                "script_requests",
                "module_depth",
                "whep",
                "frame",
            )
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="livecast bench page", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rtt", type=float, default=150.0, help="emulated round trip, ms")
    parser.add_argument("--down", type=float, default=1600.0, help="emulated kbit/s down")
    parser.add_argument("--json", type=Path, help="write every run here")
    parser.add_argument(
        "--tree", type=Path, help="serve another checkout of livecast (e.g. an older commit)"
    )
    args = parser.parse_args(argv)
    results = run(args)
    medians = summary(results)
    slow = f"{args.rtt:g} ms RTT, {args.down:g} kbit/s"
    print(f"watch page, median of {args.runs} runs (slow: {slow})")
    print(
        f"{'load':<10} {'requests':>8} {'304s':>5} {'bytes':>9} {'scripts':>8} {'depth':>6}"
        f" {'whep ms':>8} {'frame ms':>9}"
    )
    for name, m in medians.items():
        print(
            f"{name:<10} {m['requests']:>8g} {m['revalidated']:>5g} {m['bytes']:>9,.0f}"
            f" {m['script_requests']:>8g} {m['module_depth']:>6g} {m['whep']:>8.0f}"
            f" {m['frame']:>9.0f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "median": medians}, indent=1))
    return 0
