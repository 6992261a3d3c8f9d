"""Request bodies: bounded depth and numbers, strict UTF-8, no lone surrogates."""

from __future__ import annotations

import pytest

from livecast.jsonbody import MAX_DEPTH, BadJson, loads


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_ordinary_bodies_parse():
    assert loads('{"title": "김치 🎉", "price": 9900, "r": 1.5}'.encode()) == {
        "title": "김치 🎉",
        "price": 9900,
        "r": 1.5,
    }
    assert isinstance(loads(nested(MAX_DEPTH)), list)  # the deepest allowed
    assert loads(b'{"n": -9223372036854775808, "m": 9223372036854775807}')["m"] == 2**63 - 1
    assert loads(b'"\\ud83d\\ude00"') == "😀"  # a surrogate *pair* is fine


@pytest.mark.parametrize(
    "raw",
    [
        nested(MAX_DEPTH + 1),
        nested(100_000),
        b"9" * 5000,
        str(2**63).encode(),
        str(-(2**63) - 1).encode(),
        b"1e999",
        b"NaN",
        b"-Infinity",
        b'"\\ud800"',
        b'{"\\udc00": 1}',
        b'"\xed\xa0\x80"',
        b'"\xff"',
        b'{"a": }',
        b"",
    ],
)
def test_hostile_bodies_are_refused(raw):
    with pytest.raises(BadJson) as refused:
        loads(raw)
    assert len(str(refused.value)) < 200
