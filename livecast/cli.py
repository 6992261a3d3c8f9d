"""The ``livecast`` command (contract.md, "Command line")."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from .config import ConfigError, Settings, parse_int, parse_port


class CliError(Exception):
    """One line for stderr, then exit 1."""


def urls(settings: Settings, show_id: str, host_key: str | None, moderator_key: str | None):
    base = settings.base_url
    return {
        "studio": f"{base}/studio/{show_id}" + (f"#key={host_key}" if host_key else ""),
        "watch": f"{base}/watch/{show_id}",
        "moderate": f"{base}/moderate/{show_id}"
        + (f"#key={moderator_key}" if moderator_key else ""),
    }


def print_show_access(
    settings: Settings,
    show_id: str,
    host_key: str,
    moderator_key: str,
    shop_key: str | None = None,
):
    links = urls(settings, show_id, host_key, moderator_key)
    print(f"  show id        {show_id}")
    print(f"  host key       {host_key}")
    print(f"  moderator key  {moderator_key}")
    if shop_key:
        print(f"  shop key       {shop_key}")
    print(f"  studio         {links['studio']}")
    print(f"  watch          {links['watch']}")
    print(f"  moderate       {links['moderate']}")
    print(f"  order desk     {settings.base_url}/orders/{show_id}#key={host_key}")
    print("  (the keys are shown this once; they are stored only as hashes)")


# serve
def cmd_serve(args, settings: Settings, customize=None) -> int:
    """``customize(app)``: the benchmarks' hook (``livecast.bench.transcode``)."""
    from . import datadir, workers

    if args.host:
        settings = settings.with_(host=args.host)
    if args.port is not None:
        settings = settings.with_(port=args.port)
    count = args.workers or settings.workers or workers.default_workers()
    settings, new_admin_token = datadir.prepare(settings)
    settings, tls_lines = https_setup(args, settings)

    def banner(demo) -> None:
        print(f"livecast listening on {settings.base_url}  (data: {settings.data_dir})")
        if count > 1:
            print(f"  {count} worker processes (--workers / LIVECAST_WORKERS)")
        for line in tls_lines:
            print(line)
        if new_admin_token:
            print(f"admin token (shown once, stored hashed): {new_admin_token}")
        print(f"seller console: {settings.base_url}/console  (admin token or a seller key)")
        if demo is not None:
            verb = "created" if demo["created"] else "ready (new keys issued)"
            print(f"demo show {verb}:")
            print_show_access(
                settings, demo["show"], demo["host_key"], demo["moderator_key"], demo["shop_key"]
            )
        sys.stdout.flush()

    if count > 1 and settings.listen_fd is None and customize is None:
        return asyncio.run(workers.run(settings, count, demo=args.demo, banner=banner))
    return serve_one(args, settings, banner, customize)


def serve_one(args, settings: Settings, banner, customize=None) -> int:
    """One process: the whole node, or one of ``--workers`` (``settings.listen_fd``)."""
    import socket

    from aiohttp import web

    from . import workers
    from .app import create_app
    from .appkeys import PROCESS_CARD, REDIS, REDIS_HEALTH
    from .store.demo import ensure_demo_show

    ssl_context = None
    if settings.tls_cert is not None:
        from .tls import server_context

        ssl_context = server_context(settings.tls_cert, settings.tls_key)
    app = create_app(settings)
    if customize is not None:
        customize(app)
    listen: dict = {"host": settings.host, "port": settings.port}
    if settings.listen_fd is not None:  # a worker: the parent's socket, and our own
        workers.die_with_parent()
        listen = {
            "sock": socket.socket(fileno=settings.listen_fd),
            "path": app[PROCESS_CARD].http,
        }
    else:

        async def on_start(app: web.Application) -> None:
            banner(await ensure_demo_show(app[REDIS]) if args.demo else None)

        app.on_startup.append(on_start)
    web.run_app(
        app,
        **listen,
        ssl_context=ssl_context,
        print=None,
        access_log=None,
        shutdown_timeout=1,  # SIGTERM: in-flight requests get 1 s (the whole stop takes < 2 s)
        handler_cancellation=True,
    )
    fatal = app[REDIS_HEALTH].fatal
    if fatal:  # the embedded Redis could not be kept up: let our supervisor act
        raise CliError(fatal)
    return 0


def https_setup(args, settings: Settings) -> tuple[Settings, list[str]]:
    """--self-signed: the data dir's certificate for this machine (made when needed);
    returns the settings with it and lines for the banner."""
    from . import tls

    lines: list[str] = []
    if getattr(args, "self_signed", False):
        if settings.tls_cert is not None:
            raise CliError("--self-signed and LIVECAST_TLS_CERT are both given: choose one")
        made = tls.self_signed(settings.data_dir, settings.host)
        settings = settings.with_(tls_cert=made.cert, tls_key=made.key)
        verb = "made" if made.created else "kept"
        lines.append(f"self-signed certificate ({verb}): {made.cert}")
        lines.append(f"  SHA-256 {made.fingerprint}")
        lines.append("  browsers warn once per device: check this fingerprint, then proceed")
    if settings.tls_cert is not None and settings.host in ("0.0.0.0", "::", ""):
        port = settings.port
        others = [a for a in tls.local_addresses() if a not in ("127.0.0.1", "::1")]
        for address in others[:4]:
            host = f"[{address}]" if ":" in address else address
            lines.append(f"on your network: https://{host}:{port}")
    return settings, lines


# one-shot commands on the store
def run_store(settings: Settings, fn):
    from .store import open_store

    async def main():
        async with open_store(settings.redis_url, settings.data_dir) as r:
            return await fn(r)

    return asyncio.run(main())


def cmd_show_create(args, settings: Settings) -> int:
    from .store import catalog
    from .store.catalog_file import read_catalog

    body = {"title": args.title, "currency": args.currency}
    if args.seller:
        body["seller"] = args.seller
    if args.starts_at:
        body["starts_at"] = args.starts_at
    if args.catalog:
        body["products"] = read_catalog(Path(args.catalog))
    catalog.parse_show(body, tz=settings.timezone)  # check before touching Redis
    created = run_store(settings, lambda r: catalog.create_show(r, body, tz=settings.timezone))
    show = created["show"]
    if args.json:
        print(
            json.dumps(
                {
                    **created,
                    "urls": urls(
                        settings, show["id"], created["host_key"], created["moderator_key"]
                    ),
                },
                ensure_ascii=False,
            )
        )
        return 0
    print(f"show created: {show['title']} ({len(show['products'])} products)")
    print_show_access(
        settings, show["id"], created["host_key"], created["moderator_key"], created["shop_key"]
    )
    return 0


def cmd_show_list(args, settings: Settings) -> int:
    from .store import catalog

    views = run_store(settings, catalog.list_public_views)
    if args.json:
        print(json.dumps(views, ensure_ascii=False))
        return 0
    if not views:
        print("no shows yet: livecast show create --title ...")
    for v in views:
        print(f"{v['id']:<12} {v['status']:<10} {len(v['products']):>3} products  {v['title']}")
    return 0


def cmd_show_end(args, settings: Settings) -> int:
    from .store import catalog

    previous = run_store(settings, lambda r: catalog.set_status(r, args.show, "ended"))
    print(f"show {args.show} ended" + (" (it had already ended)" if previous == "ended" else ""))
    return 0


def cmd_product_add(args, settings: Settings) -> int:
    from .store import catalog

    body = {"sku": args.sku, "name": args.name, "price": args.price}
    for name in ("stock", "max_per_order", "image", "description"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    product = run_store(settings, lambda r: catalog.add_product(r, args.show, body))
    stock = "unlimited" if product["remaining"] is None else product["remaining"]
    print(
        f"added {product['sku']} to {args.show}: {product['name']}, "
        f"price {product['price']}, stock {stock}"
    )
    return 0


def cmd_sales(args, settings: Settings) -> int:
    from .store import sales

    report = run_store(settings, lambda r: sales.sales_report(r, args.show))
    if args.csv:
        sys.stdout.write(sales.report_csv(report))
        return 0
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    cur = report["currency"]
    print(f"{report['title']} ({report['show']}, {report['status']})")
    print(f"{'sku':<24} {'sold':>8} {'paid':>8} {'remaining':>10} {'revenue':>16}")
    for row in report["products"]:
        remaining = "-" if row["remaining"] is None else row["remaining"]
        print(
            f"{row['sku']:<24} {row['sold']:>8} {row['paid']:>8} {remaining!s:>10} "
            f"{row['revenue']:>12,} {cur}"
        )
    total = report["total"]
    print(
        f"{'total':<24} {total['sold']:>8} {total['paid']:>8} {'':>10} "
        f"{total['revenue']:>12,} {cur}  ({total['orders']} orders)"
    )
    return 0


def cmd_orders(args, settings: Settings) -> int:
    if args.target == "purge":
        return cmd_orders_purge(args, settings)
    if args.older_than is not None:
        raise CliError("--older-than goes with `livecast orders purge`")
    from .store import catalog
    from .store import orders as order_rules

    statuses = tuple(s for s in (args.status or "").split(",") if s)
    bad = [s for s in statuses if s not in order_rules.STATUSES]
    if bad:
        raise CliError(f"--status {bad[0]!r}: use {', '.join(order_rules.STATUSES)}")

    async def read(r):
        await catalog.get_show_record(r, args.target)
        return await order_rules.Orders(r).all_for_show(args.target, statuses=statuses)

    orders = run_store(settings, read)
    if args.csv:
        sys.stdout.buffer.write(order_rules.orders_csv(orders))
        sys.stdout.flush()
        return 0
    if args.json:
        print(json.dumps(orders, ensure_ascii=False))
        return 0
    if not orders:
        print(f"no orders in {args.target}" + (f" with status {args.status}" if statuses else ""))
    for o in orders:
        buyer = o.get("buyer") or {}
        tracking = f"  {o['carrier']} {o['tracking']}" if o.get("tracking") else ""
        print(
            f"{o['order_id'][:12]:<12} {o['status']:<9} {o['sku']:<20} x{o['qty']:<3} "
            f"{o.get('amount_due', o['total']):>10,} {buyer.get('name', '-')}{tracking}"
        )
    return 0


def cmd_orders_purge(args, settings: Settings) -> int:
    import time

    from .store.orders import Orders

    if args.older_than is None:
        raise CliError("livecast orders purge needs --older-than DAYS")
    from .webhooks import deliveries

    cutoff = int(time.time() * 1000) - args.older_than * 86_400_000

    async def purge(r):
        return await Orders(r).purge(cutoff), await deliveries.purge(r, cutoff)

    orders, records = run_store(settings, purge)
    print(
        f"removed buyers' details from {orders} finished orders and {records} webhook "
        f"delivery records older than {args.older_than} days"
    )
    return 0


def cmd_admin_token(args, settings: Settings) -> int:
    from . import datadir

    if settings.admin_token:
        raise CliError("LIVECAST_ADMIN_TOKEN is set: the admin token is the one in the environment")
    token, _ = datadir.reset_admin_token(Path(settings.data_dir))
    print(f"new admin token (shown once, stored hashed): {token}")
    print("restart livecast serve for it to take effect")
    return 0


def cmd_bench(args, settings: Settings) -> int:
    from .bench import main as bench_main

    return bench_main(args.bench_args, settings)


# parser
def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def positive(text: str) -> int:
    value = non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def port(text: str) -> int:
    try:
        return parse_port("--port", text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def workers_count(text: str) -> int:
    try:
        return parse_int("--workers", text, minimum=1, maximum=64)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="livecast", description="Live-commerce server: go live, sell, count.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    s = sub.add_parser(
        "serve",
        help="run the server",
        description="Run the server (HOST, PORT, REDIS_URL and LIVECAST_* from the environment).",
    )
    s.add_argument("--host", help="address to listen on (default $HOST or 127.0.0.1)")
    s.add_argument("--port", type=port, help="port to listen on (default $PORT or 8080)")
    s.add_argument("--demo", action="store_true", help="create the demo show and print its URLs")
    s.add_argument(
        "--workers",
        type=workers_count,
        help="processes sharing the port (default $LIVECAST_WORKERS or the machine's cores)",
    )
    s.add_argument(
        "--self-signed",
        action="store_true",
        help="serve HTTPS with a self-signed certificate kept in the data dir (a LAN, a test);"
        " for a public server use LIVECAST_TLS_CERT/KEY or a TLS proxy (docs/https.md)",
    )
    s.set_defaults(fn=cmd_serve)

    show = sub.add_parser("show", help="create, list and end shows")
    show_sub = show.add_subparsers(
        dest="show_command", required=True, metavar="ACTION", parser_class=Parser
    )
    c = show_sub.add_parser("create", help="create a show and print its keys and URLs")
    c.add_argument("--title", required=True)
    c.add_argument("--seller")
    c.add_argument(
        "--starts-at",
        help="ISO 8601, e.g. 2026-12-01T19:00 (read in $LIVECAST_TIMEZONE, default Asia/Seoul)"
        " or 2026-12-01T19:00:00+09:00",
    )
    c.add_argument("--currency", default="KRW", help="ISO 4217 code (default KRW)")
    c.add_argument("--catalog", help="products from a .json or .csv file")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(fn=cmd_show_create)
    ls = show_sub.add_parser("list", help="list shows")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(fn=cmd_show_list)
    e = show_sub.add_parser("end", help="end a show")
    e.add_argument("show", metavar="ID")
    e.set_defaults(fn=cmd_show_end)

    product = sub.add_parser("product", help="add products to a show")
    product_sub = product.add_subparsers(
        dest="product_command", required=True, metavar="ACTION", parser_class=Parser
    )
    a = product_sub.add_parser("add", help="add a product to a show")
    a.add_argument("show", metavar="SHOW")
    a.add_argument("--sku", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--price", required=True, type=non_negative, help="in minor units (KRW: won)")
    a.add_argument("--stock", type=non_negative, help="units available (default unlimited)")
    a.add_argument("--max-per-order", type=positive)
    a.add_argument("--image", help="image URL")
    a.add_argument("--description")
    a.set_defaults(fn=cmd_product_add)

    sa = sub.add_parser("sales", help="units sold and revenue per product")
    sa.add_argument("show", metavar="SHOW")
    fmt = sa.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    fmt.add_argument("--json", action="store_true", help="print JSON")
    sa.set_defaults(fn=cmd_sales)

    o = sub.add_parser(
        "orders",
        help="a show's orders, or purge buyers' details of old orders",
        description="livecast orders SHOW [--status S] [--csv|--json]  |  "
        "livecast orders purge --older-than DAYS",
    )
    o.add_argument("target", metavar="SHOW|purge")
    o.add_argument("--status", help="only these statuses, comma-separated (e.g. placed,paid)")
    ofmt = o.add_mutually_exclusive_group()
    ofmt.add_argument("--csv", action="store_true", help="CSV for Excel (UTF-8 with BOM)")
    ofmt.add_argument("--json", action="store_true", help="print JSON")
    o.add_argument(
        "--older-than", type=positive, metavar="DAYS", help="purge: orders created before"
    )
    o.set_defaults(fn=cmd_orders)

    t = sub.add_parser("admin-token", help="issue a new admin token (the old one stops working)")
    t.add_argument("--reset", action="store_true", required=True)
    t.set_defaults(fn=cmd_admin_token)

    b = sub.add_parser(
        "bench", help="benchmarks: relay, buy, chat, soak, page, hls, cascade", add_help=False
    )
    b.add_argument("bench_args", nargs=argparse.REMAINDER)
    b.set_defaults(fn=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .errors import InternalsMoved
    from .store import DataDirBusy, StoreError

    try:
        settings = Settings.from_env()
        return args.fn(args, settings) or 0
    except (ConfigError, CliError, DataDirBusy, StoreError, InternalsMoved) as exc:
        message = getattr(exc, "message", None) or str(exc)
        print(f"livecast: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
