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


def chat_cursor(show_id: str) -> str:
    """string: the id of the last chat message sent out in a ``chat:batch`` (all processes)"""
    return f"livecast:show:{show_id}:chat:cursor"


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


# orders (contract "Orders"): one record per order_id, a list per show and per buyer,
# the deadlines every process sweeps, and the outbox the webhook sender reads
def order(order_id: str) -> str:
    """hash: order (the order's JSON document), ack (JSON of the buy's first answer)"""
    return f"livecast:order:{order_id}"


def show_orders(show_id: str) -> str:
    """zset: order_id -> sequence number within the show (listing order, cursors)"""
    return f"livecast:show:{show_id}:order_list"


def order_seq(show_id: str) -> str:
    """string: the last order sequence number of the show"""
    return f"livecast:show:{show_id}:order_seq"


def buyer_orders(show_id: str, user: str) -> str:
    """zset: order_id -> created_at (ms) of one viewer's orders in a show"""
    return f"livecast:show:{show_id}:buyer:{user}:orders"


def paid(show_id: str) -> str:
    """hash: sku -> units in orders that are paid or shipped"""
    return f"livecast:show:{show_id}:paid"


# zset: order_id -> deadline (ms since epoch, Redis TIME) of reserved and unpaid orders
ORDER_DEADLINES = "livecast:order_deadlines"

# stream: the outbox of webhook events, written in the same script as what they announce.
# fields: type (order.reserved ... show.ended), show, key (ordering key: the order id, or
# "show:<id>"), data (JSON: the order or the show), created_at (ms). Event id: "evt_" + the
# entry id with "-" replaced by "_".
OUTBOX = "livecast:outbox"
# consumer group of the webhook sender on OUTBOX
OUTBOX_GROUP = "webhooks"


def webhook_delivery(event_id: str) -> str:
    """hash: one event's delivery record (status pending|delivered|failed, attempts, ...)"""
    return f"livecast:webhook:{event_id}"


# zset: event id -> failed-at (ms): deliveries given up after 24 h (GET ...?status=failed)
WEBHOOK_FAILED = "livecast:webhooks:failed"
# zset: event id -> delivered-at (ms); the newest KEPT deliveries (GET ...?status=delivered)
WEBHOOK_DELIVERED = "livecast:webhooks:delivered"
# zset: event id -> skipped-at (ms); events with no webhook URL to send them to
WEBHOOK_SKIPPED = "livecast:webhooks:skipped"
# string: the consumer name of the process that delivers webhooks; expires (PX) unless renewed
WEBHOOK_LEADER = "livecast:webhooks:leader"


# sellers (contract "Sellers"): one hash each, their key hashes, and their shows
# zset: seller id -> created-at (ms)
SELLERS = "livecast:sellers"
# hash: sha256 hex of a seller key -> seller id
SELLER_KEYS = "livecast:seller_keys"


def seller(seller_id: str) -> str:
    """hash: id, name, business (JSON), key_hash, created_at"""
    return f"livecast:seller:{seller_id}"


def seller_shows(seller_id: str) -> str:
    """zset: show id -> created-at (ms) of the seller's shows"""
    return f"livecast:seller:{seller_id}:shows"


# sale events (기획전)
# zset: event id -> starts-at (ms)
EVENTS = "livecast:events"


def event(event_id: str) -> str:
    """hash: id, title, subtitle, starts_at, ends_at (ISO, UTC), banner, created_at"""
    return f"livecast:event:{event_id}"


def event_shows(event_id: str) -> str:
    """zset: show id -> joined-at (ms) of the shows in the event"""
    return f"livecast:event:{event_id}:shows"


# uploads
def upload_count(who: str, day: str) -> str:
    """string: uploads made by one key (``who``) on one UTC day (YYYYMMDD); expires in 2 days"""
    return f"livecast:uploads:{who}:{day}"


# the show report: per-minute figures written where things happen
def report_minute(show_id: str, minute: int) -> str:
    """hash: viewers (peak concurrent), last (concurrent at the last change), joins, hearts,
    chat, units, orders, revenue, placed, paid, paid_revenue of one minute (epoch minutes)"""
    return f"livecast:show:{show_id}:minute:{minute}"


def report_minutes(show_id: str) -> str:
    """zset: epoch minute -> epoch minute, the minutes that have a report_minute hash"""
    return f"livecast:show:{show_id}:minutes"


def report_totals(show_id: str) -> str:
    """hash: peak (concurrent viewers), joins, sessions (closed), watch_ms"""
    return f"livecast:show:{show_id}:report"


def report_viewers(show_id: str) -> str:
    """HyperLogLog: viewer ids that joined (unique viewers)"""
    return f"livecast:show:{show_id}:report:viewers"


def report_buyers(show_id: str) -> str:
    """set: viewer ids with at least one successful buy"""
    return f"livecast:show:{show_id}:report:buyers"


def process(process_id: str) -> str:
    """string: present while that server process is alive (a lease it renews); its value
    is the process's card (JSON, livecast/node.py): how other processes reach it"""
    return f"livecast:process:{process_id}"


def host(show_id: str) -> str:
    """hash: the show's broadcast {owner (process id), session, state connected|lost, at}"""
    return f"livecast:show:{show_id}:host"


def edge(show_id: str, node: str) -> str:
    """string: the process of ``node`` holding the show's edge feed (a lease it renews);
    the node's other processes take the frames from it (media/feeds.py)"""
    return f"livecast:show:{show_id}:edge:{node}"


def rehearsal(show_id: str) -> str:
    """string: the process holding the show's private rehearsal (a lease it renews)"""
    return f"livecast:show:{show_id}:rehearsal"


# zset: show id -> ms (Redis TIME) when the show ends unless its host is (back) on air;
# the process that holds the host pushes it forward (store/host_lease.py)
HOST_DEADLINES = "livecast:host_deadlines"
