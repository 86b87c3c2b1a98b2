"""The adcode hierarchy on the real Zhumadian demo, and loading with bad input."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import box

from geociv.demo import POLYGONS, load_demo
from geociv.divisions import Divisions, level_of, normalize_code, parent_of
from geociv.errors import (
    AdcodeError,
    CoordinateRangeError,
    CRSError,
    InputFileError,
    UnknownDivisionError,
)

COUNTIES = [
    "驿城区",
    "西平县",
    "上蔡县",
    "平舆县",
    "正阳县",
    "确山县",
    "泌阳县",
    "汝南县",
    "遂平县",
    "新蔡县",
]


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("410000", "province", None),
        ("41", "province", None),
        ("411700", "city", "410000"),
        ("4117", "city", "410000"),
        ("411702", "county", "411700"),
        ("419001", "county", "410000"),  # 济源市: county-level, directly under the province
        ("411702001", "township", "411702"),
        ("411702001002", "village", "411702001"),
    ],
)
def test_levels_and_parents_from_codes(code: str, level: str, parent: str | None) -> None:
    assert level_of(code) == level
    assert parent_of(code) == parent


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("41170", "长度为 5"),
        ("4117OO", "只含数字"),
        ("９１１７００", "只含数字"),  # full-width digits
        ("991700", "不是有效的省级代码"),
        ("410012", "县级位也应为 00"),
        ("411702000", "乡级位不能为 000"),
        ("411702001000", "村级位不能为 000"),
        ("", "只含数字"),
    ],
)
def test_malformed_codes_are_rejected_with_the_reason(code: str, fragment: str) -> None:
    with pytest.raises(AdcodeError, match=fragment):
        normalize_code(code)


def test_demo_has_every_zhumadian_unit(demo_store) -> None:
    counts = demo_store.count_divisions()
    assert counts == {"province": 1, "city": 1, "county": 11, "township": 208, "village": 2906}
    divs = Divisions(demo_store)
    counties = divs.children("411700", include_statistical=False, with_geometry=True)
    assert [c.name for c in counties] == COUNTIES
    assert all(c.geometry is not None and c.geometry.is_valid for c in counties)
    zone = divs.get("411771")
    assert (zone.kind, zone.geometry) == ("statistical", None)
    # 驿城区 has 21 township-level units and 206 villages/communities (data/README.md)
    assert len(divs.children("411702")) == 21
    assert len(divs.children("411702", level="village")) == 206


def test_county_areas_sum_to_the_city_area(demo_store) -> None:
    divs = Divisions(demo_store)
    city = divs.get("411700")
    total = sum(c.area_km2 for c in divs.children("411700", include_statistical=False))
    assert total == pytest.approx(city.area_km2, rel=1e-3)
    assert 14_000 < city.area_km2 < 16_000  # official figure: about 15,083 km²


def test_lookup_by_name_prefix_contains_and_within(demo_store) -> None:
    divs = Divisions(demo_store)
    assert [d.code for d in divs.find("驿城区")] == ["411702"]
    prefix = divs.find("驿城", match="prefix")
    assert "411702" in [d.code for d in prefix]
    streets = divs.find("街道", match="contains", level="township", within="411702")
    assert streets and all(d.code.startswith("411702") and d.level == "township" for d in streets)
    assert divs.find("不存在的地方", match="contains") == []
    assert divs.find("50%", match="contains") == []  # LIKE wildcards are literal


def test_ancestors_run_from_the_province_down(demo_store) -> None:
    village = Divisions(demo_store).children("411702001")[0]
    chain = Divisions(demo_store).ancestors(village.code)
    assert [d.level for d in chain] == ["province", "city", "county", "township"]
    assert chain[1].name == "驻马店市"


def test_unknown_and_malformed_codes(demo_store) -> None:
    divs = Divisions(demo_store)
    with pytest.raises(UnknownDivisionError, match="411799"):
        divs.get("411799")
    with pytest.raises(AdcodeError):
        divs.get("abc")
    with pytest.raises(ValueError, match="未知层级"):
        divs.children("411700", level="district")


def test_loading_the_demo_twice_changes_nothing(demo_store) -> None:
    before = len(demo_store.audit_entries(limit=100_000))
    result = load_demo(demo_store, boundaries=False)
    assert result.changed == 0
    assert len(demo_store.audit_entries(limit=100_000)) == before


# -- bad input: a clear message naming row and field, and the store unchanged ----------------
def _snapshot(store) -> tuple:
    county = store.get_division("411702")
    return (county.geometry.wkb, county.area_km2, len(store.audit_entries(limit=100_000)))


def test_broken_geojson_is_refused_and_nothing_changes(demo_store, tmp_path: Path) -> None:
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat', encoding="utf-8")
    before = _snapshot(demo_store)
    with pytest.raises(InputFileError, match=r"broken\.geojson"):
        Divisions(demo_store).load_polygons(bad, actor="t")
    assert _snapshot(demo_store) == before


def test_non_utf8_geojson_is_refused(demo_store, tmp_path: Path) -> None:
    bad = tmp_path / "gbk.geojson"
    text = POLYGONS.read_text(encoding="utf-8")
    bad.write_bytes(text.encode("gb18030"))
    before = _snapshot(demo_store)
    with pytest.raises(InputFileError, match="UTF-8"):
        Divisions(demo_store).load_polygons(bad, actor="t")
    assert _snapshot(demo_store) == before


def test_metre_coordinates_in_a_geojson_are_a_wrong_crs(demo_store, tmp_path: Path) -> None:
    frame = gpd.read_file(POLYGONS).to_crs("EPSG:4547")
    path = tmp_path / "metres.geojson"
    data = json.loads(frame.to_json())
    data.pop("crs", None)  # GeoJSON without a crs member is read as WGS84
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = _snapshot(demo_store)
    with pytest.raises(CoordinateRangeError) as info:
        Divisions(demo_store).load_polygons(path, actor="t")
    assert "投影坐标" in str(info.value) and "第 11 行" in str(info.value)
    assert _snapshot(demo_store) == before


def test_projected_geopackage_is_reprojected(demo_store, tmp_path: Path) -> None:
    frame = gpd.read_file(POLYGONS).to_crs("EPSG:4547")
    path = tmp_path / "projected.gpkg"
    frame.to_file(path, engine="pyogrio")
    counts = Divisions(demo_store).load_polygons(path, actor="t")
    assert counts.inserted == 0 and counts.updated + counts.unchanged == 11
    county = demo_store.get_division("411702")
    assert county.geometry.bounds[0] == pytest.approx(113.6, abs=0.3)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_undeclared_crs_needs_a_declaration(demo_store, tmp_path: Path) -> None:
    frame = gpd.read_file(POLYGONS).set_crs(None, allow_override=True)
    path = tmp_path / "nocrs.gpkg"
    frame.to_file(path, engine="pyogrio")
    before = _snapshot(demo_store)
    with pytest.raises(CRSError, match="未声明坐标系"):
        Divisions(demo_store).load_polygons(path, actor="t")
    assert _snapshot(demo_store) == before
    Divisions(demo_store).load_polygons(path, actor="t", declared_crs="EPSG:4490")


def test_every_bad_row_is_reported_at_once(demo_store, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "adcode": ["411702", "41170X", "411799", "411721"],
            "name": ["驿城区", "坏", "", "西平县"],
        },
        geometry=[
            box(113.9, 32.9, 114.1, 33.1),
            box(114, 33, 114.1, 33.1),
            box(114, 33, 114.1, 33.1),
            box(114, 33, 114, 33.1),
        ],
        crs="EPSG:4490",
    )
    path = tmp_path / "rows.gpkg"
    frame.to_file(path, engine="pyogrio")
    before = _snapshot(demo_store)
    with pytest.raises(InputFileError) as info:
        Divisions(demo_store).load_polygons(path, actor="t")
    rows = {(p.row, p.field) for p in info.value.problems}
    assert rows == {(2, "adcode"), (3, "name"), (4, "geometry")}
    assert _snapshot(demo_store) == before


def test_code_list_csv_in_gbk_with_bad_rows(empty_store, tmp_path: Path) -> None:
    good = tmp_path / "codes.csv"
    good.write_bytes("code,name\n410000,河南省\n4117,驻马店市\n411702,驿城区\n".encode("gbk"))
    counts = Divisions(empty_store).load_code_list(good, actor="t")
    assert counts.inserted == 3
    assert empty_store.get_division("411700").name == "驻马店市"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name\n411702001,顺河街道\n4117x2,坏\n411702001,重复\n411703,\n", encoding="utf-8"
    )
    with pytest.raises(InputFileError) as info:
        Divisions(empty_store).load_code_list(bad, actor="t")
    assert [(p.row, p.field) for p in info.value.problems] == [
        (3, "code"),  # rows as Excel numbers them: the header is row 1
        (4, "code"),
        (5, "name"),
    ]
    assert empty_store.get_division("411702001") is None
    missing = tmp_path / "missing.csv"
    missing.write_text("adcode,title\n411702,x\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="缺少"):
        Divisions(empty_store).load_code_list(missing, actor="t")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81\xff" * 50)
    with pytest.raises(InputFileError, match="编码"):
        Divisions(empty_store).load_code_list(binary, actor="t")
