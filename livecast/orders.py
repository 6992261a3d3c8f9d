"""HTTP routes for orders (docs/orders.md): the buyer's checkout, the seller's order desk
and the shop's status reports. Handlers check who is asking, call the store, and tell the
realtime plane (through the hub) that an order changed."""

from __future__ import annotations

from aiohttp import web

from . import hub
from .api import bearer, is_admin, json_body
from .appkeys import HUB, METRICS, ORDERS, REDIS, SETTINGS
from .errors import ApiError
from .store import catalog, report
from .store import orders as order_rules
from .store.errors import InvalidInput, UnknownOrder
from .store.orders import Orders
from .tokens import verify_token

routes = web.RouteTableDef()
MAX_PAGE = 500


async def order_access(request: web.Request, order_id: str) -> tuple[str, str, str]:
    """Who may see this order: (role, show, user) with role admin|host|shop|buyer."""
    token = bearer(request)
    if token is None:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <key or viewer token>")
    show, user = await request.app[ORDERS].owner(order_id)
    if is_admin(request):
        return "admin", show, user
    role = await catalog.staff_role(request.app[REDIS], show, token)
    if role is not None:
        return role, show, user
    if verify_token(request.app[SETTINGS].secret, token) == user:
        return "buyer", show, user
    raise UnknownOrder("no such order")  # as if absent: a stranger learns nothing


async def show_staff(request: web.Request, show_id: str) -> str:
    """Admin, the show's host key or its shop key; returns the role."""
    token = bearer(request)
    if token is None:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <host or shop key>")
    if is_admin(request):
        return "admin"
    await catalog.get_show_record(request.app[REDIS], show_id)
    role = await catalog.staff_role(request.app[REDIS], show_id, token)
    if role is None:
        raise ApiError(401, "bad_key", "that key is not this show's host or shop key")
    return role


async def with_checkout(request: web.Request, order: dict) -> dict:
    """The order plus what the checkout page needs from its show."""
    record = await catalog.get_show_record(request.app[REDIS], order["show"])
    checkout = catalog.checkout_of(record)
    if checkout["mode"] == "shop":
        url = order_rules.shop_url(checkout["url"], order, record.get("shop_key_hash", ""))
        checkout = {"mode": "shop", "url": url}
    else:
        checkout = {**checkout, "payment_hours": request.app[SETTINGS].payment_hours}
    return {**order, "show_title": record.get("title", ""), "checkout": checkout}


async def changed(request: web.Request, show: str, user: str, order: dict) -> None:
    request.app[METRICS].order_moves.labels(order["status"]).inc()
    request.app[HUB].publish(show, hub.ORDER, {"user": user, "order": order})
    await report.quietly(report.order_moved(request.app[REDIS], order), "an order's move")


@routes.get("/api/orders/{order_id}")
async def get_order(request: web.Request):
    order_id = request.match_info["order_id"]
    await order_access(request, order_id)
    order = await request.app[ORDERS].get(order_id)
    return web.json_response(await with_checkout(request, order))


@routes.post("/api/orders/{order_id}/checkout")
async def checkout(request: web.Request):
    """The buyer places a reserved order with delivery details and a payment method."""
    order_id = request.match_info["order_id"]
    role, show, user = await order_access(request, order_id)
    if role != "buyer":
        raise ApiError(403, "forbidden", "checkout is the buyer's: use POST …/status instead")
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("a JSON object {buyer, payment} is required")
    buyer = order_rules.parse_buyer(body.get("buyer"))
    payment = body.get("payment")
    setting = catalog.checkout_of(await catalog.get_show_record(request.app[REDIS], show))
    if setting["mode"] != "builtin":
        raise ApiError(409, "bad_transition", "this show checks out at the shop")
    if payment not in setting["payment"]:
        allowed = " or ".join(setting["payment"])
        raise InvalidInput(f"payment must be {allowed}", field="payment")
    order, moved = await request.app[ORDERS].move(
        order_id, "placed", by="buyer", change={"buyer": buyer, "payment": payment}, user=user
    )
    if moved:
        await changed(request, show, user, order)
    return web.json_response(await with_checkout(request, order))


@routes.post("/api/orders/{order_id}/status")
async def set_status(request: web.Request):
    """The shop, the host or an admin moves an order; the buyer may only cancel."""
    order_id = request.match_info["order_id"]
    role, show, user = await order_access(request, order_id)
    change = order_rules.parse_status_change(await json_body(request))
    if role == "buyer" and change["status"] != "cancelled":
        raise ApiError(403, "forbidden", "a buyer may only cancel (checkout places the order)")
    order, moved = await request.app[ORDERS].move(
        order_id,
        change["status"],
        by=role,
        change=change,
        user=user if role == "buyer" else "",
    )
    if moved:
        await changed(request, show, user, order)
    return web.json_response(order)


def parse_listing(query) -> tuple[tuple[str, ...], int, int]:
    statuses = tuple(s for s in query.get("status", "").split(",") if s)
    bad = [s for s in statuses if s not in order_rules.STATUSES]
    if bad:
        raise InvalidInput(f"status must be among {', '.join(order_rules.STATUSES)}")
    try:
        after = int(query.get("after", "0"))
        limit = int(query.get("limit", "100"))
    except ValueError:
        raise InvalidInput("after and limit must be whole numbers") from None
    if not 0 <= after < 2**53 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1-{MAX_PAGE} and after a cursor from `next`")
    return statuses, after, limit


@routes.get("/api/shows/{show}/orders")
async def list_orders(request: web.Request):
    show_id = request.match_info["show"]
    await show_staff(request, show_id)
    statuses, after, limit = parse_listing(request.query)
    orders: Orders = request.app[ORDERS]
    fmt = request.query.get("format", "json")
    if fmt == "csv":
        body = order_rules.orders_csv(await orders.all_for_show(show_id, statuses=statuses))
        return web.Response(
            body=body,
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{show_id}-orders.csv"'},
        )
    if fmt != "json":
        raise InvalidInput("format must be json or csv")
    page, cursor = await orders.for_show(show_id, statuses=statuses, after=after, limit=limit)
    return web.json_response({"orders": page, "next": cursor})


# PATCH /api/shows/{show} and POST /api/shows/{show}/keys/{role}: livecast/console/shows.py


async def orders_ctx(app: web.Application):
    settings = app[SETTINGS]
    app[ORDERS] = Orders(
        app[REDIS], payment_hours=settings.payment_hours, webhooks=settings.webhook_url is not None
    )
    yield


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(orders_ctx)
    app.add_routes(routes)
