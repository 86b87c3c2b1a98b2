"""``geociv boundaries`` as an inspector runs it, on the real Zhumadian demo store."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import date
from pathlib import Path

import pyogrio
from click.testing import CliRunner

from geociv.auth import local_actor
from geociv.boundaries.inspections import Inspections
from geociv.boundaries.registry import BoundaryLines
from geociv.cli import main
from geociv.divisions import Divisions, division_record
from geociv.store import open_store
from tests.boundary_field import Q1, prepare_field
from tests.boundary_setup import (
    LINE,
    NEIGHBOUR_CITIES,
    add_far_county,
    moved,
    point_on,
    records_read,
)
from tests.conftest import PASSWORD, ROOT
from tests.sample_files import jpeg_bytes

TODAY = date.today().isoformat()
REFS = "电杆/10/20；井/90/15；树/200/30"


def run(store: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["--store", str(store), *args], input=input)


def sign(store: Path, rid: str, user: str, *args: str, password: str = PASSWORD):
    """``geociv boundaries sign RID --as USER`` with USER's password on standard input."""
    return run(
        store, "boundaries", "sign", rid, "--as", user, "--password-stdin", *args,
        input=password + "\n",
    )  # fmt: skip


def _neighbours(path: Path) -> None:
    """Put the neighbouring counties' polygons (and their cities) in the store."""
    store = open_store(path)
    divisions = Divisions(store)
    divisions.load_records(
        [division_record(c, n) for c, n in NEIGHBOUR_CITIES.items()], actor="system"
    )
    divisions.load_polygons(ROOT / "data/boundaries/zhumadian_neighbours.geojson", actor="t")
    store.close()


def test_derive_lines_with_the_neighbours_list_and_check_topology(demo_path: Path) -> None:
    _neighbours(demo_path)
    names = ROOT / "data" / "boundaries" / "line_names.csv"
    result = run(demo_path, "boundaries", "derive", "--names", str(names))
    assert result.exit_code == 0, result.output
    assert "辖区县级区划 10 个，相邻区划 15 个" in result.output
    assert "新增 42" in result.output and "现行界线 42 条" in result.output
    again = run(demo_path, "boundaries", "derive")  # names already given are kept
    assert "新增 0、新版本 0、未变 42" in again.output
    only = run(demo_path, "boundaries", "derive", "--no-neighbours")
    assert "现行界线 42 条" in only.output  # the edge lines with the neighbours stay
    provincial = run(demo_path, "boundaries", "lines", "--level", "provincial")
    assert provincial.output.count("豫皖线") == 2 and "省级\t外界" in provincial.output
    rows = [
        json.loads(line)
        for line in run(demo_path, "boundaries", "lines", "--json").output.splitlines()
    ]
    xishang = next(r for r in rows if r["line_id"] == LINE)
    assert (xishang["name"], xishang["left"], xishang["right"]) == ("西上线", "411721", "411722")
    qa = run(demo_path, "boundaries", "qa")
    assert qa.exit_code == 0 and "10 个区划，未发现拓扑问题" in qa.output
    store = open_store(demo_path)
    assert store.audit_entries(limit=1)[0].actor == local_actor()
    store.close()
    unknown = run(demo_path, "boundaries", "derive", "--parent", "410100")
    assert unknown.exit_code == 1 and "未找到区划代码 410100" in unknown.output


def test_derive_reads_only_the_counties_near_the_jurisdiction(demo_path: Path, monkeypatch) -> None:
    """The neighbours are found by the store's spatial index around the jurisdiction: a county
    far away is never read (the whole country's counties would be, otherwise)."""
    _neighbours(demo_path)
    store = open_store(demo_path)
    far = add_far_county(store)
    store.close()
    read = records_read(type(store), "query_divisions", "code", monkeypatch)
    result = run(demo_path, "boundaries", "derive")
    assert result.exit_code == 0, result.output
    assert "辖区县级区划 10 个，相邻区划 15 个" in result.output
    assert far not in read and "341221" in read  # 临泉县 (Anhui), a neighbour


def test_import_markers_check_sign_findings_report_export(demo_path: Path, tmp_path: Path) -> None:
    store = open_store(demo_path)
    plan, markers = prepare_field(store)
    line = BoundaryLines(store).get("411702-411725")
    store.close()
    a = point_on(line, 0.4)
    csv_path = tmp_path / "界桩登记表.csv"
    with open(csv_path, "w", encoding="gbk", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["界线", "编号", "经度", "纬度", "方位物"])
        writer.writerow(["驿确线", "001Q", f"{a.x:.7f}", f"{a.y:.7f}", REFS])
        writer.writerow(["驿确线", "002A", f"{a.x:.7f}", f"{a.y:.7f}", ""])
    bad = run(demo_path, "boundaries", "markers", "import", str(csv_path))
    assert bad.exit_code == 2 and "第 3 行" in bad.output and "不成套" in bad.output
    with open(csv_path, "w", encoding="gbk", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["界线", "编号", "经度", "纬度", "方位物"])
        writer.writerow(["驿确线", "001Q", f"{a.x:.7f}", f"{a.y:.7f}", REFS])
    good = run(demo_path, "boundaries", "markers", "import", str(csv_path))
    assert good.exit_code == 0, good.output
    assert "已导入 1 颗界桩" in good.output and "411702-411725-001Q" in good.output
    listed = run(demo_path, "boundaries", "markers", "list", "--line", LINE)
    assert listed.output.count("示例") == 4 and "共 4 颗" in listed.output

    where = moved(markers[Q1].location, 0, -8)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg_bytes())
    check = run(
        demo_path, "boundaries", "check", str(plan.plan_id), Q1, "--condition", "完好",
        "--lon", f"{where.x:.7f}", "--lat", f"{where.y:.7f}", "--accuracy", "2",
        "--references", "1,1,1", "--date", TODAY, "--photo", str(photo),
    )  # fmt: skip
    assert check.exit_code == 0, check.output
    rid = check.output.split("\n")[1].split("\t")[0]
    assert rid.startswith("I") and "待签字" in check.output and "完好" in check.output
    twice = run(demo_path, "boundaries", "check", str(plan.plan_id), Q1, "--condition", "丢失")
    assert twice.exit_code == 2 and "已有检查记录" in twice.output
    half = run(demo_path, "boundaries", "check", str(plan.plan_id), Q1, "--condition", "完好",
               "--lon", "114.2")  # fmt: skip
    assert half.exit_code == 2 and "--lon 与 --lat 须同时给出" in half.output

    # Signing as an inspector needs that inspector's password (checked like a log-in).
    forged = sign(demo_path, rid, "inspector1", password="not-his-password")
    assert forged.exit_code == 1 and "用户名或密码错误" in forged.output
    with open_store(demo_path) as store:
        assert Inspections(store).get(rid).signatures == ()
        entry = store.audit_entries(actor="inspector1", limit=1)[0]
        assert entry.action == "auth.login_failed" and local_actor() in entry.note
    first = sign(demo_path, rid, "inspector1", "--note", "现场核实")
    assert first.exit_code == 0 and "左侧：inspector1（411721）" in first.output
    pending = run(demo_path, "boundaries", "records", "--pending-for", "inspector2")
    assert rid in pending.output
    second = sign(demo_path, rid, "inspector1")
    assert second.exit_code == 2 and "同一方不能再次签字" in second.output
    stranger = sign(demo_path, rid, "inspector3")
    assert stranger.exit_code == 2 and "不属于界线 西上线 的任何一侧" in stranger.output
    done = run(demo_path, "boundaries", "sign", rid, "--as", "inspector2", input=PASSWORD + "\n")
    assert PASSWORD not in done.output  # typed at a hidden prompt
    assert done.exit_code == 0 and "双方已签字" in done.output
    missing = sign(demo_path, "I1999-0001", "inspector2")
    assert missing.exit_code == 1 and "未找到联检记录" in missing.output
    store = open_store(demo_path)
    assert len(Inspections(store).photos(rid)) == 1
    store.close()

    found = run(demo_path, "boundaries", "findings")
    assert found.exit_code == 3 and "[B5-DISPLACED]" in found.output and "8.0 米" in found.output

    year = str(date.today().year)
    docx, html = tmp_path / "报告.docx", tmp_path / "报告.html"
    report = run(demo_path, "boundaries", "report", "--year", year, "--docx", str(docx),
                 "--html", str(html))  # fmt: skip
    assert report.exit_code == 0, report.output
    assert "驻马店市" in report.output and "（含示例数据）" in report.output
    assert docx.read_bytes()[:2] == b"PK" and "data:image/png" in html.read_text(encoding="utf-8")
    data = json.loads(run(demo_path, "boundaries", "report", "--year", year, "--json").output)
    assert data["totals"]["displaced"] == 1 and data["totals"]["inspected"] == 1
    both = run(demo_path, "boundaries", "report", "--year", year, "--round", "6")
    assert both.exit_code == 2 and "须给出 --year 或 --round 之一" in both.output
    assert run(demo_path, "boundaries", "report", "--round", "9").exit_code == 1

    for fmt, name in (("gpkg", "x.gpkg"), ("shp", "x.zip"), ("kml", "x.kml"), ("gpx", "x.gpx")):
        out = tmp_path / name
        result = run(demo_path, "boundaries", "export", "--format", fmt, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert "界桩 5 颗" in result.output and out.stat().st_size > 0
    markers_layer = pyogrio.read_dataframe(tmp_path / "x.gpkg", layer="markers")
    assert Q1 in set(markers_layer["number"])
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        assert "boundary_lines.shp" in zf.namelist()
    assert (tmp_path / "x.gpx").read_text(encoding="utf-8").count("<wpt ") == 5


def test_help_is_in_chinese() -> None:
    result = CliRunner().invoke(main, ["boundaries", "--help"])
    assert result.exit_code == 0
    for command in ("derive", "qa", "lines", "markers", "check", "sign", "report", "export"):
        assert command in result.output
    assert "界线联检" in result.output
    text = CliRunner().invoke(main, ["boundaries", "sign", "--help"]).output
    assert "每一方只能为本方签字" in text and "--as USER" in text


def test_plan_opens_the_round_and_plans_a_line(demo_path: Path) -> None:
    store = open_store(demo_path)
    from tests.boundary_setup import derive_zhumadian

    derive_zhumadian(store)
    store.close()
    result = run(
        demo_path,
        "boundaries",
        "plan",
        "411702-411725",
        "--left-team",
        "张三,李四",
        "--right-team",
        "王五",
    )
    assert result.exit_code == 0, result.output
    assert "驿确线" in result.output and "计划" in result.output
    again = run(demo_path, "boundaries", "plan", "411702-411725")
    assert again.exit_code == 2  # one regular plan per line and round
    unknown = run(demo_path, "boundaries", "plan", "411702-419999")
    assert unknown.exit_code != 0 and "411702-419999" in unknown.output
