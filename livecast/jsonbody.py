"""Reading a JSON request body that may be hostile: bounded, strict, never a 500.

Refused with :class:`BadJson` (the API answers ``400 invalid``): bytes that are not
UTF-8, malformed JSON, arrays/objects nested deeper than ``MAX_DEPTH``, integers outside
a signed 64-bit range (Python would parse a 5,000-digit one, slowly, or refuse it with a
``ValueError``), ``NaN``/``Infinity`` and floats too large to be finite, and strings or
keys holding a lone surrogate (``"\\ud800"``: Redis and every encoder downstream would
fail on it). Finite floats are accepted; the fields that want whole numbers check that.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_INT = 2**63 - 1
MAX_NUMBER_CHARS = 40
_SURROGATE = re.compile("[\ud800-\udfff]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


class BadJson(ValueError):
    """The body is not acceptable JSON; the message says why (and never echoes it)."""


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJson("a number in the body is too large")
    value = int(text)
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise BadJson("a number in the body is too large (the limit is 2**63 - 1)")
    return value


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise BadJson("a number in the body is too long")
    value = float(text)
    if not math.isfinite(value):
        raise BadJson("a number in the body is too large")
    return value


def _parse_constant(name: str):
    raise BadJson(f"{name} is not JSON")


def _check(value: Any) -> None:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise BadJson("a string in the body holds a lone surrogate (\\ud800-\\udfff)")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise BadJson(f"the body is nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


def _too_deep(text: str) -> bool:
    """Nesting beyond MAX_DEPTH, found before parsing: json.loads would recurse into it,
    and a RecursionError caught inside CPython 3.11 can break later compiles."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def loads(raw: bytes) -> Any:
    """Parse a request body, or raise :class:`BadJson`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("the body is not UTF-8 text") from None
    if _too_deep(text):
        raise BadJson(f"the body is nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise BadJson(f"the body is nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise BadJson(
            f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    _check(value)
    return value
