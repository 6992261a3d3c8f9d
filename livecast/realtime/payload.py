"""Reading event payloads: every field checked for type and size; failures raise Invalid."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .errors import Invalid

# bidirectional embedding/override/isolate controls: they reorder what others see
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def obj(payload: Any, *, empty_ok: bool = False) -> dict:
    if payload is None and empty_ok:
        return {}
    if not isinstance(payload, dict):
        raise Invalid("payload must be an object")
    return payload


def plain_text(value: Any, name: str, *, max_len: int) -> str:
    """Text as typed, refused if its trimmed length is not 1..max_len or it holds controls."""
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string")
    if len(value) > max_len * 4:
        raise Invalid(f"{name} is longer than {max_len} characters")
    length = len(value.strip())
    if length == 0:
        raise Invalid(f"{name} must not be empty")
    if length > max_len:
        raise Invalid(f"{name} is longer than {max_len} characters")
    for c in value:
        if c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cs"):
            raise Invalid(f"{name} contains control characters")
    return value


def whole(value: Any, name: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{name} must be a whole number")
    if not minimum <= value <= maximum:
        raise Invalid(f"{name} must be from {minimum} to {maximum}")
    return value


def optional_whole(value: Any, name: str, *, minimum: int, maximum: int) -> int | None:
    return None if value is None else whole(value, name, minimum=minimum, maximum=maximum)


def matching(value: Any, name: str, pattern: re.Pattern) -> str:
    if not isinstance(value, str) or len(value) > 200 or not pattern.match(value):
        raise Invalid(f"{name} is not valid")
    return value


def text_list(value: Any, name: str, *, max_items: int, max_len: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items:
        raise Invalid(f"{name} must be a list of at most {max_items} strings")
    out = []
    for item in value:
        text = plain_text(item, name, max_len=max_len)
        out.append(text.strip())
    return out
