"""Where the benchmarks find the real open data (``../shared/data`` beside the checkout).

A fresh clone does not have it: :func:`shared_data` then says so in one line and exits with
status 2 instead of a traceback. The tests never need it (they read ``tests/data/open``).
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(folder: str | Path | None = None, *needed: str) -> Path:
    """The data folder (``folder`` or :data:`DEFAULT`), checked to hold every path in ``needed``.

    Exits the benchmark with a one-line message when the folder or a file is missing.
    """
    root = Path(folder) if folder else DEFAULT
    missing = [root / n for n in needed if not (root / n).exists()] if root.is_dir() else [root]
    if missing:
        print(
            f"benchmark data not found: {missing[0]} — this benchmark needs the project's open "
            "data folder (shared/data beside the checkout, or give its path as the first "
            "argument); the tests do not need it.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return root
