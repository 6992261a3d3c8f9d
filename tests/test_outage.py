"""Which errors count as Redis being unavailable, and how they are described in logs."""

from __future__ import annotations

import pytest
from redis import exceptions as rx

from livecast.config import mask_url
from livecast.outage import describe, is_redis_error


def raised(exc: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        try:
            if cause is not None:
                raise cause
        except BaseException:
            raise exc  # noqa: B904 - implicit context, as redis-py does
        raise exc
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    "exc",
    [
        rx.ConnectionError("Error 111 connecting to 10.0.0.5:6379. Connection refused."),
        rx.TimeoutError("Timeout reading from 10.0.0.5:6379"),
        rx.BusyLoadingError("Redis is loading the dataset in memory"),
        rx.ReadOnlyError("READONLY You can't write against a read only replica."),
        rx.ResponseError("MISCONF Redis is configured to save RDB snapshots"),
        rx.OutOfMemoryError("OOM command not allowed when used memory > 'maxmemory'."),
    ],
)
def test_redis_faults_are_unavailable(exc):
    assert is_redis_error(exc)


def test_bugs_and_other_os_errors_are_not_redis_faults():
    assert not is_redis_error(rx.ResponseError("ERR wrong number of arguments for 'get'"))
    assert not is_redis_error(rx.DataError("Invalid input of type: 'dict'"))
    assert not is_redis_error(raised(FileNotFoundError(2, "No such file", "/rec/a.webm")))
    assert not is_redis_error(ValueError("x"))


def test_descriptions_never_carry_the_address():
    refused = raised(
        rx.ConnectionError("Error 111 connecting to 10.0.0.5:6379. Connect call failed."),
        ConnectionRefusedError(111, "Connect call failed ('10.0.0.5', 6379)"),
    )
    assert describe(refused) == "ConnectionError (Connection refused)"
    unix = rx.ConnectionError("Error 2 connecting to unix socket: /srv/data/redis.sock.")
    assert describe(unix) == "ConnectionError"
    assert describe(rx.ReadOnlyError("READONLY You can't write")) == "ReadOnlyError (READONLY)"
    for exc in (refused, unix):
        assert "10.0.0.5" not in describe(exc) and "/srv" not in describe(exc)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("redis://:s3cret@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://default:p@ss@h.example:6380", "rediss://default:***@h.example:6380"),
        ("cannot reach redis://u:pw@h/0: refused", "cannot reach redis://u:***@h/0: refused"),
        ("unix:///run/redis.sock?db=0&password=zz", "unix:///run/redis.sock?db=0&password=***"),
        ("redis://h:6379/0", "redis://h:6379/0"),
    ],
)
def test_passwords_in_urls_are_masked(text, masked):
    assert mask_url(text) == masked
