"""``geociv coverage`` on the demo store and a real GCJ-02 facility file."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
from click.testing import CliRunner

from geociv.cli import main
from tests.conftest import SHARED_DATA

SHANGHAI = SHARED_DATA / "elderly-care-poi" / "shanghai_iacc_eldercare_orgs_gcj02.csv"


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
    assert declared.exit_code == 2 and "第 12 行" in declared.output  # the row without coordinates
