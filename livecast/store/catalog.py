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

from . import keys
from .errors import DuplicateProduct, InvalidInput, UnknownProduct, UnknownShow

STATUSES = ("scheduled", "live", "ended")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SHOW_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_PRICE = 10**9
MAX_STOCK = 10**9
MAX_PRODUCTS = 200
PRODUCT_FIELDS = ("sku", "name", "price", "stock", "max_per_order", "image", "description")
SHOW_FIELDS = ("title", "seller", "starts_at", "currency", "products")


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
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InvalidInput(f"{name} contains control characters")
    return value


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
    """Validate a product; with ``partial`` (PATCH) only the fields given, sku excluded."""
    data = _check_fields(data, PRODUCT_FIELDS, "product")
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
            out[name] = _text(data, name, max_len=200, optional=False)
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
    return out


def parse_starts_at(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("starts_at must be an ISO 8601 date-time string")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"starts_at {value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_show(data: Any) -> dict:
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
        "starts_at": parse_starts_at(data.get("starts_at")),
        "currency": currency,
        "products": parsed,
    }


def _product_record(product: dict) -> str:
    record = {k: product.get(k) for k in PRODUCT_FIELDS if k not in ("sku", "stock")}
    return json.dumps(record, ensure_ascii=False)


def _now_ms() -> int:
    return int(time.time() * 1000)


# shows
async def create_show(r, data: Any, *, show_id: str | None = None) -> dict:
    """Create a show with its products in one transaction; returns the keys once."""
    show = parse_show(data)
    if show_id is None:
        show_id = new_show_id()
        while await r.exists(keys.show(show_id)):
            show_id = new_show_id()
    elif not SHOW_ID_RE.match(show_id):
        raise InvalidInput("show id must be 2-40 lowercase letters, digits or '-'")
    elif await r.exists(keys.show(show_id)):
        raise InvalidInput(f"show {show_id!r} already exists", code="show_exists")
    host_key, moderator_key = new_key(), new_key()
    now = _now_ms()
    async with r.pipeline(transaction=True) as tx:
        tx.hset(
            keys.show(show_id),
            mapping={
                "id": show_id,
                "title": show["title"],
                "seller": show["seller"],
                "currency": show["currency"],
                "starts_at": show["starts_at"] or "",
                "status": "scheduled",
                "created_at": now,
                "featured": "",
                "host_key_hash": hash_key(host_key),
            },
        )
        tx.sadd(keys.moderator_keys(show_id), hash_key(moderator_key))
        tx.zadd(keys.SHOWS, {show_id: now})
        for position, product in enumerate(show["products"]):
            _write_product(tx, show_id, product, position)
        await tx.execute()
    return {
        "show": await public_view(r, show_id),
        "host_key": host_key,
        "moderator_key": moderator_key,
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
        out.append(
            {
                "sku": sku,
                "name": item["name"],
                "price": item["price"],
                "image": item.get("image"),
                "description": item.get("description"),
                "max_per_order": item.get("max_per_order"),
                "sold": int(units or 0),
                "remaining": None if remaining is None else int(remaining),
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
    counts = await r.hvals(keys.viewers(show_id))
    return max(0, sum(int(c) for c in counts))


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
    }


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

    An ended show may go live again (a seller who stopped OBS and starts again), but
    nothing goes back to scheduled.
    """
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    record = await get_show_record(r, show_id)
    previous = record.get("status", "scheduled")
    if status == "scheduled" and previous != "scheduled":
        raise InvalidInput(f"show {show_id!r} has already started", code="invalid_status")
    if previous != status:
        await r.hset(keys.show(show_id), mapping={"status": status, f"{status}_at": _now_ms()})
    return previous


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


async def reissue_keys(r, show_id: str) -> dict:
    """New host and moderator keys for a show (the old ones stop working)."""
    await get_show_record(r, show_id)
    host_key, moderator_key = new_key(), new_key()
    async with r.pipeline(transaction=True) as tx:
        tx.hset(keys.show(show_id), "host_key_hash", hash_key(host_key))
        tx.delete(keys.moderator_keys(show_id))
        tx.sadd(keys.moderator_keys(show_id), hash_key(moderator_key))
        await tx.execute()
    return {"host_key": host_key, "moderator_key": moderator_key}


async def add_moderator_key(r, show_id: str) -> str:
    await get_show_record(r, show_id)
    key = new_key()
    await r.sadd(keys.moderator_keys(show_id), hash_key(key))
    return key
