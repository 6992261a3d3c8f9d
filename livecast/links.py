"""The links of a show as people share them: every one starts with the public base URL
(``Settings.base_url``: LIVECAST_PUBLIC_URL, else the address ``serve`` listens on). Keys
go in the fragment (``#key=``), which browsers never send to a server."""

from __future__ import annotations

from urllib.parse import quote


def show_links(
    base_url: str,
    show_id: str,
    *,
    host_key: str | None = None,
    moderator_key: str | None = None,
) -> dict:
    """studio, moderate and orders carry the key when one is given (right after it is made)."""
    show = quote(show_id, safe="")

    def keyed(path: str, key: str | None) -> str:
        return f"{base_url}{path}" + (f"#key={key}" if key else "")

    return {
        "watch": f"{base_url}/watch/{show}",
        "replay": f"{base_url}/replay/{show}",
        "studio": keyed(f"/studio/{show}", host_key),
        "moderate": keyed(f"/moderate/{show}", moderator_key),
        "orders": keyed(f"/orders/{show}", host_key),
    }


def event_link(base_url: str, event_id: str) -> str:
    return f"{base_url}/events/{quote(event_id, safe='')}"


def is_own_link(base_url: str, text: str) -> bool:
    """True for an address on this server (what the QR route agrees to draw)."""
    return text == base_url or text.startswith(base_url + "/")
