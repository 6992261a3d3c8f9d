"""Rules for text that other people will see (titles, names, descriptions, chat).

Text is stored as typed; what is refused is what hides or disguises it: control
characters, lone surrogates, bidirectional embedding/override/isolate controls (they
reorder what the reader sees, e.g. ``\u202egpj.exe``), and values made only of invisible
characters (zero-width spaces, joiners, Hangul fillers...), which would show as blanks.
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidInput

# bidirectional embedding/override/isolate controls (the marks LRM/RLM/ALM stay allowed:
# mixed Arabic or Hebrew text needs them)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# letters and symbols that render as nothing (Korean apps' favourite blank names)
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp", "Cc"})


def is_invisible(value: str) -> bool:
    """True when ``value`` would show as nothing (empty, spaces, zero-width characters)."""
    return all(
        c.isspace() or c in BLANKS or unicodedata.category(c) in _INVISIBLE_CATEGORIES
        for c in value
    )


def check_text(value: str, name: str, *, allow: str = "\n\t") -> str:
    """Return ``value`` or raise :class:`InvalidInput` naming ``name``.

    ``allow``: the control characters the field may hold (line breaks and tabs for
    multi-line fields; pass ``""`` for one-line ones).
    """
    for c in value:
        if c in BIDI_CONTROLS:
            raise InvalidInput(f"{name} contains bidirectional control characters")
        category = unicodedata.category(c)
        if category == "Cs" or (category == "Cc" and c not in allow):
            raise InvalidInput(f"{name} contains control characters")
    if is_invisible(value):
        raise InvalidInput(f"{name} must not be empty (it holds only invisible characters)")
    return value
