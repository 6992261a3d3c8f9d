"""Shows, products and keys in Redis.

The rules for what a show or a product may hold are plain functions (``parse_show``,
``parse_product``) that raise :class:`InvalidInput`; the async functions take a
``redis.asyncio.Redis`` created with ``decode_responses=True``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import keys, orders, processes, product_detail
from .errors import Conflict, DuplicateProduct, InvalidInput, UnknownProduct, UnknownShow
from .text import check_text

STATUSES = ("scheduled", "live", "ended")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SHOW_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_PRICE = 10**9
MAX_STOCK = 10**9
MAX_PRODUCTS = 200
PRODUCT_FIELDS = ("sku", "name", "price", "stock", "max_per_order", "image", "description")
# the detail page's fields (JSON only; a CSV catalog has the columns above)
ALL_PRODUCT_FIELDS = PRODUCT_FIELDS + product_detail.EXTRA_FIELDS
PRODUCT_NAME_MAX = 100
SHOW_FIELDS = (
    "title",
    "seller",
    "starts_at",
    "currency",
    "products",
    "checkout",
    "webhook",
    "cover",
    "event",
    "seller_id",
    "replay_sales",
)
SHOW_PATCH_FIELDS = (
    "title",
    "seller",
    "starts_at",
    "checkout",
    "webhook",
    "cover",
    "event",
    "seller_id",
    "replay_sales",
)
# what may still change once a show has ended
ENDED_PATCH_FIELDS = ("replay_sales",)
# a time without an offset is read in this zone unless told (LIVECAST_TIMEZONE)
DEFAULT_TIMEZONE = "Asia/Seoul"
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


# keys: random, shown once, stored as sha256, compared in constant time
def new_key() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str | None, stored_hash: str | None) -> bool:
    if not key or not stored_hash:
        return False
    return hmac.compare_digest(hash_key(key), stored_hash)


def new_show_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(10))


# validation rules
def _int(data: dict, name: str, *, minimum: int, maximum: int, optional: bool) -> int | None:
    value = data.get(name)
    if value is None:
        if optional:
            return None
        raise InvalidInput(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number, not {value!r}")
    if value < minimum:
        raise InvalidInput(f"{name} must be at least {minimum}")
    if value > maximum:
        raise InvalidInput(f"{name} must be at most {maximum}")
    return value


def _text(data: dict, name: str, *, max_len: int, optional: bool) -> str | None:
    value = data.get(name)
    if value is None:
        if optional:
            return None
        raise InvalidInput(f"{name} is required")
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string")
    value = value.strip()
    if not value:
        if optional:
            return None
        raise InvalidInput(f"{name} must not be empty")
    if len(value) > max_len:
        raise InvalidInput(f"{name} is longer than {max_len} characters")
    return check_text(value, name)


def _check_fields(data: Any, allowed: tuple[str, ...], what: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field(s) in {what}: {', '.join(unknown)}")
    return data


def parse_image(value: str | None) -> str | None:
    if value is None:
        return None
    if not (value.startswith(("https://", "http://", "/"))) or any(c.isspace() for c in value):
        raise InvalidInput("image must be an http(s) URL or a path starting with /")
    return value


def parse_product(data: Any, *, partial: bool = False) -> dict:
    """Validate a product; with ``partial`` (PATCH) only the fields given, sku excluded.

    ``images`` (≤ 10) are the product's photos and ``image`` the first of them (given
    alone, it becomes the first photo); ``list_price``, ``detail`` and ``notice`` make the
    detail page (see :mod:`.product_detail`).
    """
    data = _check_fields(data, ALL_PRODUCT_FIELDS, "product")
    out: dict[str, Any] = {}
    if partial:
        if "sku" in data:
            raise InvalidInput("sku cannot be changed")
        if not data:
            raise InvalidInput("nothing to change")
    else:
        sku = data.get("sku")
        if not isinstance(sku, str) or not SKU_RE.match(sku):
            raise InvalidInput("sku must be 1-64 letters, digits, '.', '_' or '-'")
        out["sku"] = sku
    for name in data if partial else PRODUCT_FIELDS[1:]:
        if name == "name":
            out[name] = _text(data, name, max_len=PRODUCT_NAME_MAX, optional=False)
        elif name == "price":
            out[name] = _int(data, name, minimum=0, maximum=MAX_PRICE, optional=False)
        elif name == "stock":
            out[name] = _int(data, name, minimum=0, maximum=MAX_STOCK, optional=True)
        elif name == "max_per_order":
            out[name] = _int(data, name, minimum=1, maximum=MAX_STOCK, optional=True)
        elif name == "image":
            out[name] = parse_image(_text(data, name, max_len=2048, optional=True))
        elif name == "description":
            out[name] = _text(data, name, max_len=5000, optional=True)
    out.update(product_detail.parse_extras(data))
    if not partial:
        photos = product_detail.merge_images(out["image"], out.get("images"), [])
        out["images"], out["image"] = photos, photos[0] if photos else None
    return out


def parse_time(value: Any, name: str = "starts_at", tz: str | None = None) -> str | None:
    """An ISO 8601 date-time -> ``YYYY-MM-DDTHH:MM:SSZ`` (UTC). A time without an offset
    is read in ``tz`` (LIVECAST_TIMEZONE, default Asia/Seoul); 2000-2099 only."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput(f"{name} must be an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{name} {value!r} is not an ISO 8601 date-time (like 2026-12-01T19:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz or DEFAULT_TIMEZONE))
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is past the year 9999 in UTC
        raise InvalidInput(f"{name} {value!r} is out of range") from None
    if not EARLIEST <= moment < LATEST:
        raise InvalidInput(f"{name} {value!r} is out of range (years 2000-2099)")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_starts_at(value: Any, tz: str | None = None) -> str | None:
    return parse_time(value, "starts_at", tz)


def parse_ref(value: Any, name: str) -> str | None:
    """A seller or sale-event id (or null)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not SHOW_ID_RE.match(value):
        raise InvalidInput(f"{name} must be 2-40 lowercase letters, digits or '-'")
    return value


def parse_webhook(data: Any) -> dict | None:
    """A show's own webhook ``{url, secret}`` (null: the global LIVECAST_WEBHOOK_URL)."""
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) - {"url", "secret"}:
        raise InvalidInput("webhook must be {url, secret}")
    url, secret = data.get("url"), data.get("secret")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise InvalidInput("webhook.url must be an http(s) URL")
    if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
        raise InvalidInput("webhook.secret must be 16-200 characters")
    return {"url": url, "secret": secret}


def parse_show(data: Any, *, tz: str | None = None) -> dict:
    data = _check_fields(data, SHOW_FIELDS, "show")
    currency = data.get("currency", "KRW")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise InvalidInput("currency must be a 3-letter ISO 4217 code such as KRW")
    products = data.get("products") or []
    if not isinstance(products, list):
        raise InvalidInput("products must be a list")
    if len(products) > MAX_PRODUCTS:
        raise InvalidInput(f"a show holds at most {MAX_PRODUCTS} products")
    parsed = []
    seen = set()
    for index, item in enumerate(products):
        try:
            product = parse_product(item)
        except InvalidInput as exc:
            raise InvalidInput(f"products[{index}]: {exc.message}") from None
        if product["sku"] in seen:
            raise InvalidInput(f"products[{index}]: sku {product['sku']!r} appears twice")
        seen.add(product["sku"])
        parsed.append(product)
    return {
        "title": _text(data, "title", max_len=200, optional=False),
        "seller": _text(data, "seller", max_len=200, optional=True) or "",
        "starts_at": parse_starts_at(data.get("starts_at"), tz),
        "currency": currency,
        "products": parsed,
        "checkout": orders.parse_checkout(data.get("checkout")),
        "webhook": parse_webhook(data.get("webhook")),
        "cover": parse_cover(data.get("cover")),
        "event": parse_ref(data.get("event"), "event"),
        "seller_id": parse_ref(data.get("seller_id"), "seller_id"),
        "replay_sales": parse_flag(data.get("replay_sales", True), "replay_sales"),
    }


def parse_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return value


def parse_cover(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return product_detail.parse_url(value, "cover")


def _product_record(product: dict) -> str:
    record = {k: product.get(k) for k in ALL_PRODUCT_FIELDS if k not in ("sku", "stock")}
    return json.dumps(record, ensure_ascii=False)


def _now_ms() -> int:
    return int(time.time() * 1000)


# shows
async def create_show(r, data: Any, *, show_id: str | None = None, tz: str | None = None) -> dict:
    """Create a show with its products in one transaction; returns the keys once.

    ``seller_id`` makes it that seller's show (its name is the default ``seller``);
    ``event`` joins a sale event. ``tz``: the zone of a ``starts_at`` without an offset.
    """
    show = parse_show(data, tz=tz)
    if show["seller_id"]:
        business = await seller_business(r, show["seller_id"])
        if business is None:
            raise InvalidInput(f"no seller {show['seller_id']!r}", code="unknown_seller")
        show["seller"] = show["seller"] or business["name"]
    if show["event"] and not await r.exists(keys.event(show["event"])):
        raise InvalidInput(f"no sale event {show['event']!r}", code="unknown_event")
    if show_id is None:
        show_id = new_show_id()
        while await r.exists(keys.show(show_id)):
            show_id = new_show_id()
    elif not SHOW_ID_RE.match(show_id):
        raise InvalidInput("show id must be 2-40 lowercase letters, digits or '-'")
    elif await r.exists(keys.show(show_id)):
        raise InvalidInput(f"show {show_id!r} already exists", code="show_exists")
    host_key, moderator_key, shop_key = new_key(), new_key(), new_key()
    now = _now_ms()
    webhook = show["webhook"] or {"url": "", "secret": ""}
    async with r.pipeline(transaction=True) as tx:
        tx.hset(
            keys.show(show_id),
            mapping={
                "checkout": json.dumps(show["checkout"], ensure_ascii=False),
                "shop_key_hash": hash_key(shop_key),
                "webhook_url": webhook["url"],
                "webhook_secret": webhook["secret"],
                "id": show_id,
                "title": show["title"],
                "seller": show["seller"],
                "currency": show["currency"],
                "starts_at": show["starts_at"] or "",
                "status": "scheduled",
                "created_at": now,
                "featured": "",
                "host_key_hash": hash_key(host_key),
                "cover": show["cover"] or "",
                "event": show["event"] or "",
                "seller_id": show["seller_id"] or "",
                "replay_sales": "1" if show["replay_sales"] else "0",
            },
        )
        tx.sadd(keys.moderator_keys(show_id), hash_key(moderator_key))
        tx.zadd(keys.SHOWS, {show_id: now})
        if show["seller_id"]:
            tx.zadd(keys.seller_shows(show["seller_id"]), {show_id: now})
        if show["event"]:
            tx.zadd(keys.event_shows(show["event"]), {show_id: now})
        for position, product in enumerate(show["products"]):
            _write_product(tx, show_id, product, position)
        await tx.execute()
    return {
        "show": await public_view(r, show_id),
        "host_key": host_key,
        "moderator_key": moderator_key,
        "shop_key": shop_key,
    }


def _write_product(tx, show_id: str, product: dict, position: int) -> None:
    sku = product["sku"]
    tx.hset(keys.products(show_id), sku, _product_record(product))
    tx.zadd(keys.skus(show_id), {sku: position})
    tx.hsetnx(keys.sold(show_id), sku, 0)
    tx.hsetnx(keys.revenue(show_id), sku, 0)
    if product.get("stock") is not None:
        tx.hset(keys.stock(show_id), sku, product["stock"])
    else:
        tx.hdel(keys.stock(show_id), sku)


async def show_exists(r, show_id: str) -> bool:
    return bool(show_id) and bool(await r.exists(keys.show(show_id)))


async def get_show_record(r, show_id: str) -> dict:
    record = await r.hgetall(keys.show(show_id)) if isinstance(show_id, str) else {}
    if not record:
        raise UnknownShow(f"no show {show_id!r}")
    return record


async def list_show_ids(r) -> list[str]:
    return await r.zrevrange(keys.SHOWS, 0, -1)


async def products(r, show_id: str) -> list[dict]:
    """The show's products in display order with sold and remaining figures."""
    skus = await r.zrange(keys.skus(show_id), 0, -1)
    if not skus:
        return []
    async with r.pipeline(transaction=False) as p:
        p.hmget(keys.products(show_id), skus)
        p.hmget(keys.sold(show_id), skus)
        p.hmget(keys.stock(show_id), skus)
        records, sold, stock = await p.execute()
    out = []
    for sku, record, units, remaining in zip(skus, records, sold, stock, strict=True):
        if record is None:
            continue
        item = json.loads(record)
        detail = product_detail.view(item)
        out.append(
            {
                "sku": sku,
                "name": item["name"],
                "price": item["price"],
                "image": detail["images"][0] if detail["images"] else None,
                "description": item.get("description"),
                "max_per_order": item.get("max_per_order"),
                "sold": int(units or 0),
                "remaining": None if remaining is None else int(remaining),
                **detail,
            }
        )
    return out


async def get_product(r, show_id: str, sku: str) -> dict:
    for product in await products(r, show_id):
        if product["sku"] == sku:
            return product
    raise UnknownProduct(f"no product {sku!r} in show {show_id!r}")


async def active_deal(r, show_id: str) -> dict | None:
    deal = await r.hgetall(keys.deal(show_id))
    if not deal or int(deal.get("ends_at", 0)) <= _now_ms():
        return None
    return {"sku": deal["sku"], "price": int(deal["price"]), "ends_at": int(deal["ends_at"])}


async def viewer_count(r, show_id: str) -> int:
    return await processes.viewer_count(r, show_id)


async def public_view(r, show_id: str) -> dict:
    record = await get_show_record(r, show_id)
    return {
        "id": show_id,
        "title": record.get("title", ""),
        "seller": record.get("seller", ""),
        "currency": record.get("currency", "KRW"),
        "starts_at": record.get("starts_at") or None,
        "status": record.get("status", "scheduled"),
        "products": await products(r, show_id),
        "featured": record.get("featured") or None,
        "deal": await active_deal(r, show_id),
        "viewers": await viewer_count(r, show_id),
        "checkout": public_checkout(checkout_of(record)),
        "cover": record.get("cover") or None,
        "event": record.get("event") or None,
        "seller_id": record.get("seller_id") or None,
        # the replay page sells the products still in stock unless the seller turned it off
        "replay_sales": record.get("replay_sales", "1") != "0",
        # 상호, 사업자등록번호, 통신판매업 신고번호, address, phone: shown on the show's pages
        "business": await seller_business(r, record.get("seller_id")),
    }


async def seller_business(r, seller_id: str | None) -> dict | None:
    """A seller's public business details ``{name, registration_no?, mail_order_no?,
    address?, phone?}``, or None (no such seller)."""
    if not seller_id:
        return None
    name, business = await r.hmget(keys.seller(seller_id), "name", "business")
    if name is None:
        return None
    return {"name": name, **json.loads(business or "{}")}


def checkout_of(record: dict) -> dict:
    """The show's checkout setting (the default for shows made before checkout existed)."""
    raw = record.get("checkout")
    return json.loads(raw) if raw else orders.default_checkout()


def public_checkout(checkout: dict) -> dict:
    """What any shopper may see before buying: the mode and the shipping rule."""
    if checkout["mode"] == "shop":
        return {"mode": "shop"}
    return {
        "mode": "builtin",
        "payment": checkout["payment"],
        "shipping_fee": checkout["shipping_fee"],
        "free_shipping_over": checkout["free_shipping_over"],
    }


async def patch_show(r, show_id: str, data: Any, *, tz: str | None = None) -> dict:
    """Change a show's title, seller, start, checkout, webhook, cover, sale event or
    seller (not once it has ended). ``event: null`` leaves the event."""
    record = await get_show_record(r, show_id)
    data = _check_fields(data, SHOW_PATCH_FIELDS, "show")
    if not data:
        raise InvalidInput("nothing to change")
    if record.get("status") == "ended" and set(data) - set(ENDED_PATCH_FIELDS):
        raise InvalidInput("this show has ended: only replay_sales can still change", code="ended")
    changes: dict[str, Any] = {}
    if "replay_sales" in data:
        changes["replay_sales"] = "1" if parse_flag(data["replay_sales"], "replay_sales") else "0"
    if "title" in data:
        changes["title"] = _text(data, "title", max_len=200, optional=False)
    if "seller" in data:
        changes["seller"] = _text(data, "seller", max_len=200, optional=True) or ""
    if "starts_at" in data:
        changes["starts_at"] = parse_starts_at(data["starts_at"], tz) or ""
    if "cover" in data:
        changes["cover"] = parse_cover(data["cover"]) or ""
    moves = []  # (zset, member add/remove) for the event and seller indexes
    if "event" in data:
        event = parse_ref(data["event"], "event")
        if event and not await r.exists(keys.event(event)):
            raise InvalidInput(f"no sale event {event!r}", code="unknown_event")
        changes["event"] = event or ""
        moves.append((keys.event_shows, record.get("event"), event))
    if "seller_id" in data:
        seller_id = parse_ref(data["seller_id"], "seller_id")
        business = await seller_business(r, seller_id)
        if seller_id and business is None:
            raise InvalidInput(f"no seller {seller_id!r}", code="unknown_seller")
        changes["seller_id"] = seller_id or ""
        if business and "seller" not in data:
            changes["seller"] = business["name"]
        moves.append((keys.seller_shows, record.get("seller_id"), seller_id))
    if "checkout" in data:
        if record.get("status") == "live":
            raise InvalidInput("checkout cannot change while the show is live", code="live")
        changes["checkout"] = json.dumps(
            orders.parse_checkout(data["checkout"]), ensure_ascii=False
        )
    if "webhook" in data:
        webhook = parse_webhook(data["webhook"]) or {"url": "", "secret": ""}
        changes["webhook_url"], changes["webhook_secret"] = webhook["url"], webhook["secret"]
    now = _now_ms()
    async with r.pipeline(transaction=True) as tx:
        tx.hset(keys.show(show_id), mapping=changes)
        for index, old, new in moves:
            if old and old != new:
                tx.zrem(index(old), show_id)
            if new and old != new:
                tx.zadd(index(new), {show_id: now})
        await tx.execute()
    return await public_view(r, show_id)


async def list_public_views(r) -> list[dict]:
    views = []
    for show_id in await list_show_ids(r):
        try:
            views.append(await public_view(r, show_id))
        except UnknownShow:
            continue
    return views


async def set_status(r, show_id: str, status: str) -> str:
    """Move a show along scheduled -> live -> ended; returns the previous status.

    An ended show stays ended (``Conflict`` with code ``ended``: a new broadcast needs a
    new show), and nothing goes back to scheduled. Ending a show ends its deal.
    """
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    record = await get_show_record(r, show_id)
    previous = record.get("status", "scheduled")
    if status == "scheduled" and previous != "scheduled":
        raise InvalidInput(f"show {show_id!r} has already started", code="invalid_status")
    if status == "live" and previous == "ended":
        raise Conflict(f"show {show_id!r} has ended and cannot go live again", code="ended")
    if previous != status:
        now = _now_ms()
        async with r.pipeline(transaction=True) as tx:
            tx.hset(keys.show(show_id), mapping={"status": status, f"{status}_at": now})
            if status == "ended":
                tx.delete(keys.deal(show_id))
            if status in ("live", "ended"):  # webhooks: show.live / show.ended
                data = {**show_summary(record), "status": status}
                tx.xadd(
                    keys.OUTBOX,
                    {
                        "type": f"show.{status}",
                        "show": show_id,
                        "key": f"show:{show_id}",
                        "data": json.dumps(data, ensure_ascii=False),
                        "created_at": now,
                    },
                )
            await tx.execute()
    return previous


def show_summary(record: dict) -> dict:
    return {
        "id": record.get("id"),
        "title": record.get("title", ""),
        "seller": record.get("seller", ""),
        "currency": record.get("currency", "KRW"),
        "starts_at": record.get("starts_at") or None,
        "status": record.get("status", "scheduled"),
    }


async def set_featured(r, show_id: str, sku: str | None) -> None:
    if sku is not None:
        await get_product(r, show_id, sku)
    await r.hset(keys.show(show_id), "featured", sku or "")


# products
async def add_product(r, show_id: str, data: Any) -> dict:
    await get_show_record(r, show_id)
    product = parse_product(data)
    if await r.hexists(keys.products(show_id), product["sku"]):
        raise DuplicateProduct(f"product {product['sku']!r} already exists in this show")
    if await r.zcard(keys.skus(show_id)) >= MAX_PRODUCTS:
        raise InvalidInput(f"a show holds at most {MAX_PRODUCTS} products")
    position = await r.zcard(keys.skus(show_id))
    async with r.pipeline(transaction=True) as tx:
        _write_product(tx, show_id, product, position)
        await tx.execute()
    return await get_product(r, show_id, product["sku"])


async def patch_product(r, show_id: str, sku: str, data: Any) -> dict:
    """Change some fields; ``stock`` sets the units remaining (null: unlimited)."""
    await get_show_record(r, show_id)
    changes = parse_product(data, partial=True)
    record = await r.hget(keys.products(show_id), sku)
    if record is None:
        raise UnknownProduct(f"no product {sku!r} in show {show_id!r}")
    current = json.loads(record)
    if "image" in changes or "images" in changes:
        old = product_detail.view(current)["images"]
        if "image" in changes and changes["image"] is None and "images" not in changes:
            photos = old[1:]  # image: null takes the first photo away
        else:
            photos = product_detail.merge_images(changes.get("image"), changes.get("images"), old)
        changes["images"], changes["image"] = photos, photos[0] if photos else None
    current.update({k: v for k, v in changes.items() if k != "stock"})
    async with r.pipeline(transaction=True) as tx:
        tx.hset(keys.products(show_id), sku, json.dumps(current, ensure_ascii=False))
        if "stock" in changes:
            if changes["stock"] is None:
                tx.hdel(keys.stock(show_id), sku)
            else:
                tx.hset(keys.stock(show_id), sku, changes["stock"])
        await tx.execute()
    return await get_product(r, show_id, sku)


async def delete_product(r, show_id: str, sku: str) -> None:
    """Take a product out of a show that has not gone live yet (nothing sold to undo)."""
    record = await get_show_record(r, show_id)
    if record.get("status", "scheduled") != "scheduled":
        raise Conflict(
            "products can be deleted only before the show goes live: set its stock to 0 instead",
            code="started",
        )
    if not await r.hexists(keys.products(show_id), sku):
        raise UnknownProduct(f"no product {sku!r} in show {show_id!r}")
    async with r.pipeline(transaction=True) as tx:
        for key in (keys.products, keys.sold, keys.stock, keys.revenue, keys.paid):
            tx.hdel(key(show_id), sku)
        tx.zrem(keys.skus(show_id), sku)
        if record.get("featured") == sku:
            tx.hset(keys.show(show_id), "featured", "")
        await tx.execute()


# keys
async def role_for_key(r, show_id: str, key: str | None) -> str | None:
    """``host``, ``moderator`` or None for a key presented for this show."""
    if not key or not isinstance(key, str):
        return None
    host_hash = await r.hget(keys.show(show_id), "host_key_hash")
    if key_matches(key, host_hash):
        return "host"
    mod_hashes = await r.smembers(keys.moderator_keys(show_id))
    candidate = hash_key(key)
    # compare against every stored hash so timing does not tell which one matched
    matched = False
    for stored in mod_hashes:
        matched |= hmac.compare_digest(candidate, stored)
    return "moderator" if matched else None


async def staff_role(r, show_id: str, key: str | None) -> str | None:
    """``host`` or ``shop`` for a key presented to the HTTP API of this show, else None."""
    if not key or not isinstance(key, str):
        return None
    host_hash, shop_hash = await r.hmget(keys.show(show_id), "host_key_hash", "shop_key_hash")
    host, shop = key_matches(key, host_hash), key_matches(key, shop_hash)
    return "host" if host else "shop" if shop else None


KEY_ROLES = ("host", "moderator", "shop")


async def rotate_key(r, show_id: str, role: str) -> str:
    """A new key for one role of the show (the old one stops working), shown once."""
    await get_show_record(r, show_id)
    if role not in KEY_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(KEY_ROLES)}")
    key = new_key()
    if role == "moderator":
        async with r.pipeline(transaction=True) as tx:
            tx.delete(keys.moderator_keys(show_id))
            tx.sadd(keys.moderator_keys(show_id), hash_key(key))
            await tx.execute()
    else:
        await r.hset(keys.show(show_id), f"{role}_key_hash", hash_key(key))
    return key


async def reissue_keys(r, show_id: str) -> dict:
    """New host, moderator and shop keys for a show (the old ones stop working)."""
    await get_show_record(r, show_id)
    host_key, moderator_key, shop_key = new_key(), new_key(), new_key()
    async with r.pipeline(transaction=True) as tx:
        tx.hset(keys.show(show_id), "host_key_hash", hash_key(host_key))
        tx.hset(keys.show(show_id), "shop_key_hash", hash_key(shop_key))
        tx.delete(keys.moderator_keys(show_id))
        tx.sadd(keys.moderator_keys(show_id), hash_key(moderator_key))
        await tx.execute()
    return {"host_key": host_key, "moderator_key": moderator_key, "shop_key": shop_key}


async def add_moderator_key(r, show_id: str) -> str:
    await get_show_record(r, show_id)
    key = new_key()
    await r.sadd(keys.moderator_keys(show_id), hash_key(key))
    return key
