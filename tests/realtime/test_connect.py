"""Connecting: roles, refusals, the first state, tokens."""

from livecast import tokens
from tests.realtime.conftest import refusal


async def test_viewer_gets_state_with_token(connect, live_show):
    show = live_show["show"]["id"]
    peer = await connect({"show": show, "name": "민수"})
    state = peer.state
    assert state["you"]["role"] == "viewer" and state["you"]["name"] == "민수"
    assert (
        tokens.verify_token("test-secret-0123456789abcdef", state["you"]["token"])
        == (state["you"]["id"])
    )
    assert state["show"]["id"] == show and state["show"]["status"] == "live"
    assert [p["sku"] for p in state["products"]] == ["kimchi-1kg", "waffle-10p", "tote"]
    assert state["sales"]["kimchi-1kg"] == {"sold": 0, "remaining": 100}
    assert state["sales"]["tote"] == {"sold": 0, "remaining": None}
    assert state["chat"] == [] and state["pinned"] is None and state["slow"] == 0
    assert state["featured"] is None and state["deal"] is None
    assert "mod" not in state


async def test_token_keeps_the_same_viewer_id(connect, live_show):
    show = live_show["show"]["id"]
    first = await connect({"show": show, "name": "a"})
    again = await connect({"show": show, "name": "a", "token": first.you["token"]})
    assert again.you["id"] == first.you["id"]
    forged = first.you["token"][:-2] + "xx"
    other = await connect({"show": show, "name": "a", "token": forged})
    assert other.you["id"] != first.you["id"]


async def test_keys_decide_host_and_moderator(connect, show):
    show_id = show["show"]["id"]
    host = await connect({"show": show_id, "name": "사장님", "key": show["host_key"]})
    mod = await connect({"show": show_id, "key": show["moderator_key"]})
    assert host.you["role"] == "host" and host.you["token"] is None
    assert mod.you["role"] == "moderator" and mod.you["name"] == "moderator"
    assert mod.state["mod"] == {"log": [], "words": []}


async def test_refusals_carry_the_code(url, show):
    show_id = show["show"]["id"]
    assert (await refusal(url, {"show": "nope-show", "name": "x"}))["message"] == "unknown_show"
    assert (await refusal(url, {"show": show_id, "key": "wrong"}))["message"] == "bad_key"
    assert (await refusal(url, {"show": show_id, "name": 5}))["message"] == "invalid"
    assert (await refusal(url, None))["message"] == "invalid"
    assert (await refusal(url, {"show": show_id, "name": "a\x00b"}))["message"] == "invalid"
