"""Benchmarks behind ``livecast bench relay|buy|chat``."""

from __future__ import annotations

import sys


def main(argv: list[str], settings) -> int:
    print("livecast bench: not built yet (see the benchmark issue)", file=sys.stderr)
    return 2
