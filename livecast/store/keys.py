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


# realtime plane: chat moderation, audit, rate limits, coalescing
def moderation(show_id: str) -> str:
    """hash: pinned (text), slow (seconds; 0 = off)"""
    return f"livecast:show:{show_id}:moderation"


def blocked_words(show_id: str) -> str:
    """set: blocked words, NFKC + casefolded"""
    return f"livecast:show:{show_id}:words"


def ban(show_id: str, user: str) -> str:
    """string: JSON {reason, by, until (ms or null)}; expires with a timed ban"""
    return f"livecast:show:{show_id}:ban:{user}"


def mute(show_id: str, user: str) -> str:
    """string: muted until (ms since epoch); expires at that moment (timeouts)"""
    return f"livecast:show:{show_id}:mute:{user}"


def user_sockets(show_id: str, user: str) -> str:
    """set: Socket.IO sids of one viewer in any process (to disconnect them all on a ban)"""
    return f"livecast:show:{show_id}:sockets:{user}"


def chat_rate(show_id: str, user: str) -> str:
    """string: messages sent in the current rate-limit window; expires with the window"""
    return f"livecast:show:{show_id}:rate:{user}"


def chat_slow(show_id: str, user: str) -> str:
    """string: present while a viewer waits out slow mode"""
    return f"livecast:show:{show_id}:slow:{user}"


def mod_log(show_id: str) -> str:
    """stream (capped): {actor, actor_id, action, target, detail (JSON), ts}"""
    return f"livecast:show:{show_id}:modlog"


def reactions(show_id: str) -> str:
    """hash: kind -> reactions counted since the last broadcast (all processes)"""
    return f"livecast:show:{show_id}:reactions"


def throttle(show_id: str, what: str) -> str:
    """string: held for one broadcast period so processes share the rate (sales, toast...)"""
    return f"livecast:show:{show_id}:throttle:{what}"
