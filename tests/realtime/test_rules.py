"""Plain rules of the realtime plane, without a socket."""

import pytest

from livecast import tokens
from livecast.realtime import members
from livecast.realtime.commerce import mask_name
from livecast.realtime.members import Member, Refused, parse_auth

SECRET = "unit-secret-0123456789abcdef"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("김민수", "김*수"), ("남궁민수", "남**수"), ("민수", "민*"), ("김", "*"), ("john", "j***"),
     ("j", "j***"), ("  ", "***")],
)  # fmt: skip
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_tokens_are_signed_per_viewer():
    user = tokens.new_viewer_id()
    token = tokens.issue_token(SECRET, user)
    assert tokens.verify_token(SECRET, token) == user
    assert tokens.verify_token("another-secret-0123456789", token) is None
    other = tokens.new_viewer_id()
    assert tokens.verify_token(SECRET, other + "." + token.split(".")[1]) is None
    for bad in [None, "", "x", "a.b.c", "host." + token.split(".")[1]]:
        assert tokens.verify_token(SECRET, bad) is None


def test_parse_auth():
    auth = parse_auth({"show": "abc123", "name": "  민수  ", "token": "t"})
    assert (auth.show, auth.name, auth.key, auth.token) == ("abc123", "민수", None, "t")
    assert parse_auth({"show": "abc123", "name": "   "}).name is None
    for bad in [None, [], {"show": 1}, {"show": "abc123", "name": "x" * 41},
                {"show": "abc123", "key": 5}, {"show": "abc123", "name": "a\u0085b"}]:  # fmt: skip
        with pytest.raises(Refused) as info:
            parse_auth(bad)
        assert info.value.code == "invalid"
    with pytest.raises(Refused) as info:
        parse_auth({"show": "No Such Show"})
    assert info.value.code == "unknown_show"


def test_event_bucket_allows_bursts_then_refuses():
    member = Member(sid="s", show="x", id="v", name="n", role="viewer")
    allowed = sum(member.take_event() for _ in range(int(members.EVENT_BURST) + 50))
    assert int(members.EVENT_BURST) <= allowed < int(members.EVENT_BURST) + 5
