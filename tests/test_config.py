"""Settings from the environment: defaults, and one clear error naming the variable."""

from pathlib import Path

import pytest

from livecast.config import ConfigError, Settings


def test_defaults():
    s = Settings.from_env({})
    assert (s.host, s.port, s.redis_url) == ("127.0.0.1", 8080, None)
    assert s.data_dir == Path("data") and s.recordings_dir == Path("recordings")
    assert s.ice_addresses is None and s.ice_servers == () and s.cors_origins is None


def test_every_variable_parses():
    s = Settings.from_env(
        {
            "HOST": "0.0.0.0",
            "PORT": "9000",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "LIVECAST_DATA_DIR": "/tmp/d",
            "LIVECAST_RECORDINGS_DIR": "/tmp/r",
            "LIVECAST_SECRET": "s" * 32,
            "LIVECAST_ADMIN_TOKEN": "t" * 32,
            "LIVECAST_ICE_ADDRESSES": "127.0.0.1, ::1",
            "LIVECAST_ANNOUNCED_ADDRESS": "203.0.113.7",
            "LIVECAST_UDP_PORTS": "40000-40100",
            "LIVECAST_ICE_SERVERS": "stun:ice.example.org:3478,turn:turn.example.org",
            "LIVECAST_CORS_ORIGINS": "https://shop.example, http://localhost:3000/",
            "LIVECAST_MAX_VIEWERS": "50",
        }
    )
    assert s.port == 9000 and s.ice_addresses == ("127.0.0.1", "::1")
    assert s.udp_ports == (40000, 40100) and s.max_viewers == 50
    assert s.cors_origins == ("https://shop.example", "http://localhost:3000")
    assert s.base_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("LIVECAST_UDP_PORTS", "9-1"),
        ("LIVECAST_UDP_PORTS", "40000"),
        ("REDIS_URL", "http://x"),
        ("LIVECAST_ICE_ADDRESSES", "not-an-ip"),
        ("LIVECAST_ANNOUNCED_ADDRESS", "example.org"),
        ("LIVECAST_ICE_SERVERS", "http://stun"),
        ("LIVECAST_CORS_ORIGINS", "shop.example"),
        ("LIVECAST_MAX_VIEWERS", "0"),
        ("LIVECAST_SECRET", "short"),
    ],
)
def test_bad_value_names_the_variable(name, value):
    with pytest.raises(ConfigError) as exc:
        Settings.from_env({name: value})
    assert str(exc.value).startswith(f"{name}:")
    # a secret's value is never echoed; every other value is
    assert (value in str(exc.value)) == (name != "LIVECAST_SECRET")


def test_bad_config_stops_serve_with_one_line(tmp_path):
    from tests.support import run_cli

    result = run_cli("serve", env={"PORT": "abc", "LIVECAST_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "livecast: error: PORT: 'abc' is not a port number (0-65535)"
    ]


def test_timezone_is_an_iana_name():
    assert Settings.from_env({}).timezone == "Asia/Seoul"
    assert Settings.from_env({"LIVECAST_TIMEZONE": "Europe/Berlin"}).timezone == "Europe/Berlin"
    for bad in ("Mars/Olympus", "KST+9", "../../etc/passwd"):
        with pytest.raises(ConfigError, match="LIVECAST_TIMEZONE"):
            Settings.from_env({"LIVECAST_TIMEZONE": bad})
