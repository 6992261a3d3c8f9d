"""Settings from the environment: the only module that reads ``os.environ``.

Every variable of contract.md is parsed and validated once; a bad value raises
:class:`ConfigError` whose message names the variable and the value.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A configuration value is unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    data_dir: Path = Path("data")
    recordings_dir: Path = Path("recordings")
    secret: str | None = None
    admin_token: str | None = None
    # filled by datadir.prepare(): what the admin API compares Bearer tokens against
    admin_token_hash: str | None = None
    # None: gather on every non-loopback address (aioice's default)
    ice_addresses: tuple[str, ...] | None = None
    announced_address: str | None = None
    udp_ports: tuple[int, int] | None = None
    ice_servers: tuple[str, ...] = ()
    # None: same origin only
    cors_origins: tuple[str, ...] | None = None
    max_viewers: int = 500
    # orders: how long a reservation is held, and a bank transfer's payment deadline
    hold_minutes: int = 15
    payment_hours: int = 24
    # webhooks for every show (a show's own `webhook` overrides them)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # the base of every printed link (unset: the address `serve` listens on)
    public_url: str | None = None
    # the zone a time without an offset is read in (show starts, sale events)
    timezone: str = "Asia/Seoul"
    # HTTPS (and WSS) on the same port: PEM certificate (chain) and its key
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # `serve --workers N`: processes sharing the port (None: the machine's cores)
    workers: int | None = None
    # how other nodes reach this one (media between nodes, livecast/media/edge.py)
    node_url: str | None = None
    # set by `serve --workers` for its workers: processes of one node share it
    node_id: str | None = None
    # set by `serve --workers` for its workers: the node's inherited listening socket
    listen_fd: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None or value.strip() == "":
                return None
            return value.strip()

        kwargs: dict = {}
        if (v := get("HOST")) is not None:
            kwargs["host"] = v
        if (v := get("PORT")) is not None:
            kwargs["port"] = parse_port("PORT", v)
        if (v := get("REDIS_URL")) is not None:
            kwargs["redis_url"] = parse_redis_url("REDIS_URL", v)
        if (v := get("LIVECAST_DATA_DIR")) is not None:
            kwargs["data_dir"] = Path(v)
        if (v := get("LIVECAST_RECORDINGS_DIR")) is not None:
            kwargs["recordings_dir"] = Path(v)
        if (v := get("LIVECAST_SECRET")) is not None:
            if len(v) < 16:
                raise ConfigError("LIVECAST_SECRET: must be at least 16 characters")
            kwargs["secret"] = v
        if (v := get("LIVECAST_ADMIN_TOKEN")) is not None:
            if len(v) < 16:
                raise ConfigError("LIVECAST_ADMIN_TOKEN: must be at least 16 characters")
            kwargs["admin_token"] = v
        if (v := get("LIVECAST_ICE_ADDRESSES")) is not None:
            kwargs["ice_addresses"] = tuple(
                parse_ip("LIVECAST_ICE_ADDRESSES", a) for a in split_list(v)
            )
        if (v := get("LIVECAST_ANNOUNCED_ADDRESS")) is not None:
            kwargs["announced_address"] = parse_ip("LIVECAST_ANNOUNCED_ADDRESS", v)
        if (v := get("LIVECAST_UDP_PORTS")) is not None:
            kwargs["udp_ports"] = parse_port_range("LIVECAST_UDP_PORTS", v)
        if (v := get("LIVECAST_ICE_SERVERS")) is not None:
            kwargs["ice_servers"] = tuple(
                parse_ice_server("LIVECAST_ICE_SERVERS", u) for u in split_list(v)
            )
        if (v := get("LIVECAST_CORS_ORIGINS")) is not None:
            kwargs["cors_origins"] = tuple(
                parse_origin("LIVECAST_CORS_ORIGINS", o) for o in split_list(v)
            )
        if (v := get("LIVECAST_MAX_VIEWERS")) is not None:
            kwargs["max_viewers"] = parse_int("LIVECAST_MAX_VIEWERS", v, minimum=1)
        if (v := get("LIVECAST_HOLD_MINUTES")) is not None:
            kwargs["hold_minutes"] = parse_int("LIVECAST_HOLD_MINUTES", v, minimum=1, maximum=1440)
        if (v := get("LIVECAST_PAYMENT_HOURS")) is not None:
            kwargs["payment_hours"] = parse_int("LIVECAST_PAYMENT_HOURS", v, minimum=1, maximum=720)
        if (v := get("LIVECAST_WEBHOOK_URL")) is not None:
            kwargs["webhook_url"] = parse_http_url("LIVECAST_WEBHOOK_URL", v)
        if (v := get("LIVECAST_WEBHOOK_SECRET")) is not None:
            if len(v) < 16:
                raise ConfigError("LIVECAST_WEBHOOK_SECRET: must be at least 16 characters")
            kwargs["webhook_secret"] = v
        if (v := get("LIVECAST_PUBLIC_URL")) is not None:
            kwargs["public_url"] = parse_http_url("LIVECAST_PUBLIC_URL", v).rstrip("/")
        if (v := get("LIVECAST_TIMEZONE")) is not None:
            kwargs["timezone"] = parse_timezone("LIVECAST_TIMEZONE", v)
        if (v := get("LIVECAST_WORKERS")) is not None:
            kwargs["workers"] = parse_int("LIVECAST_WORKERS", v, minimum=1, maximum=64)
        if (v := get("LIVECAST_NODE_URL")) is not None:
            kwargs["node_url"] = parse_http_url("LIVECAST_NODE_URL", v).rstrip("/")
        if (v := get("LIVECAST_NODE_ID")) is not None:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", v):
                raise ConfigError(f"LIVECAST_NODE_ID: {v!r} is not a plain id")
            kwargs["node_id"] = v
        if (v := get("LIVECAST_LISTEN_FD")) is not None:
            kwargs["listen_fd"] = parse_int("LIVECAST_LISTEN_FD", v, minimum=0)
        cert, key = get("LIVECAST_TLS_CERT"), get("LIVECAST_TLS_KEY")
        if cert is not None or key is not None:
            kwargs["tls_cert"], kwargs["tls_key"] = parse_tls(cert, key)
        return cls(**kwargs)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @property
    def public_host(self) -> str:
        """Host part for URLs printed to the user."""
        if self.host in ("0.0.0.0", "::", ""):
            return "127.0.0.1"
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def scheme(self) -> str:
        """What ``serve`` speaks: https with a certificate, else http."""
        return "https" if self.tls_cert else "http"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url
        return f"{self.scheme}://{self.public_host}:{self.port}"


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_int(name: str, value: str, *, minimum: int | None = None, maximum: int | None = None):
    try:
        number = int(value, 10)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}: {value!r} is below {minimum}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name}: {value!r} is above {maximum}")
    return number


def parse_port(name: str, value: str) -> int:
    try:
        return parse_int(name, value, minimum=0, maximum=65535)
    except ConfigError:
        raise ConfigError(f"{name}: {value!r} is not a port number (0-65535)") from None


def parse_port_range(name: str, value: str) -> tuple[int, int]:
    low, sep, high = value.partition("-")
    if not sep:
        raise ConfigError(f"{name}: {value!r} is not a range like 40000-40999")
    lo = parse_port(name, low.strip())
    hi = parse_port(name, high.strip())
    if lo < 1 or lo > hi:
        raise ConfigError(f"{name}: {value!r} is not a range like 40000-40999 (min <= max)")
    return lo, hi


def parse_ip(name: str, value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not an IP address") from None


def parse_redis_url(name: str, value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"{name}: {mask_url(value)!r} must start with redis://, rediss:// or unix://"
        )
    return value


_URL_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:@/\s]*):[^/?#\s]*@")
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&\s]*")


def mask_url(text: str) -> str:
    """``text`` with the password of every URL in it (``user:pw@``, ``?password=``) as ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _QUERY_PASSWORD.sub(r"\1***", text)


def parse_ice_server(name: str, value: str) -> str:
    scheme = value.split(":", 1)[0].lower()
    if scheme not in ("stun", "stuns", "turn", "turns") or ":" not in value:
        raise ConfigError(f"{name}: {value!r} is not a stun:, stuns:, turn: or turns: URL")
    return value


def parse_origin(name: str, value: str) -> str:
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigError(f"{name}: {value!r} is not an origin like https://shop.example")
    return f"{parts.scheme}://{parts.netloc}"


def parse_timezone(name: str, value: str) -> str:
    """An IANA time zone name such as Asia/Seoul."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}: {value!r} is not a time zone name like Asia/Seoul") from None
    return value


def parse_tls(cert: str | None, key: str | None) -> tuple[Path, Path]:
    """LIVECAST_TLS_CERT and LIVECAST_TLS_KEY: both set, both files there, and they load
    together as a certificate (chain) and its unencrypted key."""
    from .tls import TlsError, check_pair

    if cert is None:
        raise ConfigError("LIVECAST_TLS_CERT: unset, but LIVECAST_TLS_KEY is set (give both)")
    if key is None:
        raise ConfigError("LIVECAST_TLS_KEY: unset, but LIVECAST_TLS_CERT is set (give both)")
    cert_path, key_path = Path(cert).expanduser(), Path(key).expanduser()
    if not cert_path.is_file():
        raise ConfigError(f"LIVECAST_TLS_CERT: {cert!r} is not a file")
    if not key_path.is_file():
        raise ConfigError(f"LIVECAST_TLS_KEY: {key!r} is not a file")
    try:
        check_pair(cert_path, key_path)
    except TlsError as exc:
        name = "LIVECAST_TLS_CERT" if "not a PEM certificate" in str(exc) else "LIVECAST_TLS_KEY"
        raise ConfigError(f"{name}: {exc}") from None
    return cert_path, key_path


def parse_http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: {value!r} is not an http:// or https:// URL")
    return value
