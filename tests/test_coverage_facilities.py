"""Facility import: declared coordinate systems, every problem by row, duplicates, area, store."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geociv.coverage.facilities import Facilities
from geociv.demo import SAMPLE_FACILITY_SOURCE, load_coverage_demo, main_urban_area
from geociv.errors import ValidationError
from geociv.store import open_store
from tests.conftest import POI

SHANGHAI = POI / "shanghai_iacc_eldercare_orgs_gcj02.csv"
NANJING = POI / "nanjing_nursing_homes_baidu_bd09.csv"


def _without_rows(src: Path, dst: Path, rows: set[int]) -> Path:
    """Copy a CSV leaving out some data rows (numbered from 1, header not counted)."""
    with open(src, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [lines[0]] + [r for i, r in enumerate(lines[1:], 1) if i not in rows]
        )
    return dst


def _metres(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> np.ndarray:
    return a.to_crs(32651).distance(b.to_crs(32651), align=False).to_numpy()


def test_gcj02_file_reports_the_row_without_coordinates(empty_store) -> None:
    with pytest.raises(ValidationError) as err:
        Facilities(empty_store).import_file(
            SHANGHAI, declared_crs="GCJ02", actor="t", default_type="养老院"
        )
    # rows as Excel numbers them: header = row 1, so data row 12 is row 13
    assert [(p.row, p.field) for p in err.value.problems] == [(13, "lon/lat")]
    assert "缺少坐标" in err.value.problems[0].message
    assert empty_store.query_facilities() == []  # nothing stored


def test_gcj02_declared_as_wgs84_is_shifted_by_hundreds_of_metres(tmp_path: Path) -> None:
    clean = _without_rows(SHANGHAI, tmp_path / "sh.csv", {12})
    frames = {}
    for system in ("GCJ02", "WGS84"):
        store = open_store(tmp_path / f"{system}.gpkg")
        added = Facilities(store).import_file(
            clean, declared_crs=system, actor="t", default_type="nursing_home"
        )
        assert len(added) == 71
        frames[system] = Facilities(store).frame()
    gap = _metres(frames["GCJ02"], frames["WGS84"])
    assert gap.min() > 100 and gap.max() < 700
    assert (frames["GCJ02"]["name"] == frames["WGS84"]["name"]).all()


def test_baidu_file_declared_bd09_reports_its_duplicate_then_imports(tmp_path: Path) -> None:
    store = open_store(tmp_path / "nj.gpkg")
    facilities = Facilities(store)
    with pytest.raises(ValidationError) as err:
        facilities.import_file(NANJING, declared_crs="BD09", actor="t", default_type="养老院")
    (problem,) = err.value.problems
    assert problem.row == 69 and "晚情敬老院" in problem.message and "第 67 行" in problem.message
    clean = _without_rows(NANJING, tmp_path / "nj.csv", {68})
    added = facilities.import_file(clean, declared_crs="bd-09", actor="t", default_type="养老院")
    assert len(added) == 67
    first = added[0]  # 德润养老院, BD-09 (118.764934, 32.093196)
    shift = shapely.Point(118.764934, 32.093196).distance(first.location) * 111_000
    assert 500 < shift < 1500  # BD-09 → CGCS2000 moves Nanjing points by about 1 km
    # Importing the same file again: every row is a duplicate of a stored facility.
    with pytest.raises(ValidationError) as again:
        facilities.import_file(clean, declared_crs="BD09", actor="t", default_type="养老院")
    assert len(again.value.problems) == 67 and "已有设施" in again.value.problems[0].message
    assert len(store.query_facilities()) == 67
    assert store.audit_entries(entity="facilities")[0].actor == "t"


def test_csv_needs_a_declared_crs_and_every_bad_row_is_listed(empty_store, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "名称,类型,经度,纬度,床位\n"
        "甲站,辅具租赁服务站,114.02,32.98,\n"
        ",辅具租赁服务站,114.03,32.98,\n"
        "乙院,养鸡场,114.04,32.98,10\n"
        "丙院,养老院,114.05,32.98,很多\n"
        "丁院,养老院,32.98,114.05,5\n"
        "戊院,敬老院,2.0,51.5,5\n"
        "甲站,辅具租赁服务站,114.0201,32.9801,\n",
        encoding="gbk",
    )
    facilities = Facilities(empty_store)
    with pytest.raises(ValidationError) as err:
        facilities.import_file(path, actor="t")
    assert err.value.problems[0].field == "declared_crs"
    with pytest.raises(ValidationError) as err:
        facilities.import_file(path, declared_crs="WGS84", actor="t")
    found = {(p.row, p.field) for p in err.value.problems}
    assert found == {
        (3, "name"),
        (4, "type"),
        (5, "capacity_beds"),
        (6, None),
        (7, None),
        (8, "name"),
    }
    messages = " ".join(str(p) for p in err.value.problems)
    assert "颠倒" in messages and "与第 2 行重复" in messages
    assert empty_store.query_facilities() == []


def test_points_outside_the_area_get_the_crs_hint(empty_store, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("name,type,lng,lat\nA,day_care,114.02,32.98\nB,day_care,114.30,30.58\n")
    with pytest.raises(ValidationError) as err:
        Facilities(empty_store).import_file(
            path, declared_crs="WGS84", actor="t", area=main_urban_area()
        )
    (problem,) = err.value.problems
    assert problem.row == 3 and "不在指定范围内" in problem.message and "GCJ-02" in problem.message
    with pytest.raises(ValidationError) as err:  # a division code as the area
        Facilities(empty_store).import_file(path, declared_crs="WGS84", actor="t", area="411702")
    assert "区划 411702 不存在" in str(err.value)  # the empty store has no polygons


def test_points_outside_a_division_of_the_demo(demo_store, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("name,type,lng,lat\nA,day_care,114.02,32.98\nB,day_care,114.30,30.58\n")
    with pytest.raises(ValidationError) as err:
        Facilities(demo_store).import_file(path, declared_crs="GCJ02", actor="t", area="411702")
    (problem,) = err.value.problems
    assert problem.row == 3 and "GCJ-02" not in problem.message  # declared GCJ02: no hint


def test_xlsx_import(empty_store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["设施名称", "设施类型", "经度", "纬度", "床位数", "状态", "地址"])
    sheet.append(["甲院", "敬老院", 114.02, 32.98, 120, "规划", "示例路 1 号"])
    sheet.append(["乙站", "辅具租赁服务站", 114.03, 32.99, None, None, ""])
    path = tmp_path / "f.xlsx"
    book.save(path)
    added = Facilities(empty_store).import_file(path, declared_crs="CGCS2000", actor="t")
    assert [(f.type, f.capacity_beds, f.status) for f in added] == [
        ("nursing_home", 120, "planned"),
        ("rental_station", None, "existing"),
    ]
    assert added[0].address == "示例路 1 号" and added[0].source == "f.xlsx"
    assert added[0].location.equals(shapely.Point(114.02, 32.98))


@pytest.mark.parametrize("suffix", ["geojson", "gpkg"])
def test_vector_import_retire_and_frame(empty_store, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"f.{suffix}"
    gpd.GeoDataFrame(
        {"名称": ["甲", "乙"], "类型": ["农村幸福院", "综合体验馆"], "状态": ["已建", "候选"]},
        geometry=[shapely.Point(114.02, 32.98), shapely.Point(114.03, 32.99)],
        crs="EPSG:4326",
    ).to_file(path)
    facilities = Facilities(empty_store)
    added = facilities.import_file(path, actor="t")
    assert [f.type for f in added] == ["rural_mutual_aid", "experience_hall"]
    assert [f.status for f in added] == ["existing", "candidate"]
    retired = facilities.retire(added[0].facility_id, actor="u")
    assert retired.status == "retired"
    frame = facilities.frame()
    assert list(frame["name"]) == ["乙"] and frame.crs.to_epsg() == 4490
    assert list(facilities.frame(status="retired")["type_label"]) == ["农村幸福院"]
    assert empty_store.get_facility(added[0].facility_id) is not None  # kept, never deleted


def test_demo_sample_facilities_lie_in_the_main_urban_area(demo_store) -> None:
    frame = Facilities(demo_store).frame()
    assert (frame["type"] == "rental_station").sum() == 10
    assert frame["name"].str.endswith("（示例）").all() and frame["sample"].all()
    assert (frame["source"] == SAMPLE_FACILITY_SOURCE).all()
    area = main_urban_area()
    assert "示例" in area["note"].iloc[0]
    assert shapely.covers(area.geometry.iloc[0], frame.geometry.to_numpy()).all()
    assert load_coverage_demo(demo_store) == 0  # idempotent


def _messy(tmp_path: Path, suffix: str = ".csv") -> Path:
    """A 70-row facility register from the repository's data whose Excel row 38 is bad."""
    from tests.sample_files import facility_csv, facility_rows

    rows = facility_rows(70, bad_row=38)
    path = tmp_path / f"设施登记{suffix}"
    if suffix == ".csv":
        path.write_bytes(facility_csv(rows))
    else:
        from openpyxl import Workbook

        book = Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_one_bad_row_of_70_refuses_the_file_naming_the_row_excel_shows(
    demo_store, tmp_path: Path, suffix: str
) -> None:
    from openpyxl import load_workbook

    path = _messy(tmp_path, suffix)
    before = len(demo_store.query_facilities())
    with pytest.raises(ValidationError) as err:
        Facilities(demo_store).import_file(path, declared_crs="CGCS2000", actor="planner1")
    (problem,) = err.value.problems
    assert (problem.row, problem.field) == (38, "capacity_beds")
    assert "第 38 行" in str(err.value)
    assert len(demo_store.query_facilities()) == before  # all or nothing by default
    if suffix == ".xlsx":  # the row the message names is the row Excel shows with 三十张
        assert load_workbook(path).active.cell(row=38, column=5).value == "三十张"
    else:
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
        assert "三十张" in lines[38 - 1]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_valid_rows_import_and_the_rejected_row_comes_back_with_its_reason(
    demo_store, tmp_path: Path, suffix: str
) -> None:
    path = _messy(tmp_path, suffix)
    before = len(demo_store.query_facilities())
    done = Facilities(demo_store).import_valid_rows(
        path, declared_crs="CGCS2000", actor="planner1"
    )
    assert len(done.added) == 69 and len(demo_store.query_facilities()) == before + 69
    assert [r.row for r in done.rejected] == [38]
    data = done.rejected_csv()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens the Chinese text
    table = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    from tests.sample_files import FACILITY_HEADER, facility_rows

    assert table[0] == [*FACILITY_HEADER, "原因"]
    assert len(table) == 2 and table[1][:-1] == facility_rows(70, bad_row=38)[37]
    assert "原第 38 行" in table[1][-1] and "床位" in table[1][-1] and "非负整数" in table[1][-1]
    entry = demo_store.audit_entries(entity="facilities", key=path.name)[0]
    assert entry.action == "facilities.import" and entry.actor == "planner1"
    assert "导入 69 行，跳过 1 行" in entry.note and "38" in entry.note
    # The corrected rejected file imports as it is (its 原因 column is ignored).
    fixed = tmp_path / "fixed.csv"
    table[1][4] = "30"
    fixed.write_text("\n".join(",".join(r) for r in table) + "\n", encoding="utf-8-sig")
    again = Facilities(demo_store).import_valid_rows(
        fixed, declared_crs="CGCS2000", actor="planner1"
    )
    assert len(again.added) == 1 and again.rejected == []
    assert again.added[0].capacity_beds == 30


def test_valid_rows_only_still_refuses_a_file_that_is_wrong_as_a_whole(
    demo_store, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    path.write_text("名称,经度,纬度\n甲院,114.02,32.98\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:  # no type column and no default type
        Facilities(demo_store).import_valid_rows(path, declared_crs="WGS84", actor="planner1")
    assert err.value.problems[0].field == "type"


def test_valid_rows_only_leaves_out_rows_outside_the_jurisdiction(
    demo_store, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "名称,类型,经度,纬度\n甲院,敬老院,114.02,32.98\n乙院,敬老院,114.30,30.58\n",
        encoding="utf-8",
    )
    done = Facilities(demo_store).import_valid_rows(
        path, declared_crs="WGS84", actor="planner1", area="411700"
    )
    assert [f.name for f in done.added] == ["甲院"]
    assert [r.row for r in done.rejected] == [3]
    assert "经度/纬度" in done.rejected[0].reason
