"""Redis key names. contract.md fixes the sold/stock/orders/chat shapes for reporting tools."""

PREFIX = "livecast"

# zset: show id -> created-at (ms); the catalog of shows
SHOWS = "livecast:shows"


def show(show_id: str) -> str:
    """hash: id, title, seller, currency, starts_at, status, created_at, featured, host_key_hash"""
    return f"livecast:show:{show_id}"


def products(show_id: str) -> str:
    """hash: sku -> product JSON (name, price, max_per_order, image, description, stock)"""
    return f"livecast:show:{show_id}:products"


def skus(show_id: str) -> str:
    """zset: sku -> position (display order)"""
    return f"livecast:show:{show_id}:skus"


def moderator_keys(show_id: str) -> str:
    """set: sha256 hex of each moderator key"""
    return f"livecast:show:{show_id}:modkeys"


def sold(show_id: str) -> str:
    """hash: sku -> units sold (contract)"""
    return f"livecast:show:{show_id}:sold"


def stock(show_id: str) -> str:
    """hash: sku -> units remaining; a sku absent here has unlimited stock (contract)"""
    return f"livecast:show:{show_id}:stock"


def revenue(show_id: str) -> str:
    """hash: sku -> revenue in minor units"""
    return f"livecast:show:{show_id}:revenue"


def orders(show_id: str) -> str:
    """stream: {order_id, user, sku, qty, price, ts} (contract)"""
    return f"livecast:show:{show_id}:orders"


def order_ids(show_id: str) -> str:
    """hash: order_id -> JSON of the first answer (idempotency)"""
    return f"livecast:show:{show_id}:order_ids"


def deal(show_id: str) -> str:
    """hash: sku, price, ends_at (ms since epoch); expires by itself at ends_at"""
    return f"livecast:show:{show_id}:deal"


def chat(show_id: str) -> str:
    """stream (capped): chat messages (contract)"""
    return f"livecast:show:{show_id}:chat"


def viewers(show_id: str) -> str:
    """hash: process id -> viewers connected through it; the sum is the show's audience"""
    return f"livecast:show:{show_id}:viewers"
