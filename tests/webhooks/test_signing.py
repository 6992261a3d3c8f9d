"""The Livecast-Signature scheme, checked against an independent HMAC computation."""

import hashlib
import hmac

from livecast.webhooks import sign, verify
from livecast.webhooks.events import entry_id, event_id, iso

SECRET = "whsec-test-0123456789abcdef"
BODY = '{"id":"evt_1_0","type":"order.paid","data":{"buyer":"김민수"}}'.encode()


def test_sign_is_hmac_sha256_of_timestamp_dot_body():
    header = sign(SECRET, BODY, 1764500000)
    expected = hmac.new(SECRET.encode(), b"1764500000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1764500000,v1={expected}"


def test_verify_accepts_the_signed_body_and_nothing_else():
    now = 1764500000
    header = sign(SECRET, BODY, now)
    assert verify(SECRET, BODY, header, now=now + 10)
    assert not verify(SECRET, BODY + b" ", header, now=now)  # body changed
    assert not verify("another-secret-0123456789", BODY, header, now=now)
    assert not verify(SECRET, BODY, header, now=now + 301)  # too old: a replay
    assert not verify(SECRET, BODY, header, now=now - 301)
    assert not verify(SECRET, BODY, None, now=now)
    assert not verify(SECRET, BODY, "v1=" + header.split("v1=")[1], now=now)  # no t
    assert not verify(SECRET, BODY, f"t={now}", now=now)  # no v1
    assert not verify(SECRET, BODY, f"t={now},v1=00", now=now)
    # several v1 values (a secret being rotated): one match is enough
    old = sign("old-secret-0123456789abcdef", BODY, now).split(",")[1]
    assert verify(SECRET, BODY, f"{header},{old}", now=now)


def test_event_ids_map_to_outbox_entries_and_back():
    assert event_id("1764500000000-7") == "evt_1764500000000_7"
    assert entry_id("evt_1764500000000_7") == "1764500000000-7"
    for bad in ("evt_", "evt_12", "evt_a_1", "1764500000000-7", "evt_1_2_3"):
        assert entry_id(bad) is None
    assert iso(1764500000123) == "2025-11-30T10:53:20.123+00:00"
