"""HTTPS for ``livecast serve``: the server's TLS context, the check of a certificate and
key given in the environment, and the self-signed certificate of ``--self-signed``.

Browsers give a page the camera only in a secure context (HTTPS, or localhost), so a
studio opened from a phone on the LAN needs HTTPS. ``--self-signed`` makes an ECDSA P-256
certificate for this machine's names and addresses once and keeps it in the data dir
(the key 0600); it is made again when the names change or it gets within 30 days of its
end. Browsers warn once per device: compare the fingerprint ``serve`` prints.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

CERT_FILE = "tls-self-signed.crt"
KEY_FILE = "tls-self-signed.key"
VALID_DAYS = 365
RENEW_BEFORE_DAYS = 30


class TlsError(ValueError):
    """The certificate or key cannot be used; the message says which and why."""


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The server's TLS context (TLS 1.2+), for HTTPS and WSS on the same port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # an encrypted key would make OpenSSL prompt on the terminal: refuse it instead
    context.load_cert_chain(str(cert), str(key), password=lambda: b"")
    return context


def check_pair(cert: Path, key: Path) -> None:
    """Raise TlsError unless ``cert`` is a PEM certificate (chain) and ``key`` its key."""
    from cryptography import x509

    for path, what in ((cert, "certificate"), (key, "key")):
        if not path.is_file():
            raise TlsError(f"the {what} file {str(path)!r} does not exist")
    try:
        x509.load_pem_x509_certificates(cert.read_bytes())
    except (ValueError, OSError) as exc:
        raise TlsError(f"{str(cert)!r} is not a PEM certificate ({exc})") from None
    try:
        server_context(cert, key)
    except (ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        raise TlsError(
            f"{str(key)!r} is not the PEM private key of {str(cert)!r}, or it is encrypted"
            f" ({reason})"
        ) from None


# the names a LAN or a test reaches this machine by
def local_addresses() -> list[str]:
    """This machine's IP addresses (loopback included), best effort."""
    found = {"127.0.0.1", "::1"}
    try:
        import ifaddr  # aioice's dependency

        for adapter in ifaddr.get_adapters():
            for ip in adapter.ips:
                address = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
                if "%" not in address and not address.startswith("fe80:"):
                    found.add(address)
    except Exception:
        pass
    return sorted(found, key=lambda a: (":" in a, a))


def host_names(listen_host: str | None = None) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) for the certificate of this machine."""
    names = ["localhost"]
    for name in (socket.gethostname(), socket.getfqdn()):
        name = name.strip().lower().rstrip(".")
        if name and name not in names and all(c.isalnum() or c in ".-" for c in name):
            names.append(name)
            if "." not in name and f"{name}.local" not in names:
                names.append(f"{name}.local")  # mDNS, as phones on the LAN see it
    addresses = local_addresses()
    if listen_host and listen_host not in ("0.0.0.0", "::", ""):
        try:
            address = str(ipaddress.ip_address(listen_host))
        except ValueError:
            if listen_host.lower() not in names:
                names.append(listen_host.lower())
        else:
            if address not in addresses:
                addresses.append(address)
    return names, addresses


@dataclass(frozen=True)
class SelfSigned:
    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the certificate, AB:CD:... as browsers show it
    created: bool
    names: tuple[str, ...]


def _fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _usable(cert_path: Path, key_path: Path, names, addresses, now) -> bytes | None:
    """The certificate's DER if the kept pair covers ``names`` and ``addresses`` and is
    valid for a while yet, else None."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        server_context(cert_path, key_path)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, ssl.SSLError, x509.ExtensionNotFound):
        return None
    have_names = set(san.get_values_for_type(x509.DNSName))
    have_ips = {str(a) for a in san.get_values_for_type(x509.IPAddress)}
    if not set(names) <= have_names or not set(addresses) <= have_ips:
        return None
    if cert.not_valid_after_utc - now < dt.timedelta(days=RENEW_BEFORE_DAYS):
        return None
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


def _write(path: Path, data: bytes, mode: int) -> None:
    temp = path.with_name(path.name + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(temp, mode)
    os.replace(temp, path)


def self_signed(
    data_dir: Path, listen_host: str | None = None, *, now: dt.datetime | None = None
) -> SelfSigned:
    """The data dir's self-signed certificate for this machine, made when needed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = data_dir / CERT_FILE, data_dir / KEY_FILE
    now = now or dt.datetime.now(dt.UTC)
    names, addresses = host_names(listen_host)
    kept = _usable(cert_path, key_path, names, addresses, now)
    if kept is not None:
        return SelfSigned(cert_path, key_path, _fingerprint(kept), False, tuple(names))

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[-1] if len(names) > 1 else names[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "livecast (self-signed)"),
        ]
    )
    san = [x509.DNSName(n) for n in names] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in addresses
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        0o600,
    )
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    der = cert.public_bytes(serialization.Encoding.DER)
    return SelfSigned(cert_path, key_path, _fingerprint(der), True, tuple(names))
