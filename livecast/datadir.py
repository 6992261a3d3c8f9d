"""Secrets kept in the data dir: the viewer-token HMAC key and the admin token's hash.

The data dir is private: 0700, its files 0600 (the embedded Redis's too, see
``store/embedded.py``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .config import Settings
from .store.catalog import hash_key, new_key
from .store.embedded import private_dir

SECRET_FILE = "secret"
ADMIN_HASH_FILE = "admin-token.sha256"


def _write_private(path: Path, text: str) -> None:
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def prepare(settings: Settings) -> tuple[Settings, str | None]:
    """Fill ``secret`` and ``admin_token_hash``; returns a new admin token when one was made."""
    data_dir = Path(settings.data_dir)
    private_dir(data_dir)
    secret = settings.secret or _read(data_dir / SECRET_FILE)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        _write_private(data_dir / SECRET_FILE, secret)
    new_token = None
    if settings.admin_token:
        admin_hash = hash_key(settings.admin_token)
    else:
        admin_hash = _read(data_dir / ADMIN_HASH_FILE)
        if admin_hash is None:
            new_token, admin_hash = reset_admin_token(data_dir)
    return settings.with_(secret=secret, admin_token_hash=admin_hash), new_token


def reset_admin_token(data_dir: Path) -> tuple[str, str]:
    token = new_key()
    admin_hash = hash_key(token)
    _write_private(Path(data_dir) / ADMIN_HASH_FILE, admin_hash)
    return token, admin_hash
