"""A shop's side of `checkout.mode = "shop"`: trust livecast's cart link, report back."""

import hashlib
import hmac
import json
import urllib.request

LIVECAST = "https://live.example.kr"  # LIVECAST_PUBLIC_URL of the livecast server
SHOP_KEY = "the show's shop key (shown once when the show was created)"


def link_is_genuine(q: dict) -> bool:
    """q: the query of /live-cart?order=…&sku=…&qty=…&price=…&sig=… (livecast signed it)."""
    key = hashlib.sha256(SHOP_KEY.encode()).hexdigest().encode()
    message = f"{q['order']}|{q['sku']}|{q['qty']}|{q['price']}".encode()
    return hmac.compare_digest(hmac.new(key, message, "sha256").hexdigest(), q["sig"])


def report(order_id: str, status: str, **fields) -> dict:
    """status placed|paid|shipped|cancelled, with buyer/payment/carrier/tracking/ref."""
    request = urllib.request.Request(
        f"{LIVECAST}/api/orders/{order_id}/status",
        data=json.dumps({"status": status, **fields}).encode(),
        headers={"Authorization": f"Bearer {SHOP_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)
