"""Orders: a buy reserves units as an order; the order moves on to placed, paid, shipped,
or ends cancelled or expired (docs/orders.md).

Every transition is ONE Lua script (``move.lua`` on ``order_lib.lua``): the order record,
its history, its deadline, stock/sold/revenue/paid and the outbox event change together.
The reservation itself is the buy script (``buy.lua``, run by :class:`sales.Buyer`).
The rules for what a buyer, a checkout setting or a status change may hold are plain
functions that raise :class:`InvalidInput` naming the field.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from . import keys
from .errors import BadTransition, InvalidInput, UnknownOrder
from .text import check_text

STATUSES = ("reserved", "placed", "paid", "shipped", "cancelled", "expired")
OPEN_STATUSES = ("reserved", "placed")
PAYMENTS = ("bank_transfer", "on_delivery", "shop")
BUYER_PAYMENTS = ("bank_transfer", "on_delivery")
ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
TRACKING_RE = re.compile(r"^[A-Za-z0-9-]{4,40}$")
POSTCODE_RE = re.compile(r"^\d{5}$")
MAX_FEE = 10**7
SWEEP_BATCH = 200


def _lua(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text()


MOVE_SCRIPT = _lua("order_lib.lua") + "\n" + _lua("move.lua")
SWEEP_SCRIPT = _lua("order_lib.lua") + "\n" + _lua("sweep.lua")


# rules: text, phone, postcode, buyer, checkout setting, status change
def clean_text(value: Any, field: str, *, max_len: int, optional: bool = False) -> str | None:
    """A one-line text field, trimmed; the store's text rule (no control or bidi
    characters, not only invisible ones); InvalidInput names the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise InvalidInput(f"{field} is required", field=field)
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    value = value.strip()
    if len(value) > max_len:
        raise InvalidInput(f"{field} is longer than {max_len} characters", field=field)
    try:
        return check_text(value, field, allow="")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def normalize_phone(value: Any) -> str:
    """A Korean phone number as 010-1234-5678 / 02-123-4567 / 031-123-4567 / 070-…."""
    text = clean_text(value, "phone", max_len=20)
    digits = re.sub(r"[\s().-]", "", text)
    if digits.startswith("+82"):
        digits = "0" + digits[3:]
    if not digits.isdigit():
        raise InvalidInput("phone must be a Korean phone number like 010-1234-5678", field="phone")
    if re.fullmatch(r"01[016789]\d{7,8}", digits):
        return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"
    if re.fullmatch(r"02\d{7,8}", digits):
        return f"02-{digits[2:-4]}-{digits[-4:]}"
    if re.fullmatch(r"0(?:[3-6][1-5]|70)\d{7,8}", digits):
        return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"
    if re.fullmatch(r"050\d{9}", digits):
        return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
    raise InvalidInput("phone must be a Korean phone number like 010-1234-5678", field="phone")


def parse_postcode(value: Any) -> str:
    text = clean_text(value, "postcode", max_len=10).replace(" ", "")
    if not POSTCODE_RE.match(text):
        raise InvalidInput("postcode must be the 5-digit 우편번호 (like 04524)", field="postcode")
    return text


def parse_buyer(data: Any) -> dict:
    """The delivery details a buyer gives at checkout."""
    if not isinstance(data, dict):
        raise InvalidInput("buyer must be an object", field="buyer")
    unknown = sorted(set(data) - {"name", "phone", "postcode", "address", "address2", "memo"})
    if unknown:
        raise InvalidInput(f"unknown field(s) in buyer: {', '.join(unknown)}", field=unknown[0])
    return {
        "name": clean_text(data.get("name"), "name", max_len=50),
        "phone": normalize_phone(data.get("phone")),
        "postcode": parse_postcode(data.get("postcode")),
        "address": clean_text(data.get("address"), "address", max_len=200),
        "address2": clean_text(data.get("address2"), "address2", max_len=100, optional=True) or "",
        "memo": clean_text(data.get("memo"), "memo", max_len=100, optional=True) or "",
    }


def default_checkout() -> dict:
    """A show that set nothing: pay on delivery (bank transfer needs the seller's account)."""
    return {
        "mode": "builtin",
        "payment": ["on_delivery"],
        "bank": None,
        "shipping_fee": 3000,
        "free_shipping_over": 30000,
    }


def _fee(data: dict, name: str, default: int | None) -> int | None:
    value = data.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEE:
        raise InvalidInput(f"checkout.{name} must be a whole number from 0 to {MAX_FEE}")
    return value


def parse_checkout(data: Any) -> dict:
    """A show's checkout setting: builtin (bank transfer / on delivery) or a shop's URL."""
    if data is None:
        return default_checkout()
    if not isinstance(data, dict):
        raise InvalidInput("checkout must be an object")
    mode = data.get("mode", "builtin")
    if mode == "shop":
        url = data.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise InvalidInput("checkout.url must be the shop's http(s) URL template")
        if "{order_id}" not in url or "{sig}" not in url or len(url) > 2000:
            raise InvalidInput("checkout.url must contain {order_id} and {sig}")
        return {"mode": "shop", "url": url}
    if mode != "builtin":
        raise InvalidInput("checkout.mode must be builtin or shop")
    payment = data.get("payment", list(BUYER_PAYMENTS))
    if (
        not isinstance(payment, list)
        or not payment
        or any(p not in BUYER_PAYMENTS for p in payment)
        or len(set(payment)) != len(payment)
    ):
        raise InvalidInput("checkout.payment must list bank_transfer and/or on_delivery")
    bank = data.get("bank")
    if bank is not None:
        if not isinstance(bank, dict):
            raise InvalidInput("checkout.bank must be {name, account, holder}")
        bank = {
            k: clean_text(bank.get(k), f"checkout.bank.{k}", max_len=60)
            for k in ("name", "account", "holder")
        }
    if "bank_transfer" in payment and bank is None:
        raise InvalidInput("checkout.bank (name, account, holder) is needed for bank_transfer")
    return {
        "mode": "builtin",
        "payment": payment,
        "bank": bank,
        "shipping_fee": _fee(data, "shipping_fee", 3000),
        "free_shipping_over": _fee(data, "free_shipping_over", 30000),
    }


def parse_status_change(data: Any) -> dict:
    """``{status, buyer?, payment?, carrier?, tracking?, ref?}`` of POST …/status."""
    if not isinstance(data, dict):
        raise InvalidInput("a JSON object {status, ...} is required")
    unknown = sorted(set(data) - {"status", "buyer", "payment", "carrier", "tracking", "ref"})
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    status = data.get("status")
    if status not in ("placed", "paid", "shipped", "cancelled"):
        raise InvalidInput("status must be placed, paid, shipped or cancelled", field="status")
    change: dict[str, Any] = {"status": status}
    if data.get("buyer") is not None:
        change["buyer"] = parse_buyer(data["buyer"])
    if data.get("payment") is not None:
        if data["payment"] not in PAYMENTS:
            raise InvalidInput(
                "payment must be bank_transfer, on_delivery or shop", field="payment"
            )
        change["payment"] = data["payment"]
    if data.get("carrier") is not None:
        change["carrier"] = clean_text(data["carrier"], "carrier", max_len=40)
    if data.get("tracking") is not None:
        tracking = clean_text(data["tracking"], "tracking", max_len=40).replace(" ", "")
        if not TRACKING_RE.match(tracking):
            raise InvalidInput("tracking must be the carrier's tracking number", field="tracking")
        change["tracking"] = tracking
    if data.get("ref") is not None:
        change["ref"] = clean_text(data["ref"], "ref", max_len=100)
    if status == "shipped" and ("carrier" not in change or "tracking" not in change):
        raise InvalidInput("shipped needs carrier and tracking", field="tracking")
    return change


# shop checkout: the URL template and its signature
def shop_signature(shop_key_hash: str, order: dict) -> str:
    """hex HMAC-SHA256 over "order_id|sku|qty|price", keyed with sha256(shop key) in hex."""
    message = f"{order['order_id']}|{order['sku']}|{order['qty']}|{order['price']}"
    return hmac.new(shop_key_hash.encode(), message.encode(), hashlib.sha256).hexdigest()


def shop_url(template: str, order: dict, shop_key_hash: str) -> str:
    fields = {
        "order_id": order["order_id"],
        "sku": order["sku"],
        "qty": order["qty"],
        "price": order["price"],
        "show": order["show"],
        "sig": shop_signature(shop_key_hash, order),
    }
    url = template
    for name, value in fields.items():
        url = url.replace("{" + name + "}", quote(str(value), safe=""))
    return url


# the store
def _decode(raw: str) -> dict:
    order = json.loads(raw)
    order.pop("user", None)
    order.setdefault("buyer", None)
    return order


class Orders:
    """Order records and transitions in one Redis; one per Redis client."""

    def __init__(self, r, *, payment_hours: int = 24, webhooks: bool = True):
        self._r = r
        self.payment_ms = payment_hours * 3_600_000
        # False: no global webhook URL, so only shows with their own get outbox events
        self._hooked = "1" if webhooks else "0"
        self._move = r.register_script(MOVE_SCRIPT)
        self._sweep = r.register_script(SWEEP_SCRIPT)

    async def owner(self, order_id: str) -> tuple[str, str]:
        """(show, user) of an order; UnknownOrder if there is none."""
        if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
            raise UnknownOrder("no such order")
        show, user = await self._r.hmget(keys.order(order_id), "show", "user")
        if show is None:
            raise UnknownOrder("no such order")
        return show, user

    async def get(self, order_id: str) -> dict:
        raw = await self._r.hget(keys.order(order_id), "doc")
        if raw is None:
            raise UnknownOrder("no such order")
        return _decode(raw)

    async def move(
        self, order_id: str, to: str, *, by: str, change: dict | None = None, user: str = ""
    ) -> tuple[dict, bool]:
        """Move an order to ``to``; returns (order, changed). ``user``: the buyer acting."""
        change = {k: v for k, v in (change or {}).items() if k != "status"}
        answer = json.loads(
            await self._move(
                keys=[keys.order(order_id), keys.ORDER_DEADLINES, keys.OUTBOX],
                args=[order_id, to, by, json.dumps(change), user, self.payment_ms, self._hooked],
            )
        )
        if answer["ok"]:
            order = answer["order"]
            order.pop("user", None)
            return order, bool(answer["changed"])
        error, current = answer["error"], answer.get("status")
        if error == "unknown_order":
            raise UnknownOrder("no such order")
        if error == "needs_buyer":
            raise InvalidInput(f"a {to} order needs buyer and payment", field="buyer")
        if error == "needs_tracking":
            raise InvalidInput("shipped needs carrier and tracking", field="tracking")
        if current == "expired" and to in ("placed", "paid"):
            raise BadTransition("the hold on this order ran out", code="expired", current=current)
        raise BadTransition(f"a {current} order cannot become {to}", current=current)

    async def sweep(self, limit: int = SWEEP_BATCH) -> list[tuple[str, dict]]:
        """Expire due orders (their units go back); returns (buyer, order) of each order
        this call expired -- no other call, in this process or another, returns it."""
        raw = await self._sweep(
            keys=[keys.ORDER_DEADLINES, keys.OUTBOX], args=[limit, self._hooked]
        )
        expired = json.loads(raw) if raw and raw != "{}" else []
        return [(order.pop("user", ""), order) for order in expired]

    async def for_show(
        self,
        show_id: str,
        *,
        statuses: tuple[str, ...] = (),
        after: int = 0,
        limit: int = 100,
    ) -> tuple[list[dict], int | None]:
        """A page of a show's orders, oldest first; returns (orders, next cursor or None)."""
        out: list[dict] = []
        cursor = after
        while len(out) < limit:
            chunk = await self._r.zrangebyscore(
                keys.show_orders(show_id), f"({cursor}", "+inf", start=0, num=500, withscores=True
            )
            if not chunk:
                return out, None
            docs = await self._r.eval(
                "local out = {} for i, k in ipairs(KEYS) do "
                "out[i] = redis.call('HGET', k, 'doc') or '' end return out",
                len(chunk),
                *(keys.order(order_id) for order_id, _ in chunk),
            )
            for (_, score), raw in zip(chunk, docs, strict=True):
                cursor = int(score)
                if not raw:
                    continue
                order = _decode(raw)
                order["seq"] = cursor  # its place in the show's list: `after` for what is newer
                if not statuses or order["status"] in statuses:
                    out.append(order)
                    if len(out) == limit:
                        break
        more = await self._r.zcount(keys.show_orders(show_id), f"({cursor}", "+inf")
        return out, (cursor if more else None)

    async def all_for_show(self, show_id: str, *, statuses: tuple[str, ...] = ()) -> list[dict]:
        orders, cursor = await self.for_show(show_id, statuses=statuses, limit=500)
        while cursor is not None:
            page, cursor = await self.for_show(show_id, statuses=statuses, after=cursor, limit=500)
            orders.extend(page)
        return orders

    async def for_buyer(self, show_id: str, user: str, *, limit: int = 50) -> list[dict]:
        """One viewer's orders in a show, newest first."""
        ids = await self._r.zrevrange(keys.buyer_orders(show_id, user), 0, limit - 1)
        if not ids:
            return []
        async with self._r.pipeline(transaction=False) as p:
            for order_id in ids:
                p.hget(keys.order(order_id), "doc")
            docs = await p.execute()
        return [_decode(raw) for raw in docs if raw]

    async def purge(self, older_than_ms: int) -> int:
        """Remove buyers' personal details from finished orders created before the cutoff,
        and outbox events older than it; returns how many orders were purged."""
        purged = 0
        async for key in self._r.scan_iter(match="livecast:order:*", count=500):
            raw = await self._r.hget(key, "doc")
            if not raw:
                continue
            order = json.loads(raw)
            old = order.get("created_at", 0) < older_than_ms
            if not old or order.get("status") in OPEN_STATUSES or order.get("buyer") is None:
                continue
            order["buyer"] = None
            order["purged"] = True
            await self._r.hset(key, "doc", json.dumps(order, ensure_ascii=False))
            purged += 1
        await self._r.xtrim(keys.OUTBOX, minid=str(older_than_ms), approximate=False)
        return purged


# the CSV for a fulfilment partner: opens in Excel (BOM, Korean headers)
STATUS_KO = {
    "reserved": "주문 대기",
    "placed": "주문 완료",
    "paid": "결제 완료",
    "shipped": "배송중",
    "cancelled": "취소",
    "expired": "기간 만료",
}
PAYMENT_KO = {"bank_transfer": "무통장입금", "on_delivery": "착불/만나서 결제", "shop": "쇼핑몰"}
CSV_COLUMNS = (
    ("주문번호", "order_id"),
    ("주문일시", "created_at"),
    ("상태", "status"),
    ("상품코드", "sku"),
    ("상품명", "product"),
    ("수량", "qty"),
    ("단가", "price"),
    ("상품금액", "total"),
    ("배송비", "shipping_fee"),
    ("결제금액", "amount_due"),
    ("결제수단", "payment"),
    ("받는 분", "name"),
    ("연락처", "phone"),
    ("우편번호", "postcode"),
    ("주소", "address"),
    ("상세주소", "address2"),
    ("배송메모", "memo"),
    ("택배사", "carrier"),
    ("송장번호", "tracking"),
)
_NUMERIC_LOOKING = re.compile(r"^[0-9][0-9.eE+-]*$")


def _excel_cell(value: Any, *, as_text: bool = False) -> str:
    """Text that Excel shows as typed: no formulas from data, no lost leading zeros."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    if as_text and _NUMERIC_LOOKING.match(text):
        text = f'="{text}"'
    return text


def orders_csv(orders: list[dict], *, timezone: str = "Asia/Seoul") -> bytes:
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"{ko} ({en})" for ko, en in CSV_COLUMNS])
    for o in orders:
        buyer = o.get("buyer") or {}
        created = datetime.fromtimestamp(o["created_at"] / 1000, zone)
        row = {
            "order_id": _excel_cell(o["order_id"], as_text=True),
            "created_at": created.strftime("%Y-%m-%d %H:%M:%S"),
            "status": STATUS_KO.get(o["status"], o["status"]),
            "sku": _excel_cell(o["sku"], as_text=True),
            "product": _excel_cell(o.get("name")),
            "qty": o["qty"],
            "price": o["price"],
            "total": o["total"],
            "shipping_fee": o.get("shipping_fee", 0),
            "amount_due": o.get("amount_due", o["total"]),
            "payment": PAYMENT_KO.get(o.get("payment") or "", ""),
            "name": _excel_cell(buyer.get("name")),
            "phone": _excel_cell(buyer.get("phone"), as_text=True),
            "postcode": _excel_cell(buyer.get("postcode"), as_text=True),
            "address": _excel_cell(buyer.get("address")),
            "address2": _excel_cell(buyer.get("address2")),
            "memo": _excel_cell(buyer.get("memo")),
            "carrier": _excel_cell(o.get("carrier")),
            "tracking": _excel_cell(o.get("tracking"), as_text=True),
        }
        writer.writerow([row[en] for _, en in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
