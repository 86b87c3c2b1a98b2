"""Cut the Zhumadian (驻马店市, codes 4117…) rows out of the three NBS vintages of Henan's
division codes in ``../shared/data/admin-codes`` for the division-change tests.

Writes ``tests/data/open/admin-codes/zhumadian/{LEVEL}_nbs_{YEAR}.csv`` (LEVEL counties,
townships, villages; YEAR 2016, 2019, 2023):
the header and every row whose code starts with 4117, each line copied unchanged (the 2023 files
quote their names, the earlier ones do not). Sources and licences: tests/data/README.md.

Run from the project root: ``python scripts/extract_change_lists.py [SHARED_DATA_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "4117"
LEVELS = ("counties", "townships", "villages")
#: Where each vintage lies in the shared folder, relative to ``admin-codes``.
VINTAGES = {
    "2016": "vintages/henan_{level}_nbs_2016.csv",
    "2019": "vintages/henan_{level}_nbs_2019.csv",
    "2023": "henan_{level}_nbs.csv",
}


def main(shared: Path) -> None:
    out = ROOT / "tests/data/open/admin-codes/zhumadian"
    out.mkdir(parents=True, exist_ok=True)
    for year, pattern in VINTAGES.items():
        for level in LEVELS:
            source = shared / "admin-codes" / pattern.format(level=level)
            lines = source.read_text("utf-8").splitlines(keepends=True)
            kept = [lines[0]] + [line for line in lines[1:] if line.startswith(PREFIX)]
            target = out / f"{level}_nbs_{year}.csv"
            target.write_text("".join(kept), "utf-8")
            print(f"{target.relative_to(ROOT)}: {len(kept) - 1} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data")
