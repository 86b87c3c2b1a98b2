"""The marker register (界桩登记表) on the real Zhumadian lines: numbers, sample markers, file
imports in GBK/UTF-8/XLSX validated all at once, photos, retirement."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyogrio
import pytest
from shapely import Point

from geociv.boundaries.markers import (
    LINE_TOLERANCE_M,
    Markers,
    distance_m,
    marker_number,
    parse_marker_number,
    read_marker_rows,
)
from geociv.errors import InputFileError, ValidationError
from geociv.store import ReferenceObject
from tests.boundary_setup import (
    LINE,
    REFERENCES,
    derive_zhumadian,
    moved,
    off_line,
    point_on,
    register_samples,
)
from tests.sample_files import jpeg_bytes

JPEG = jpeg_bytes()

HEADER = ["界线", "编号", "类型", "材质", "经度", "纬度", "登记日期",
          "方位物1", "方位角1", "距离1", "方位物2", "方位角2", "距离2", "方位物3", "方位角3",
          "距离3"]  # fmt: skip


def _refs() -> list[str]:
    return ["电线杆", "45", "30.5", "水井", "120°", "18米", "大杨树", "300", "25m"]


def _row(line: str, number: str, point: Point | tuple[str, str], kind: str = "") -> list[str]:
    lon, lat = (f"{point.x:.7f}", f"{point.y:.7f}") if isinstance(point, Point) else point
    return [line, number, kind, "花岗岩", lon, lat, "2021-05-10", *_refs()]


def _csv(rows: list[list[str]], encoding: str, header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def test_numbers() -> None:
    assert marker_number(LINE, 7, "Q") == "411721-411722-007Q"
    assert parse_marker_number("411721-411722-014B") == (LINE, 14, "B")
    assert parse_marker_number("４１１７２１-４１１７２２-００１ｑ") == (LINE, 1, "Q")  # full-width
    assert parse_marker_number("411722-411721-001Q") is None  # lower code first
    assert parse_marker_number("411721-411722-01Q") is None
    assert parse_marker_number("411721-411722-001F") is None


def test_sample_markers_are_registered_with_their_reference_objects(demo_store, demo_path) -> None:
    derive_zhumadian(demo_store)
    stored = register_samples(demo_store)
    assert [m.marker_id for m in stored] == [
        f"{LINE}-001Q", f"{LINE}-002A", f"{LINE}-002B", f"{LINE}-003Q",
    ]  # fmt: skip
    q = stored[0]
    assert (q.kind, q.type_code, q.serial, q.material, q.sample) == (
        "single",
        "Q",
        1,
        "花岗岩",
        True,
    )
    assert q.references[1] == ReferenceObject("水井", 120.0, 18.0)
    assert [m.kind for m in stored[1:3]] == ["paired", "paired"]
    markers = Markers(demo_store)
    assert markers.get(f"{LINE}-002B").registered_on == "2021-05-10"
    assert len(markers.query(parent="411722")) == 4 and markers.query(parent="411702") == []
    frame = markers.frame(line_id=LINE)
    assert frame.crs.to_epsg() == 4490 and list(frame["references"]) == [3, 3, 3, 3]
    assert set(frame["kind_label"]) == {"单立", "双立"} and frame["sample"].all()
    layer = pyogrio.read_dataframe(demo_path, layer="markers")
    assert len(layer) == 4 and layer.crs.to_epsg() == 4490
    entries = demo_store.audit_entries(entity="markers")
    assert len(entries) == 4 and entries[0].after["references"][0]["description"] == "电线杆"


def test_register_one_marker_by_line_name_and_short_number(demo_store) -> None:
    lines = derive_zhumadian(demo_store)
    line = lines.get(LINE)
    markers = Markers(demo_store)
    marker = markers.register(
        "001Q", point_on(line, 0.3), line="西上线", kind="单立", actor="inspector1",
        references=REFERENCES,
    )  # fmt: skip
    assert marker.marker_id == f"{LINE}-001Q" and not marker.sample
    # a single member of a paired set may be registered alone (a finding until complete)
    half = markers.register("002A", moved(point_on(line, 0.4), 15), line=LINE, actor="t")
    assert half.kind == "paired"
    with pytest.raises(ValidationError) as info:
        markers.register("003Q", off_line(line, 0.5, 200), line=LINE, actor="t")
    (problem,) = info.value.problems
    assert problem.row is None and "超过允许的 50 米" in problem.message
    loose = Markers(demo_store, line_tolerance_m=500)
    assert loose.register("003Q", off_line(line, 0.5, 200), line=LINE, actor="t")
    with pytest.raises(ValidationError, match="只有一侧"):
        markers.register("001Q", point_on(lines.get("411721-edge"), 0.5), line="西平县外界",
                         actor="t")  # fmt: skip
    with pytest.raises(ValidationError, match="不是现行界线"):
        markers.register("411702-411721-001Q", (114.0, 33.3), actor="t")


def test_a_gbk_file_with_bad_rows_reports_every_row_and_field_and_stores_nothing(
    demo_store, tmp_path: Path
) -> None:
    lines = derive_zhumadian(demo_store)
    line = lines.get(LINE)
    markers = Markers(demo_store)
    markers.register("009Q", point_on(line, 0.9), line=LINE, actor="admin1")
    middle = point_on(line, 0.5)
    far_away = Point(114.02, 32.98)  # 驿城区, nowhere near 西上线
    on = point_on(line, 0.35)
    rows = [
        _row("西上线", "001Q", point_on(line, 0.1), "单立"),  # 1 good
        _row("西上线", "1Q", on),  # 2 malformed number
        _row("", f"{LINE}-002A", moved(middle, 20), "双立"),  # 3 good
        _row("", f"{LINE}-002B", moved(middle, -20), "双立"),  # 4 good
        _row("西上线", "001Q", on),  # 5 duplicate of row 1
        _row(LINE, "009Q", on),  # 6 already registered
        _row(LINE, "004A", moved(point_on(line, 0.45), 10)),  # 7 A without B
        _row(LINE, "005Q", off_line(line, 0.6, 300)),  # 8 300 m off the line
        _row(LINE, "006Q", (f"{on.y:.7f}", f"{on.x:.7f}")),  # 9 latitude/longitude swapped
        _row(LINE, "007A", moved(point_on(line, 0.7), 20)),  # 10 good
        _row(LINE, "007B", far_away),  # 11 outside the two sides
        _row("西东线", "001Q", on),  # 12 no such line
        _row(LINE, "008Q", point_on(line, 0.75), "双立"),  # 13 type does not fit Q
        _row(LINE, "010Q", ("东经114", f"{on.y:.7f}")),  # 14 not a number
        _row(LINE, "011Q", point_on(line, 0.8)),  # 15 bad bearing (below)
        _row("西平县外界", "012Q", on),  # 16 one-sided line
        _row(LINE, "013Q", point_on(line, 0.85)),  # 17 bad date (below)
    ]
    rows[14][8] = "400"
    rows[16][6] = "2021-13-01"
    path = tmp_path / "界桩登记表.csv"
    path.write_bytes(_csv(rows, "gbk"))
    with pytest.raises(ValidationError) as info:
        markers.import_file(path, actor="inspector1", sample=True)
    where = {(p.row, p.field) for p in info.value.problems}
    # the comments above count data rows; messages count as Excel does (header = row 1)
    assert where == {
        (3, "编号"),
        (6, "编号"),
        (7, "编号"),
        (8, "编号"),
        (9, "经度/纬度"),
        (10, "经度/纬度"),
        (12, "经度/纬度"),
        (13, "界线"),
        (14, "类型"),
        (15, "经度"),
        (16, "方位物1/方位角1/距离1"),
        (17, "界线"),
        (18, "登记日期"),
    }
    text = str(info.value)
    assert "未导入任何界桩" in text and "与第 2 行重复" in text and "经纬度可能颠倒" in text
    assert "缺少 004B" in text and "辖区范围" in text and "格式有误" in text
    assert [m.marker_id for m in markers.query()] == [f"{LINE}-009Q"]  # nothing stored
    assert len(demo_store.audit_entries(entity="markers")) == 1


def test_clean_files_in_utf8_gbk_and_xlsx_are_imported(demo_store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    lines = derive_zhumadian(demo_store)
    line = lines.get("411702-411725")  # 驿确线
    middle = point_on(line, 0.5)
    rows = [
        _row("驿确线", "001Q", point_on(line, 0.1)),
        _row("驿确线", "002C", moved(middle, 15), "三立"),
        _row("驿确线", "002D", moved(middle, -15), "三立"),
        _row("驿确线", "002E", moved(middle, 0, 15), "三立"),
    ]
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(_csv(rows, "utf-8-sig"))
    stored = Markers(demo_store).import_file(utf8, actor="admin1", sample=True)
    assert [m.marker_id for m in stored] == [
        "411702-411725-001Q", "411702-411725-002C", "411702-411725-002D", "411702-411725-002E",
    ]  # fmt: skip
    assert all(m.sample for m in stored) and stored[1].kind == "triple"
    assert demo_store.audit_entries(limit=1)[0].action == "markers.import"
    # English columns and one compact 方位物 column, in GBK
    line2 = lines.get("411702-411726")
    english = ["line", "number", "type", "material", "lon", "lat", "方位物"]
    p = point_on(line2, 0.5)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(
        _csv(
            [
                [
                    line2.line_id,
                    "001Q",
                    "single",
                    "混凝土",
                    str(p.x),
                    str(p.y),
                    "电线杆/45/30；水井/120°/18m；大树/300/25",
                ]
            ],
            "gbk",
            english,
        )
    )
    (marker,) = Markers(demo_store).import_file(gbk, actor="admin1")
    assert [r.description for r in marker.references] == ["电线杆", "水井", "大树"]
    assert marker.references[1].bearing_deg == 120.0 and marker.material == "混凝土"
    # XLSX
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    q = point_on(lines.get("411721-411728"), 0.5)
    sheet.append(["西遂线", "001Q", "单立", "花岗岩", q.x, q.y, None, *_refs()])
    xlsx = tmp_path / "markers.xlsx"
    book.save(xlsx)
    (from_xlsx,) = Markers(demo_store).import_file(xlsx, actor="admin1")
    assert from_xlsx.marker_id == "411721-411728-001Q" and len(from_xlsx.references) == 3
    assert distance_m(from_xlsx.location, q) < 0.01


def test_coordinates_in_another_crs_are_converted(demo_store, tmp_path: Path) -> None:
    import pyproj

    lines = derive_zhumadian(demo_store)
    p = point_on(lines.get(LINE), 0.5)
    x, y = pyproj.Transformer.from_crs(4490, 4547, always_xy=True).transform(p.x, p.y)
    path = tmp_path / "gk.csv"
    path.write_bytes(_csv([_row(LINE, "001Q", (f"{x:.3f}", f"{y:.3f}"))], "utf-8"))
    (marker,) = Markers(demo_store).import_file(path, actor="t", declared_crs="EPSG:4547")
    assert distance_m(marker.location, p) < 0.01
    with pytest.raises(ValidationError):  # metres read as degrees
        Markers(demo_store).import_file(path, actor="t")


def test_unreadable_files_are_clear_errors(demo_store, tmp_path: Path) -> None:
    derive_zhumadian(demo_store)
    no_columns = tmp_path / "a.csv"
    no_columns.write_text("名称,备注\n界桩,无\n", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        Markers(demo_store).import_file(no_columns, actor="t")
    assert {p.field for p in info.value.problems} == {"number", "lon", "lat"}
    latin = tmp_path / "b.csv"
    latin.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(InputFileError, match="UTF-8"):
        Markers(demo_store).import_file(latin, actor="t")
    pdf = tmp_path / "c.txt"
    pdf.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(InputFileError, match="不支持的文件格式：内容是 PDF"):
        Markers(demo_store).import_file(pdf, actor="t")
    empty = tmp_path / "d.csv"
    empty.write_bytes(_csv([], "utf-8"))
    with pytest.raises(InputFileError, match="没有界桩"):
        Markers(demo_store).import_file(empty, actor="t")
    assert read_marker_rows(empty) == []


def test_photos_are_kept_and_markers_retired_not_deleted(demo_store) -> None:
    lines = derive_zhumadian(demo_store)
    register_samples(demo_store)
    markers = Markers(demo_store)
    photo = markers.add_photo(f"{LINE}-001Q", "C:\\相机\\IMG_0001.jpg", JPEG,
                              actor="inspector1", note="东侧")  # fmt: skip
    assert (photo.filename, photo.size, photo.owner) == ("IMG_0001.jpg", len(JPEG), "marker")
    (again,) = markers.photos(f"{LINE}-001Q", with_content=True)
    assert again.content == JPEG
    with pytest.raises(ValidationError):
        markers.add_photo(f"{LINE}-001Q", "", b"", actor="t")
    with pytest.raises(ValidationError, match="停用原因"):
        markers.retire(f"{LINE}-003Q", actor="t", reason="")
    retired = markers.retire(f"{LINE}-003Q", actor="admin1", reason="河道改线，界桩拆除")
    assert retired.status == "retired"
    assert f"{LINE}-003Q" not in {m.marker_id for m in markers.query()}
    assert markers.get(f"{LINE}-003Q").status == "retired"
    assert len(markers.query(include_retired=True)) == 4
    with pytest.raises(ValidationError, match="已登记（已停用）"):  # numbers are never reused
        markers.register(f"{LINE}-003Q", point_on(lines.get(LINE), 0.8), actor="t")
    assert LINE_TOLERANCE_M == 50.0
