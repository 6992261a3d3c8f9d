"""Malformed payloads for every event: the server answers (or drops) and stays up."""

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livecast.realtime import EVENTS

CODES = {
    "invalid",
    "forbidden",
    "unknown_product",
    "not_live",
    "sold_out",
    "insufficient_stock",
    "limit_exceeded",
    "rate_limited",
    "slow_mode",
    "blocked_word",
    "muted",
    "banned",
}
FIELDS = ["sku", "qty", "order_id", "text", "id", "user", "seconds", "reason", "price", "kind"]
FIELDS += ["add", "remove"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
payloads = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4)
event_names = st.sampled_from(sorted(EVENTS)) | st.text(min_size=1, max_size=20).filter(
    lambda name: name not in ("connect", "disconnect", "connect_error", "message")
)


@pytest.fixture
async def peers(connect, live_show):
    show = live_show["show"]["id"]
    host = await connect({"show": show, "name": "host", "key": live_show["host_key"]})
    viewer = await connect({"show": show, "name": "viewer"})
    return host, viewer


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(event=event_names, payload=payloads, as_host=st.booleans(), ask_ack=st.booleans())
async def test_fuzz_every_event(peers, event, payload, as_host, ask_ack):
    host, viewer = peers
    peer = host if as_host else viewer
    if ask_ack:
        ack = await peer.call(event, payload)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
        if not ack["ok"]:
            assert ack["error"] in CODES, ack
    else:
        await peer.sio.emit(event, payload)
    for p in (host, viewer):
        assert (await p.call("react", {"kind": "heart"})) == {"ok": True}


async def test_extra_arguments_and_huge_payloads(peers):
    host, viewer = peers
    ack = await viewer.call("chat:send", ({"text": "a"}, {"text": "b"}))
    assert ack["error"] == "invalid"
    ack = await viewer.call("chat:send", {"text": "x" * 40_000})
    assert ack["error"] == "invalid"
    ack = await host.call("mod:words", {"add": ["w"] * 5000})
    assert ack["error"] == "invalid"
    assert (await viewer.call("chat:send", {"text": "fine"}))["ok"]


@pytest.mark.parametrize("name", ["connect", "disconnect", "state", "message"])
async def test_reserved_names_sent_as_events(peers, name):
    host, viewer = peers
    ack = await viewer.call(name, {"show": "x"})
    assert ack["ok"] is False and ack["error"] == "invalid"
    assert viewer.sio.connected
    assert (await viewer.call("react", {"kind": "heart"})) == {"ok": True}


async def test_an_event_flood_is_rate_limited_per_socket(peers, connect, live_show):
    host, viewer = peers
    acks = await asyncio.gather(*(viewer.call("buy", {"sku": "x"}) for _ in range(300)))
    errors = [ack["error"] for ack in acks]
    assert "rate_limited" in errors and errors.count("invalid") >= 150
    # others are not affected
    other = await connect({"show": live_show["show"]["id"], "name": "calm"})
    assert (await other.call("chat:send", {"text": "still fine"}))["ok"]
    assert (await viewer.call("react", {"kind": "heart"}))["ok"]
