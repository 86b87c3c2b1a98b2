"""``geociv coverage`` on the demo store and a real GCJ-02 facility file."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
from click.testing import CliRunner

from geociv.cli import main
from tests.conftest import BEIJING_PBF, POI, WUHAN_60, ZHENGZHOU_TOWNSHIPS

SHANGHAI = POI / "shanghai_iacc_eldercare_orgs_gcj02.csv"


def run(store: Path, *args: str):
    return CliRunner().invoke(main, ["--store", str(store), *args])


def test_run_on_the_demo_reports_the_headline_and_writes_the_gaps(demo_path, tmp_path) -> None:
    result = run(
        demo_path,
        "coverage",
        "run",
        "辅具租赁服务站",
        "--json",
        "--uncovered",
        str(tmp_path / "gaps.gpkg"),
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert "主城区面积" in body["headline"] and "直线距离估算" in body["headline"]
    assert body["inputs"]["method"] == "fallback" and body["inputs"]["speed_mps"] == 0.8
    assert len(pyogrio.read_dataframe(tmp_path / "gaps.gpkg")) >= 1
    listing = run(demo_path, "coverage", "facilities", "--type", "辅具租赁服务站")
    assert "共 10 处" in listing.output


def test_import_needs_a_declared_crs_and_names_the_bad_row(demo_path) -> None:
    undeclared = run(demo_path, "coverage", "import", str(SHANGHAI), "--type", "日间照料中心")
    assert undeclared.exit_code == 2 and "必须声明坐标系" in undeclared.output
    declared = run(
        demo_path, "coverage", "import", str(SHANGHAI), "--crs", "GCJ02", "--type", "日间照料中心"
    )
    assert declared.exit_code == 2 and "第 13 行" in declared.output  # the row without coordinates


def test_skip_invalid_imports_the_valid_rows_and_writes_the_rejected_ones(
    demo_path, tmp_path: Path
) -> None:
    from tests.sample_files import facility_csv, facility_rows

    path = tmp_path / "设施登记.csv"
    path.write_bytes(facility_csv(facility_rows(70, bad_row=38)))
    refused = run(demo_path, "coverage", "import", str(path), "--crs", "CGCS2000")
    assert refused.exit_code == 2 and "第 38 行" in refused.output and "床位" in refused.output
    lonely = run(demo_path, "coverage", "import", str(path), "--crs", "CGCS2000", "--rejected", "x")
    assert lonely.exit_code == 2 and "--skip-invalid" in lonely.output
    out = tmp_path / "被拒.csv"
    done = run(
        demo_path, "coverage", "import", str(path), "--crs", "CGCS2000",
        "--skip-invalid", "--rejected", str(out),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "已导入 69 处服务设施，跳过 1 行" in done.output and "原第 38 行" in done.output
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[0].endswith(",原因") and "三十张" in lines[1]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


PBF = BEIJING_PBF
RASTER = WUHAN_60
TOWNSHIPS = ZHENGZHOU_TOWNSHIPS


def test_networks_rasters_and_zones_are_imported_listed_and_checked(demo_path) -> None:
    imported = run(demo_path, "coverage", "network", "import", str(PBF), "--name", "海淀示例")
    assert imported.exit_code == 0, imported.output
    assert "路网 RN0001（海淀示例）" in imported.output and "连通分量 13 个" in imported.output
    listing = run(demo_path, "coverage", "network", "list")
    assert "RN0001\t海淀示例\t1500 条路段" in listing.output and "共 1 个路网" in listing.output
    # the demo's Zhumadian stations are ~800 km from a Beijing network: all flagged far
    snap = run(demo_path, "coverage", "network", "snap", "RN0001", "--type", "辅具租赁服务站")
    assert snap.exit_code == 0, snap.output
    assert snap.output.count("距离超过 500 米") == 10 and "共 10 处设施" in snap.output
    assert "警告：10 处设施距路网超过 500 米" in snap.output
    unknown = run(demo_path, "coverage", "network", "snap", "RN0042")
    assert unknown.exit_code == 2 and "路网 RN0042 不存在" in unknown.output

    raster = run(demo_path, "coverage", "raster", "import", str(RASTER), "--label", "60岁以上人口")
    assert raster.exit_code == 0, raster.output
    assert "PR0001（60岁以上人口）" in raster.output and "1,178,193 人" in raster.output
    assert "PR0001\t60岁以上人口" in run(demo_path, "coverage", "raster", "list").output

    zones = run(demo_path, "coverage", "zones", "import", str(TOWNSHIPS), "--name", "郑州街道",
                "--kind", "subdistrict")  # fmt: skip
    assert zones.exit_code == 0, zones.output
    assert "ZS0003（郑州街道）：160 个单元" in zones.output  # ZS0001/2 are the demo's
    listed = run(demo_path, "coverage", "zones", "list", "--kind", "subdistrict")
    assert "主城区示例统计网格" in listed.output and "郑州街道" in listed.output
    assert "共 2 组统计单元" in listed.output
    bad_kind = run(demo_path, "coverage", "zones", "import", str(TOWNSHIPS), "--name", "x",
                   "--kind", "district")  # fmt: skip
    assert bad_kind.exit_code == 2


def test_run_takes_stored_zone_sets_and_keeps_the_old_options(demo_path) -> None:
    result = run(demo_path, "coverage", "run", "辅具租赁服务站", "--aoi-zones", "ZS0001",
                 "--zones", "ZS0002", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert "驻马店市主城区（示例）面积" in body["headline"]
    assert "服务单元覆盖达标" in body["headline"]
    assert body["inputs"]["zones"] == 64
    old = json.loads(run(demo_path, "coverage", "run", "辅具租赁服务站", "--json").output)
    # the stored main urban area is the same polygon as the file the old option reads
    assert old["inputs"]["aoi"]["area_km2"] == body["inputs"]["aoi"]["area_km2"]
    far = run(demo_path, "coverage", "run", "辅具租赁服务站", "--network", "RN0009")
    assert far.exit_code == 2 and "路网 RN0009 不存在" in far.output
    both = run(demo_path, "coverage", "run", "辅具租赁服务站", "--pbf", str(PBF), "--network",
               "RN0001")  # fmt: skip
    assert both.exit_code == 2 and "只能给出其一" in both.output


def test_run_reads_a_stored_raster_by_id(demo_path) -> None:
    assert run(demo_path, "coverage", "raster", "import", str(RASTER), "--label", "60岁以上人口")
    result = run(demo_path, "coverage", "run", "辅具租赁服务站", "--raster-id", "PR0001", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["inputs"]["raster_label"] == "60岁以上人口"
    assert Path(body["inputs"]["raster"]).read_bytes() == RASTER.read_bytes()
    assert "60岁以上人口" in body["headline"]  # Wuhan's raster holds nobody in Zhumadian: "—"


def test_gcj02_facilities_declared_as_wgs84_are_caught_by_the_network(
    demo_path, tmp_path: Path
) -> None:
    from geociv.crs import convert_lonlat
    from tests.test_coverage_offsets import sample_points, write_csv

    imported = run(demo_path, "coverage", "network", "import", str(PBF), "--name", "海淀")
    assert imported.exit_code == 0, imported.output
    amap = write_csv(tmp_path / "amap.csv", *convert_lonlat(*sample_points(), "WGS84", "GCJ02"))
    refused = run(demo_path, "coverage", "import", str(amap), "--crs", "WGS84",
                  "--network", "RN0001")  # fmt: skip
    assert refused.exit_code == 2, refused.output
    assert "字段 crs" in refused.output and "请以 GCJ02 重新导入" in refused.output
    listing = run(demo_path, "coverage", "facilities", "--type", "日间照料中心")
    before = listing.output.count("\n")
    # imported without the check, the shifted points are found by `network snap`
    assert run(demo_path, "coverage", "import", str(amap), "--crs", "WGS84").exit_code == 0
    after = run(demo_path, "coverage", "facilities", "--type", "日间照料中心").output
    assert after.count("\n") == before + 30
    snap = run(demo_path, "coverage", "network", "snap", "RN0001")
    assert snap.exit_code == 0, snap.output
    assert "坐标系检查：按所声明的 CGCS2000" in snap.output
    assert "GCJ-02（高德/腾讯）" in snap.output and "请以 GCJ02 重新导入" in snap.output
    # the demo's Zhumadian facilities lie far outside the network: not compared, no false alarm
    alone = run(demo_path, "coverage", "network", "snap", "RN0001", "--type", "辅具租赁服务站")
    assert "GCJ02" not in alone.output and "没有设施位于路网范围内" in alone.output
