"""Extract the Zhumadian (驻马店市, 411700) demo jurisdiction from ``../shared/data``.

Writes
  data/boundaries/zhumadian_divisions.geojson  city outline + 10 county-level polygons
  data/gazetteer/zhumadian_divisions_nbs.csv    province, city, counties, townships, villages

Run from the project root: ``python scripts/extract_demo_data.py [SHARED_DATA_DIR]``.
Sources and licences: data/README.md.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITY = "411700"


def _rounded(coords, digits=6):
    if isinstance(coords[0], int | float):
        return [round(c, digits) for c in coords]
    return [_rounded(c, digits) for c in coords]


def main(shared: Path) -> None:
    codes = shared / "admin-codes"
    names: dict[str, str] = {}
    rows: list[dict[str, str]] = []

    def add(code: str, name: str, kind: str = "statutory") -> None:
        names[code] = name
        rows.append({"code": code, "name": name, "kind": kind})

    with open(codes / "provinces_nbs.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["code"] == "41":
                add("410000", r["name"])
    with open(codes / "henan_cities_nbs.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["code"] == CITY[:4]:
                add(CITY, r["name"])
    with open(codes / "henan_counties_nbs.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["cityCode"] == CITY[:4]:
                # GB/T 2260 county codes have a county digit pair below 70; 7x are NBS-only
                # statistical units such as development zones.
                kind = "statistical" if r["code"][4] == "7" else "statutory"
                add(r["code"], r["name"], kind)
    with open(codes / "henan_townships_nbs.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["cityCode"] == CITY[:4]:
                add(r["code"], r["name"])
    with open(codes / "henan_villages_nbs.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["cityCode"] == CITY[:4]:
                add(r["code"], r["name"])

    out_csv = ROOT / "data/gazetteer/zhumadian_divisions_nbs.csv"
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["code", "name", "kind"])
        writer.writeheader()
        writer.writerows(rows)

    src = json.loads((shared / "boundaries/henan_divisions_amap_cnmaps.geojson").read_text("utf-8"))
    features = []
    for feat in src["features"]:
        code = str(feat["properties"]["adcode"])
        if code[:4] != CITY[:4]:
            continue
        geom = feat["geometry"]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "adcode": code,
                    "name": names[code],
                    "level": feat["properties"]["level"],
                },
                "geometry": {"type": geom["type"], "coordinates": _rounded(geom["coordinates"])},
            }
        )
    out_geojson = ROOT / "data/boundaries/zhumadian_divisions.geojson"
    out_geojson.parent.mkdir(parents=True, exist_ok=True)
    out_geojson.write_text(
        json.dumps(
            {"type": "FeatureCollection", "name": "zhumadian_divisions", "features": features},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        encoding="utf-8",
    )
    levels = {}
    for r in rows:
        levels[len(r["code"])] = levels.get(len(r["code"]), 0) + 1
    print(f"{out_csv.relative_to(ROOT)}: {len(rows)} rows by code length {levels}")
    print(f"{out_geojson.relative_to(ROOT)}: {len(features)} polygons")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data")
