"""HTTPS: LIVECAST_TLS_CERT/KEY checked at start-up, the self-signed certificate of
``serve --self-signed``, and a real server speaking HTTPS and WSS."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ssl
import stat

import aiohttp
import pytest
import socketio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from livecast import tls
from livecast.config import ConfigError, Settings
from tests.support import ADMIN, LiveServer, run_cli


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    made = tls.self_signed(tmp_path_factory.mktemp("tls"))
    return made.cert, made.key


def env_of(cert, key) -> dict:
    return {"LIVECAST_TLS_CERT": str(cert), "LIVECAST_TLS_KEY": str(key)}


def test_a_certificate_and_its_key_make_the_server_https(pair):
    settings = Settings.from_env({**env_of(*pair), "PORT": "8443"})
    assert settings.tls_cert == pair[0] and settings.scheme == "https"
    assert settings.base_url == "https://127.0.0.1:8443"
    assert Settings.from_env({}).scheme == "http"


@pytest.mark.parametrize(
    "which, message",
    [
        ("cert-only", "LIVECAST_TLS_KEY: unset"),
        ("key-only", "LIVECAST_TLS_CERT: unset"),
        ("missing-cert", "LIVECAST_TLS_CERT: '/nonexistent/cert.pem' is not a file"),
        ("missing-key", "LIVECAST_TLS_KEY: '/nonexistent/key.pem' is not a file"),
        ("garbage-cert", "LIVECAST_TLS_CERT:"),
        ("other-key", "LIVECAST_TLS_KEY:"),
        ("encrypted-key", "LIVECAST_TLS_KEY:"),
    ],
)
def test_bad_tls_settings_name_the_variable(pair, tmp_path, which, message):
    cert, key = pair
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    other = tmp_path / "other.key"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    encrypted = tmp_path / "encrypted.key"
    loaded = serialization.load_pem_private_key(key.read_bytes(), None)
    encrypted.write_bytes(
        loaded.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    env = {
        "cert-only": {"LIVECAST_TLS_CERT": str(cert)},
        "key-only": {"LIVECAST_TLS_KEY": str(key)},
        "missing-cert": env_of("/nonexistent/cert.pem", key),
        "missing-key": env_of(cert, "/nonexistent/key.pem"),
        "garbage-cert": env_of(garbage, key),
        "other-key": env_of(cert, other),
        "encrypted-key": env_of(cert, encrypted),
    }[which]
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert str(error.value).startswith(message), str(error.value)


def test_the_self_signed_certificate_is_made_once_and_covers_this_machine(tmp_path):
    made = tls.self_signed(tmp_path, "0.0.0.0")
    assert made.created
    assert stat.S_IMODE(made.key.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(made.cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    ips = {str(a) for a in san.get_values_for_type(x509.IPAddress)}
    assert {"127.0.0.1", "::1"} <= ips and set(tls.local_addresses()) <= ips
    der = cert.public_bytes(serialization.Encoding.DER)
    assert made.fingerprint.replace(":", "").lower() == hashlib.sha256(der).hexdigest()

    kept = tls.self_signed(tmp_path, "0.0.0.0")
    assert not kept.created and kept.fingerprint == made.fingerprint
    # a new listening address, or the end of its validity close, makes a new one
    renamed = tls.self_signed(tmp_path, "198.51.100.7")
    assert renamed.created and renamed.fingerprint != made.fingerprint
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=tls.VALID_DAYS - 10)
    assert tls.self_signed(tmp_path, "198.51.100.7", now=later).created


async def test_serve_self_signed_speaks_https_and_wss(tmp_path):
    server = LiveServer(tmp_path, args=("--self-signed",)).start()
    try:
        assert server.base_url.startswith("https://")
        async with aiohttp.ClientSession() as http:
            async with http.get(server.base_url + "/healthz", ssl=False) as res:
                assert res.status == 200
            async with http.post(
                server.base_url + "/api/shows", json={"title": "TLS"}, headers=ADMIN, ssl=False
            ) as res:
                created = await res.json()
        served = ssl.get_server_certificate(("127.0.0.1", server.port))
        der = ssl.PEM_cert_to_DER_cert(served)
        printed = hashlib.sha256(der).hexdigest().upper()
        output = server.output()
        assert f"livecast listening on https://127.0.0.1:{server.port}" in output
        assert ":".join(printed[i : i + 2] for i in range(0, 64, 2)) in output
        assert stat.S_IMODE((tmp_path / "data" / tls.KEY_FILE).stat().st_mode) == 0o600
        assert created["links"]["watch"].startswith("https://")

        client = socketio.AsyncClient(ssl_verify=False, reconnection=False)
        states = []
        client.on("state", states.append)
        await client.connect(
            server.base_url.replace("https://", "wss://"),
            auth={"show": created["show"]["id"], "name": "tls"},
            transports=["websocket"],
            wait_timeout=10,
        )
        try:
            for _ in range(100):
                if states:
                    break
                await asyncio.sleep(0.05)
            assert states and states[0]["you"]["role"] == "viewer"
        finally:
            await client.disconnect()
    finally:
        server.stop()


def test_self_signed_and_a_certificate_together_is_one_clear_error(pair, tmp_path):
    result = run_cli(
        "serve",
        "--self-signed",
        env={**env_of(*pair), "LIVECAST_DATA_DIR": str(tmp_path / "data"), "REDIS_URL": ""},
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "livecast: error: --self-signed and LIVECAST_TLS_CERT are both given: choose one"
    ]
