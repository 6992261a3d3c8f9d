"""A product's detail page (상세페이지): list price (정가), photos, the detail text and
photos, and the 상품정보제공고시 table (``notice``: ordered label/value pairs).

Plain rules that raise :class:`InvalidInput`; ``catalog.parse_product`` calls them.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidInput
from .orders import clean_text
from .text import check_text

EXTRA_FIELDS = ("list_price", "images", "detail", "notice")
MAX_PRICE = 10**9
MAX_IMAGES = 10
MAX_DETAIL_IMAGES = 30
MAX_DETAIL_TEXT = 20_000
MAX_NOTICE_ROWS = 40
NOTICE_LABEL_MAX = 60
NOTICE_VALUE_MAX = 1000
URL_MAX = 2048


def parse_url(value: Any, name: str) -> str:
    """An image address: http(s) or a path on this server (``/media/…``, ``/static/…``)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must be an image address (http(s) URL or /path)")
    value = value.strip()
    if len(value) > URL_MAX:
        raise InvalidInput(f"{name} is longer than {URL_MAX} characters")
    ok = value.startswith(("https://", "http://")) or (
        value.startswith("/") and not value.startswith("//")
    )
    if not ok or any(c.isspace() or ord(c) < 32 for c in value):
        raise InvalidInput(f"{name} must be an http(s) URL or a path starting with /")
    return value


def parse_urls(value: Any, name: str, *, limit: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{name} must be a list of image addresses")
    if len(value) > limit:
        raise InvalidInput(f"{name} holds at most {limit} photos, not {len(value)}")
    return [parse_url(item, f"{name}[{i}]") for i, item in enumerate(value)]


def parse_list_price(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"list_price must be a whole number, not {value!r}")
    if not 0 <= value <= MAX_PRICE:
        raise InvalidInput(f"list_price must be between 0 and {MAX_PRICE}")
    return value


def parse_detail(value: Any) -> dict | None:
    """``{text, images}``: the detail page's text (paragraphs, line breaks kept) and photos."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"text", "images"}:
        raise InvalidInput("detail must be {text, images}")
    text = value.get("text") or ""
    if not isinstance(text, str):
        raise InvalidInput("detail.text must be text")
    text = text.strip()
    if len(text) > MAX_DETAIL_TEXT:
        raise InvalidInput(f"detail.text is longer than {MAX_DETAIL_TEXT} characters")
    if text:
        check_text(text, "detail.text")
    images = parse_urls(value.get("images"), "detail.images", limit=MAX_DETAIL_IMAGES)
    if not text and not images:
        return None
    return {"text": text, "images": images}


def parse_notice(value: Any) -> dict | None:
    """상품정보제공고시 in order: ``{"원산지": "국내산", ...}`` or ``[["원산지", "국내산"]]``."""
    if value is None:
        return None
    if isinstance(value, dict):
        rows = list(value.items())
    elif isinstance(value, list):
        rows = value
    else:
        raise InvalidInput("notice must be an object of label: value pairs")
    if len(rows) > MAX_NOTICE_ROWS:
        raise InvalidInput(f"notice holds at most {MAX_NOTICE_ROWS} rows")
    out: dict[str, str] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) != 2:
            raise InvalidInput(f"notice[{i}] must be a [label, value] pair")
        label = clean_text(row[0], f"notice[{i}] label", max_len=NOTICE_LABEL_MAX)
        content = row[1]
        if not isinstance(content, str) or not content.strip():
            raise InvalidInput(f"notice {label!r} is empty (write 상세페이지 참조 if so)")
        content = content.strip()
        if len(content) > NOTICE_VALUE_MAX:
            raise InvalidInput(f"notice {label!r} is longer than {NOTICE_VALUE_MAX} characters")
        check_text(content, f"notice {label!r}")
        if label in out:
            raise InvalidInput(f"notice: the label {label!r} appears twice")
        out[label] = content
    return out or None


def parse_extras(data: dict) -> dict:
    """The detail-page fields present in ``data``, checked."""
    out: dict[str, Any] = {}
    if "list_price" in data:
        out["list_price"] = parse_list_price(data["list_price"])
    if "images" in data:
        out["images"] = parse_urls(data["images"], "images", limit=MAX_IMAGES)
    if "detail" in data:
        out["detail"] = parse_detail(data["detail"])
    if "notice" in data:
        out["notice"] = parse_notice(data["notice"])
    return out


def merge_images(image: str | None, images: list[str] | None, old: list[str]) -> list[str]:
    """The product's photos after a change: ``images`` replaces them all; ``image`` alone
    becomes the first photo (the others stay); both: ``image`` first, then ``images``."""
    photos = list(old) if images is None else list(images)
    if image is not None:
        photos = [image, *(p for p in photos if p != image)]
    if len(photos) > MAX_IMAGES:
        raise InvalidInput(f"a product holds at most {MAX_IMAGES} photos")
    return photos


def view(item: dict) -> dict:
    """The detail-page fields of a stored product record, for the public view."""
    images = item.get("images")
    if images is None:  # a product stored before photos were a list
        images = [item["image"]] if item.get("image") else []
    return {
        "list_price": item.get("list_price"),
        "images": images,
        "detail": item.get("detail"),
        "notice": item.get("notice"),
    }
