"""Every error code the server can send has Korean and English words in the pages.

The codes are read from the server's source (``ApiError(status, "code"``, ``code="…"``,
``Refused("…")``, ``"error": "…"``, the Lua scripts' ``refuse("…")``, the status table
of app.py), so a new code without text fails here. The pages show ``error.<code>`` from
web/js/lib/i18n.js (``errorText``) on every page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = (
    r'\bcode\s*=\s*"([a-z_]+)"',
    r'ApiError\(\s*\d+,\s*"([a-z_]+)"',
    r'error_response\(\s*\d+,\s*"([a-z_]+)"',
    r'Refused\("([a-z_]+)"\)',
    r'"error":\s*"([a-z_]+)"',
    r'refuse\("([a-z_]+)"',
    r"\b\d{3}:\s*\"([a-z_]+)\"",
)
# the base classes' placeholder (never sent) and codes only the browser makes up
NOT_SENT = {"error"}
CLIENT_ONLY = {"network", "timeout", "checking", "http_error", "other"}


def server_codes() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "livecast").rglob("*"):
        if path.suffix not in (".py", ".lua") or {"bench", "devtools"} & set(path.parts):
            continue
        text = path.read_text("utf-8")
        for pattern in PATTERNS:
            codes.update(re.findall(pattern, text))
    return codes - NOT_SENT


def texts() -> dict[str, set[str]]:
    source = (ROOT / "web" / "js" / "lib" / "i18n.js").read_text("utf-8")
    en = source[source.index("  en: {") : source.index("  ko: {")]
    ko = source[source.index("  ko: {") :]
    keys = re.compile(r'^\s+"error\.([a-z_]+)":', re.M)
    return {"en": set(keys.findall(en)), "ko": set(keys.findall(ko))}


def test_the_scan_finds_the_codes_it_should():
    codes = server_codes()
    assert {"sold_out", "not_live", "deal_running", "ended", "bad_key", "already_live"} <= codes
    assert len(codes) > 40


def test_every_server_error_code_has_korean_and_english_text():
    codes = server_codes()
    for lang, have in texts().items():
        missing = sorted(codes - have)
        assert missing == [], f"{lang}: no error.<code> text for {missing}"


def test_the_client_side_codes_have_text_too():
    for lang, have in texts().items():
        assert have >= CLIENT_ONLY, (lang, sorted(CLIENT_ONLY - have))
