"""Batch coverage over the Zhumadian demo's counties on Dask, checked against one-by-one runs.

Two Dask clusters in the whole file: a threaded one listening on real TCP (module fixture; its
address is passed as ``scheduler``, so tasks and their arguments cross a real comm and are
serialised), and the default local cluster that :func:`batch_coverage` starts itself (one test).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

from geociv.cli import main
from geociv.coverage import batch
from geociv.coverage.batch import batch_coverage, coverage_of_unit
from geociv.coverage.service import Coverage
from geociv.coverage.stored import CoverageInputs
from geociv.errors import Problem, ValidationError
from geociv.store import Store
from tests.conftest import free_port

COUNTIES = [f"4117{n:02d}" for n in (2, 21, 22, 23, 24, 25, 26, 27, 28, 29)]
ALL_TYPES = ["rental_station", "day_care", "nursing_home", "subdistrict_center"]
FIGURES = ("area_km2", "area_share", "covered_area_km2", "uncovered_area_km2")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Address of a threaded dask.distributed cluster on TCP, shared by the file's tests."""
    from distributed import LocalCluster

    with LocalCluster(
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        n_workers=1,
        threads_per_worker=2,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def one_by_one(store: Store, code: str, **kwargs):
    """Coverage.run on one division, or None when no facility is within reach."""
    try:
        return Coverage(store).run(actor="t", aoi=code, record=False, **kwargs)
    except ValidationError as exc:
        assert exc.title == "没有设施", exc
        return None


def test_ten_counties_match_one_by_one_runs_and_are_stored_once(
    demo_store: Store, scheduler: str
) -> None:
    seen: list[tuple[float, str]] = []
    runs_before = len(demo_store.coverage_runs())
    result = batch_coverage(
        demo_store,
        ["辅具租赁服务站"],
        parent="411700",
        actor="planner1",
        scheduler=scheduler,
        progress=lambda f, m: seen.append((f, m)),
    )
    table = result.table.set_index("code")
    assert list(table.index) == COUNTIES and table.crs.to_epsg() == 4490
    assert table.loc["411702", "name"] == "驿城区"
    assert table.loc["411702", "area_share"] > 0
    assert table.loc["411702", "facilities"] == table.loc["411702", "facilities_in_reach"] == 10
    assert table.loc["411702", "note"] == ""
    others = table.drop(index="411702")
    assert (others["area_share"] == 0).all() and (others["covered_area_km2"] == 0).all()
    assert (others["facilities"] == 0).all() and (others["facilities_in_reach"] == 0).all()
    assert others["note"].str.contains("没有设施").all()
    assert "population" not in table.columns

    for code, row in table.iterrows():
        single = one_by_one(demo_store, code, types=["rental_station"])
        division = demo_store.get_division(code)
        assert row.geometry.equals(division.geometry)
        if single is None:
            assert row["facilities_in_reach"] == 0
            assert math.isclose(row["area_km2"], division.area_km2, rel_tol=1e-3)
            assert row["uncovered_area_km2"] == row["area_km2"]
            continue
        assert row["facilities_in_reach"] == len(single.inputs["facility_ids"])
        assert row["area_km2"] == pytest.approx(single.aoi_area_km2, abs=1e-9)
        assert row["area_share"] == pytest.approx(single.area_share, abs=1e-9)
        assert row["covered_area_km2"] == pytest.approx(single.covered_area_km2, abs=1e-9)
        assert row["uncovered_area_km2"] == pytest.approx(
            single.aoi_area_km2 - single.covered_area_km2, abs=1e-9
        )

    overall = result.overall
    assert overall["divisions"] == 10 and overall["facilities"] == 10
    assert overall["divisions_covered"] == 1 and overall["best"]["name"] == "驿城区"
    assert overall["area_share"] == pytest.approx(
        table["covered_area_km2"].sum() / table["area_km2"].sum(), abs=1e-12
    )
    assert result.headline.startswith("驻马店市 10 个县级单元：15分钟社区租赁服务圈平均覆盖 ")
    assert "最高 驿城区 " in result.headline and result.headline.endswith("（直线距离估算）")

    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum("完成" in m for _, m in seen) == 10

    inputs = result.inputs()
    assert inputs["types"] == ["rental_station"] and inputs["minutes"] == 15.0
    assert inputs["method"] == "fallback" and inputs["speed_mps"] == 0.8
    assert inputs["codes"] == COUNTIES and inputs["network_snapshot"] is None
    assert inputs["statuses"] == ["existing"] and inputs["speed"] == "elderly"
    assert (inputs["detour"], inputs["access_m"]) == (1.3, None)
    assert inputs["raster"] is None and inputs["raster_label"] is None
    assert inputs["scheduler"] == {"kind": "distributed", "address": scheduler, "n_workers": 2}
    assert result.elapsed_s > 0

    runs = demo_store.coverage_runs()
    assert len(runs) == runs_before + 1
    stored = demo_store.get_coverage_run(result.run_id)
    assert stored is not None and stored.kind == "batch:rental_station"
    assert stored.actor == "planner1" and stored.params["codes"] == COUNTIES
    assert stored.summary["headline"] == result.headline
    rows = stored.summary["divisions_table"]
    assert [r["code"] for r in rows] == COUNTIES
    assert rows[0]["area_share"] == pytest.approx(table.loc["411702", "area_share"], abs=1e-12)
    audit = demo_store.audit_entries(entity="coverage_runs", key=result.run_id)
    assert [(e.actor, e.action) for e in audit] == [("planner1", "coverage.run")]
    assert audit[0].after is not None and audit[0].after["kind"] == "batch:rental_station"


def test_facilities_of_neighbours_cover_a_county_with_none_inside(
    demo_store: Store, scheduler: str
) -> None:
    result = batch_coverage(
        demo_store, ALL_TYPES, codes=["411728", "411702", "411721"], minutes=60,
        actor="t", scheduler=scheduler, record=False,
    )  # fmt: skip
    table = result.table.set_index("code")
    assert list(table.index) == ["411728", "411702", "411721"]
    suiping = table.loc["411728"]  # 遂平县: no facility inside, two within an hour's walk
    assert suiping["facilities"] == 0 and suiping["facilities_in_reach"] > 0
    assert suiping["area_share"] > 0 and "周边设施" in suiping["note"]
    for code, row in table.iterrows():
        single = one_by_one(demo_store, code, types=ALL_TYPES, minutes=60)
        if single is None:
            assert row["area_share"] == 0
            continue
        for figure, value in zip(
            FIGURES,
            (single.aoi_area_km2, single.area_share, single.covered_area_km2,
             single.aoi_area_km2 - single.covered_area_km2),
            strict=True,
        ):  # fmt: skip
            assert row[figure] == pytest.approx(value, abs=1e-9), (code, figure)
    assert result.headline.startswith("驻马店市 3 个县级单元：60分钟养老服务圈")
    assert result.run_id == "" and not demo_store.coverage_runs()


def test_zones_of_a_stored_set_match_one_by_one_runs(demo_store: Store, scheduler: str) -> None:
    inputs = CoverageInputs(demo_store)
    zones = inputs.zones("ZS0002")
    result = batch_coverage(
        demo_store, "辅具租赁服务站", zone_set="ZS0002", actor="t", scheduler=scheduler,
        record=False,
    )  # fmt: skip
    assert len(result.table) == len(zones) == 64
    assert result.headline.startswith("主城区示例统计网格 64 个统计单元：")
    assert 0 < result.overall["divisions_covered"] < 64
    for i in range(len(zones)):
        row = result.table.iloc[i]
        zone = zones.iloc[[i]]
        assert row["code"] == (zone["code"].iloc[0] or f"ZS0002-{i + 1}")
        try:
            single = Coverage(demo_store).run(
                "rental_station", actor="t", aoi=zone, aoi_name=row["name"], record=False
            )
        except ValidationError:
            assert row["area_share"] == 0 and row["facilities_in_reach"] == 0
            continue
        assert row["area_share"] == pytest.approx(single.area_share, abs=1e-9)
        assert row["covered_area_km2"] == pytest.approx(single.covered_area_km2, abs=1e-9)
    # every stored rental station lies in one zone of the grid (or on a shared edge)
    assert result.table["facilities"].sum() >= 10 and result.overall["facilities"] == 10


def zhumadian_raster(store: Store, path: Path) -> Path:
    """A made-up population raster over 驻马店市 (0.01° cells, people rising to the east)."""
    west, south, east, north = store.get_division("411700").geometry.bounds
    cell = 0.01
    width, height = math.ceil((east - west) / cell) + 2, math.ceil((north - south) / cell) + 2
    values = np.tile(np.linspace(10, 200, width, dtype="float32"), (height, 1))
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
        crs="EPSG:4490", transform=from_origin(west - cell, north + cell, cell, cell),
    ) as dst:  # fmt: skip
        dst.write(values, 1)
    return path


def test_default_local_cluster_with_a_raster(demo_store: Store, tmp_path: Path) -> None:
    raster = CoverageInputs(demo_store).import_raster(
        zhumadian_raster(demo_store, tmp_path / "pop.tif"), label="60岁以上人口", actor="t"
    )
    path = CoverageInputs(demo_store).raster_path(raster.raster_id)
    result = batch_coverage(
        demo_store, ALL_TYPES, codes=["411702", "411728", "411721"], minutes=60,
        raster_id=raster.raster_id, actor="t", workers=2, record=False,
    )  # fmt: skip
    inputs = result.inputs()
    assert inputs["scheduler"] == {"kind": "local-threads", "address": None, "n_workers": 2}
    assert inputs["raster_id"] == raster.raster_id and inputs["raster_label"] == "60岁以上人口"
    table = result.table.set_index("code")
    assert (table["population"] > 0).all()
    assert table.loc["411721", "covered_population"] == 0
    assert table.loc["411721", "population_share"] == 0
    for code, row in table.iterrows():
        single = one_by_one(demo_store, code, types=ALL_TYPES, minutes=60, raster=path)
        if single is None:
            continue
        assert single.population is not None
        assert row["population"] == pytest.approx(single.population.total, abs=1e-9)
        assert row["covered_population"] == pytest.approx(single.population.covered, abs=1e-9)
        assert row["population_share"] == pytest.approx(single.population.share, abs=1e-9)
        assert row["area_share"] == pytest.approx(single.area_share, abs=1e-9)
    overall = result.overall
    assert overall["population_share"] == pytest.approx(
        table["covered_population"].sum() / table["population"].sum()
    )
    assert "60岁以上人口覆盖 " in result.headline
    json.dumps(result.summary(), allow_nan=False)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"codes": ["411702", "411799"]}, "codes", "411799 不存在"),
        ({"codes": ["41170"]}, "codes", "41170"),
        ({"codes": []}, "codes", "至少给出一个区划代码"),
        ({"parent": "411799"}, "parent", "411799"),
        ({"parent": "411700", "level": "township"}, "parent", "没有边界多边形"),
        ({"parent": "411700", "codes": ["411702"]}, "parent", "只给出以下之一"),
        ({}, "parent", "只给出以下之一"),
        ({"parent": "411700", "types": ["养老"]}, "types", "未知的设施类型"),
        ({"parent": "411700", "minutes": 0}, "minutes", "0–120"),
        ({"parent": "411700", "speed": "crawl"}, "speed", "crawl"),
        ({"parent": "411700", "scheduler": "localhost:8786"}, "scheduler", "tcp://"),
        ({"parent": "411700", "workers": 0}, "workers", "1–64"),
        ({"parent": "411700", "raster_id": "PR0099"}, "raster_id", "PR0099"),
        ({"zone_set": "ZS0099"}, "set_id", "ZS0099"),
        ({"parent": "411700", "types": ["fitting_center"]}, "types", "existing"),
    ],
)
def test_bad_input_is_named_and_nothing_is_stored(
    demo_store: Store, kwargs: dict, field: str, words: str
) -> None:
    kwargs = {"types": ["rental_station"], **kwargs}
    with pytest.raises(ValidationError) as info:
        batch_coverage(demo_store, kwargs.pop("types"), actor="t", **kwargs)
    problems = info.value.problems
    assert any(p.field == field for p in problems), problems
    assert words in str(info.value)
    assert not demo_store.coverage_runs()


def test_a_division_without_polygon_is_named(demo_store: Store) -> None:
    town = demo_store.query_divisions(parent="411702", level="township")[0]
    with pytest.raises(ValidationError) as info:
        batch_coverage(
            demo_store, "rental_station", codes=["411702", town.code, "411721"], actor="t"
        )
    assert [p.field for p in info.value.problems] == ["codes"]
    assert town.code in str(info.value) and town.name in str(info.value)


def test_an_unreachable_scheduler_fails_quickly(demo_store: Store) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ValidationError) as info:
        batch_coverage(
            demo_store, "rental_station", parent="411700", actor="t", scheduler=address,
            connect_timeout=1.0,
        )  # fmt: skip
    assert time.monotonic() - started < 10
    assert info.value.problems[0].field == "scheduler" and address in str(info.value)
    assert not demo_store.coverage_runs()


def failing_task(unit, facilities, network, settings):
    """Stands in for the per-division task: 驿城区 fails as Coverage.run can (bad network …)."""
    if unit.code == "411702":
        raise ValidationError(Problem("设施距路网 900 米，超过上限", field="network"))
    return coverage_of_unit(unit, facilities, network, settings)


def test_a_failing_division_is_named_and_nothing_is_stored(
    demo_store: Store, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "coverage_of_unit", failing_task)
    with pytest.raises(ValidationError) as info:
        batch.batch_coverage(
            demo_store, "rental_station", parent="411700", actor="t", scheduler=scheduler
        )
    assert "驿城区（411702）" in str(info.value) and "900 米" in str(info.value)
    assert not demo_store.coverage_runs()


def cli(store: Path, *args: str):
    return CliRunner().invoke(main, ["--store", str(store), "coverage", "batch", *args])


def test_cli_prints_the_table_and_headline_and_writes_csv(
    demo_path: Path, scheduler: str, tmp_path: Path
) -> None:
    out = tmp_path / "batch.csv"
    result = cli(
        demo_path, "辅具租赁服务站", "--parent", "411700", "--scheduler", scheduler,
        "--csv", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split("\t")[:3] == ["代码", "名称", "面积（km²）"]
    assert lines[1].startswith("411702\t驿城区\t") and len(lines) == 13
    assert "驻马店市 10 个县级单元：15分钟社区租赁服务圈平均覆盖" in lines[11]
    assert lines[11].startswith("R") and f"Dask 集群 {scheduler}" in lines[12]
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("代码,名称,面积（km²）,区内设施,可达设施,面积覆盖率")
    assert len(text) == 11 and text[2].startswith("411721,西平县,")

    as_json = cli(
        demo_path, "rental_station", "--codes", "411702,411721", "--codes", "411728",
        "--scheduler", scheduler, "--json",
    )  # fmt: skip
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert [d["code"] for d in body["divisions"]] == ["411702", "411721", "411728"]
    assert body["inputs"]["scheduler"]["kind"] == "distributed"
    assert body["run_id"] != lines[11].split("：")[0]


def test_cli_reports_bad_input(demo_path: Path) -> None:
    unknown = cli(demo_path, "辅具租赁服务站", "--codes", "411799")
    assert unknown.exit_code == 2 and "411799 不存在" in unknown.output
    nothing = cli(demo_path, "辅具租赁服务站")
    assert nothing.exit_code == 2 and "只给出以下之一" in nothing.output
    bad = cli(demo_path, "辅具租赁服务站", "--parent", "411700", "--scheduler", "nowhere")
    assert bad.exit_code == 2 and "调度器地址" in bad.output
