"""Sellers: a name, the business details Korean law wants on a shop's pages, and a key.

A seller key (random, shown once, stored as a hash like the show keys) manages only
that seller's shows. ``SELLER_KEYS`` maps the key's hash to the seller id, so a key is
found with one lookup.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from . import keys
from .catalog import SHOW_ID_RE, hash_key, new_key, new_show_id
from .errors import Conflict, InvalidInput, UnknownSeller
from .orders import clean_text, normalize_phone

SELLER_FIELDS = ("id", "name", "business")
BUSINESS_FIELDS = ("registration_no", "mail_order_no", "address", "phone")
NAME_MAX = 100
# 사업자등록번호 check digit weights
BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
REPRESENTATIVE_PHONE = re.compile(r"1[5-9]\d{2}-?\d{4}")  # 대표번호 1588-1234


def valid_registration_no(digits: str) -> bool:
    """The check digit of a 10-digit 사업자등록번호."""
    if not re.fullmatch(r"\d{10}", digits):
        return False
    d = [int(c) for c in digits]
    total = sum(x * w for x, w in zip(d, BRN_WEIGHTS, strict=False)) + d[8] * 5 // 10
    return (10 - total % 10) % 10 == d[9]


def parse_registration_no(value: Any) -> str | None:
    text = clean_text(value, "business.registration_no", max_len=20, optional=True)
    if text is None:
        return None
    digits = re.sub(r"[\s-]", "", text)
    if not valid_registration_no(digits):
        raise InvalidInput(
            f"business.registration_no {text!r} is not a valid 사업자등록번호: "
            "10 digits like 123-45-67890 (check for a typo)",
            field="business.registration_no",
        )
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def parse_business_phone(value: Any) -> str | None:
    text = clean_text(value, "business.phone", max_len=20, optional=True)
    if text is None:
        return None
    if REPRESENTATIVE_PHONE.fullmatch(text.replace(" ", "")):
        digits = re.sub(r"\D", "", text)
        return f"{digits[:4]}-{digits[4:]}"
    try:
        return normalize_phone(text)
    except InvalidInput:
        raise InvalidInput(
            "business.phone must be a phone number like 02-123-4567 or 1588-1234",
            field="business.phone",
        ) from None


def parse_business(data: Any) -> dict:
    """``{registration_no?, mail_order_no?, address?, phone?}``; empty fields are left out."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("business must be an object", field="business")
    unknown = sorted(set(data) - set(BUSINESS_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s) in business: {', '.join(unknown)}", field="business")
    parsed = {
        "registration_no": parse_registration_no(data.get("registration_no")),
        "mail_order_no": clean_text(
            data.get("mail_order_no"), "business.mail_order_no", max_len=60, optional=True
        ),
        "address": clean_text(data.get("address"), "business.address", max_len=200, optional=True),
        "phone": parse_business_phone(data.get("phone")),
    }
    return {k: v for k, v in parsed.items() if v is not None}


def parse_seller(data: Any) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput("a seller must be a JSON object {id?, name, business?}")
    unknown = sorted(set(data) - set(SELLER_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s) in seller: {', '.join(unknown)}")
    seller_id = data.get("id")
    if seller_id is not None and (
        not isinstance(seller_id, str) or not SHOW_ID_RE.match(seller_id)
    ):
        raise InvalidInput("id must be 2-40 lowercase letters, digits or '-'", field="id")
    return {
        "id": seller_id,
        "name": clean_text(data.get("name"), "name", max_len=NAME_MAX),
        "business": parse_business(data.get("business")),
    }


def view(record: dict) -> dict:
    return {
        "id": record["id"],
        "name": record.get("name", ""),
        "business": json.loads(record.get("business") or "{}"),
        "created_at": int(record.get("created_at") or 0),
    }


async def create_seller(r, data: Any) -> dict:
    """``{"seller": view, "key": seller key}`` (the key is shown this once)."""
    seller = parse_seller(data)
    seller_id = seller["id"] or new_show_id()
    key = new_key()
    record = {
        "id": seller_id,
        "name": seller["name"],
        "business": json.dumps(seller["business"], ensure_ascii=False),
        "key_hash": hash_key(key),
        "created_at": int(time.time() * 1000),
    }
    # HSETNX on id claims the seller id; the rest follows in one transaction
    claimed = await r.hsetnx(keys.seller(seller_id), "id", seller_id)
    if not claimed and await r.hexists(keys.seller(seller_id), "name"):
        raise Conflict(f"seller {seller_id!r} already exists", code="seller_exists")
    async with r.pipeline(transaction=True) as tx:
        tx.hset(keys.seller(seller_id), mapping=record)
        tx.hset(keys.SELLER_KEYS, record["key_hash"], seller_id)
        tx.zadd(keys.SELLERS, {seller_id: record["created_at"]})
        await tx.execute()
    return {"seller": view(record), "key": key}


async def get_seller(r, seller_id: str) -> dict:
    record = await r.hgetall(keys.seller(seller_id)) if isinstance(seller_id, str) else {}
    if not record.get("name"):
        raise UnknownSeller(f"no seller {seller_id!r}")
    return view(record)


async def list_sellers(r) -> list[dict]:
    out = []
    for seller_id in await r.zrange(keys.SELLERS, 0, -1):
        try:
            seller = await get_seller(r, seller_id)
        except UnknownSeller:
            continue
        seller["shows"] = await r.zcard(keys.seller_shows(seller_id))
        out.append(seller)
    return out


async def seller_for_key(r, key: str | None) -> dict | None:
    """The seller whose key this is, or None."""
    if not key or not isinstance(key, str) or len(key) > 200:
        return None
    seller_id = await r.hget(keys.SELLER_KEYS, hash_key(key))
    if seller_id is None:
        return None
    try:
        return await get_seller(r, seller_id)
    except UnknownSeller:
        return None


async def rotate_seller_key(r, seller_id: str) -> str:
    """A new key for the seller (the old one stops working), shown once."""
    await get_seller(r, seller_id)
    old = await r.hget(keys.seller(seller_id), "key_hash")
    key = new_key()
    async with r.pipeline(transaction=True) as tx:
        if old:
            tx.hdel(keys.SELLER_KEYS, old)
        tx.hset(keys.SELLER_KEYS, hash_key(key), seller_id)
        tx.hset(keys.seller(seller_id), "key_hash", hash_key(key))
        await tx.execute()
    return key


async def seller_show_ids(r, seller_id: str) -> list[str]:
    return await r.zrevrange(keys.seller_shows(seller_id), 0, -1)
