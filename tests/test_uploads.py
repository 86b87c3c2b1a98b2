"""geociv.uploads: content sniffing, bounds, the GeoPackage inspection, the live-store guard,
the CLI going through the same reader, and photos (content checks, thumbnails on pages)."""

from __future__ import annotations

import random
import sqlite3
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from geociv import uploads
from geociv.cli import main
from geociv.errors import InputFileError
from geociv.uploads.limits import MAX_TABLE_ROWS
from tests.data.hostile.make_hostile import (
    _CONTENT_TYPES,
    _RELS,
    _SHEET_HEAD,
    _WORKBOOK,
    _WORKBOOK_RELS,
    vrt_for,
)
from tests.upload_cases import roads_geojson, zone_geojson


def _xlsx(path: Path, rows: int, *, dimension: str | None, values: bool = True) -> Path:
    """A workbook whose first sheet has ``rows`` rows of one random number (low compression
    ratio), with a declared ``dimension`` (or none)."""
    rng = random.Random(9)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("xl/workbook.xml", _WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)):  # fmt: skip
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            head = f'<dimension ref="{dimension}"/>' if dimension else ""
            sheet.write(f"{_SHEET_HEAD}{head}<sheetData>".encode())
            chunk = []
            for r in range(1, rows + 1):
                value = rng.randrange(10**9) if values else 1
                chunk.append(f'<row r="{r}"><c r="A{r}"><v>{value}</v></c></row>')
                if len(chunk) == 5000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return path


def test_a_workbook_declaring_1_5_million_cells_is_refused_at_once(tmp_path: Path) -> None:
    book = _xlsx(tmp_path / "界桩.xlsx", 20, dimension="A1:O100000")
    started = time.perf_counter()
    with pytest.raises(InputFileError, match=r"单元格数上限|超过上限") as info:
        uploads.read_table(book)
    assert time.perf_counter() - started < 0.5
    assert info.value.problems[0].field == "file"


def test_a_workbook_without_dimension_stops_at_the_row_cap(tmp_path: Path) -> None:
    book = _xlsx(tmp_path / "地名.xlsx", MAX_TABLE_ROWS + 10, dimension=None)
    with pytest.raises(InputFileError, match="行"):
        uploads.read_table(book)


def test_csv_rows_and_fields_are_bounded(tmp_path: Path) -> None:
    many = tmp_path / "many.csv"
    many.write_text("名称\n" + "a\n" * (MAX_TABLE_ROWS + 5), encoding="utf-8")
    with pytest.raises(InputFileError, match="行数上限"):
        uploads.read_table(many)
    wide = tmp_path / "wide.csv"
    wide.write_text('名称,备注\n正常,x\n"' + "长" * 70_000 + '",y\n', encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        uploads.read_table(wide)
    assert (info.value.problems[0].row, info.value.problems[0].field) == (3, "file")  # as in Excel


def test_a_geopackage_written_by_gdal_with_its_spatial_index_is_read(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "站点.gpkg"
    frame = gpd.GeoDataFrame({"name": ["站"]}, geometry=[Point(114.0, 33.0)], crs=4490)
    frame.to_file(path, driver="GPKG", layer="站点")  # R-tree table and triggers included
    names = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert any(n.startswith("rtree_") for n in names)
    assert list(uploads.read_vector(path)["name"]) == ["站"]


def test_zips_are_checked_before_unpacking(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(114.0, 33.0)], crs=4490)
    frame.to_file(tmp_path / "a.shp")
    parts = {p.suffix: p.read_bytes() for p in tmp_path.glob("a.*")}
    good = tmp_path / "道路.zip"
    with zipfile.ZipFile(good, "w") as z:
        for suffix, content in parts.items():
            z.writestr(f"文件夹/道路{suffix}", content)
    assert len(uploads.read_vector(good)) == 1
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as z:
        for suffix, content in parts.items():
            z.writestr(f"a{suffix}", content)
        info = zipfile.ZipInfo("b.shp")
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(InputFileError, match=r"符号链接|恰有一个"):
        uploads.read_vector(link)
    twice = tmp_path / "twice.zip"
    with zipfile.ZipFile(twice, "w") as z:
        for stem in ("a", "b"):
            for suffix, content in parts.items():
                z.writestr(f"{stem}{suffix}", content)
    with pytest.raises(InputFileError, match=r"恰有一个 \.shp"):
        uploads.read_vector(twice)


def test_a_name_that_promises_another_kind_is_refused(tmp_path: Path) -> None:
    geojson = tmp_path / "站点.csv"
    geojson.write_bytes(zone_geojson())
    with pytest.raises(InputFileError, match=r"文件名（\.csv）与内容（GeoJSON）不符"):
        uploads.read_vector(geojson)
    vrt = tmp_path / "zones.geojson"
    for source in ("/nowhere/store.gpkg", "PG:dbname=geociv host=/run/postgresql user=geociv"):
        vrt.write_bytes(vrt_for(source))  # the file store, or a PostGIS store through GDAL's driver
        refused = r"不支持的文件格式：内容是 GDAL VRT（XML）"
        with pytest.raises(InputFileError, match=refused) as info:
            uploads.read_vector(vrt)
        assert info.value.problems[0].field == "file"


def test_the_live_store_is_never_opened_by_a_reader(demo_store, demo_path: Path) -> None:
    with pytest.raises(InputFileError, match="正在使用的 geociv 存储文件"):
        uploads.read_vector(demo_path)
    with pytest.raises(InputFileError, match="正在使用"):
        uploads.read_table(demo_path)
    from geociv.store import Term

    # the store still writes and its WAL is still there
    demo_store.add_term(Term("brand", "仍可写入", ""), actor="t")
    assert Path(f"{demo_path}-wal").exists()


def test_the_cli_imports_go_through_the_same_reader(demo_path: Path, tmp_path: Path) -> None:
    vrt = tmp_path / "街道.geojson"
    vrt.write_bytes(vrt_for(demo_path))
    result = CliRunner().invoke(
        main,
        [
            "--store",
            str(demo_path),
            "coverage",
            "zones",
            "import",
            str(vrt),
            "--name",
            "x",
            "--kind",
            "other",
        ],
    )
    assert result.exit_code != 0 and "GDAL VRT" in result.output, result.output
    roads = tmp_path / "道路.geojson"
    roads.write_bytes(roads_geojson())
    ok = CliRunner().invoke(
        main, ["--store", str(demo_path), "coverage", "network", "import", str(roads),
               "--name", "测试路网"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output


def test_gdal_reads_uploads_with_network_and_vrt_tricks_off(tmp_path: Path) -> None:
    import pyogrio

    from geociv.uploads.fence import GDAL_CONFIG

    roads = tmp_path / "道路.geojson"
    roads.write_bytes(roads_geojson())
    assert len(uploads.read_vector(roads)) == 2
    for name in ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", "GDAL_VRT_ENABLE_PYTHON",
                 "GDAL_DISABLE_READDIR_ON_OPEN"):  # fmt: skip
        assert pyogrio.get_gdal_config_option(name) == GDAL_CONFIG[name]
