"""Exports of a coverage result: GeoPackage, CSV tables and the standalone offline HTML map."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geociv.coverage.exports import results_geopackage, summary_csv, zones_csv
from geociv.coverage.facilities import Facilities
from geociv.coverage.service import Coverage, CoverageResult
from geociv.demo import main_urban_area
from geociv.errors import ValidationError
from tests.conftest import ARTIFACTS, WUHAN_60
from tests.test_beijing_time import beijing_now_shown
from web.coverage_export import standalone_map_html

RASTER = WUHAN_60
ZONE_NAMES = ["西北片", "中北片", "东北片", "西南片", "中南片", "东南片"]


def six_zones(aoi: shapely.Geometry) -> gpd.GeoDataFrame:
    """The area cut into a 3 × 2 grid of named zones."""
    west, south, east, north = aoi.bounds
    xs = [west + (east - west) * i / 3 for i in range(4)]
    ys = [south, (south + north) / 2, north]
    cells = [
        shapely.box(xs[col], ys[1 - row], xs[col + 1], ys[2 - row])
        for row in range(2)
        for col in range(3)
    ]
    return gpd.GeoDataFrame(
        {"code": [f"Z{i + 1}" for i in range(6)], "name": ZONE_NAMES},
        geometry=[shapely.intersection(aoi, c) for c in cells],
        crs="EPSG:4490",
    )


def suggested_sites() -> gpd.GeoDataFrame:
    """Three suggested sites, given out of rank order on purpose."""
    return gpd.GeoDataFrame(
        {
            "rank": [2, 1, 3],
            "site_id": ["C17", "C04", "C22"],
            "added_share": [0.031, 0.052, 0.018],
            "cumulative_share": [0.164, 0.133, 0.182],
        },
        geometry=[
            shapely.Point(114.06, 33.0),
            shapely.Point(114.03, 32.98),
            shapely.Point(114.08, 32.96),
        ],
        crs="EPSG:4490",
    )


@pytest.fixture
def run(demo_store) -> tuple[CoverageResult, gpd.GeoDataFrame]:
    """A 5/10/15-minute rental-station run over the main urban area, with six zones."""
    aoi = main_urban_area()
    result = Coverage(demo_store).run(
        "rental_station",
        actor="planner1",
        aoi=aoi,
        aoi_name="主城区",
        ring_minutes=(5, 10),
        zones=six_zones(aoi.geometry.iloc[0]),
    )
    return result, Facilities(demo_store).frame()


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


# --- GeoPackage ----------------------------------------------------------------------------


def test_geopackage_has_every_layer_with_counts_and_crs(run, tmp_path: Path) -> None:
    result, facilities = run
    path = results_geopackage(
        tmp_path / "覆盖成果.gpkg",
        result=result,
        facilities=facilities,
        suggestion=suggested_sites(),
    )
    layers = dict(pyogrio.list_layers(path))
    assert layers == {
        "facilities": "Point",
        "isochrones": "MultiPolygon",
        "uncovered": "MultiPolygon",
        "aoi": "MultiPolygon",
        "zones": "MultiPolygon",
        "suggested_sites": "Point",
        "run_info": None,
    }
    expected = {
        "facilities": len(facilities),
        "isochrones": 3,
        "uncovered": len(result.uncovered),
        "aoi": 1,
        "zones": 6,
        "suggested_sites": 3,
    }
    for layer, count in expected.items():
        info = pyogrio.read_info(path, layer=layer)
        assert info["features"] == count, layer
        assert info["crs"] == "EPSG:4490", layer

    fac = pyogrio.read_dataframe(path, layer="facilities")
    assert {"facility_id", "name", "type_label", "status", "capacity_beds"} <= set(fac.columns)
    assert set(fac.loc[fac["type"] == "rental_station", "type_label"]) == {"辅具租赁服务站"}
    assert fac["in_run"].sum() == 10  # the ten existing rental stations counted in the run
    assert fac.loc[fac["type"] == "nursing_home", "capacity_beds"].iloc[0] == 300

    iso = pyogrio.read_dataframe(path, layer="isochrones")
    assert list(iso["minutes"]) == [5.0, 10.0, 15.0]
    assert set(iso["method"]) == {"fallback"} and set(iso["speed_mps"]) == {0.8}
    assert iso["area_km2"].is_monotonic_increasing
    uncovered = pyogrio.read_dataframe(path, layer="uncovered")
    assert uncovered["area_km2"].sum() == pytest.approx(
        result.aoi_area_km2 - result.covered_area_km2, rel=1e-6
    )
    zones = pyogrio.read_dataframe(path, layer="zones")
    assert list(zones["name"]) == ZONE_NAMES
    assert list(zones["area_share"]) == pytest.approx(list(result.zones["area_share"]))
    sites = pyogrio.read_dataframe(path, layer="suggested_sites")
    assert list(sites["rank"]) == [1, 2, 3] and list(sites["site_id"]) == ["C04", "C17", "C22"]

    info = pyogrio.read_dataframe(path, layer="run_info")
    values = dict(zip(info["key"], info["value"], strict=True))
    assert values["headline"] == result.headline and values["method"] == "fallback"
    assert beijing_now_shown(values["exported_at"]), values["exported_at"]  # not UTC ISO
    for key, value in result.inputs.items():
        assert json.loads(values[f"inputs.{key}"]) == value, key
    assert not list(tmp_path.glob(".*.tmp.gpkg")), "no temporary file is left behind"


def test_geopackage_without_zones_or_suggestion(demo_store, tmp_path: Path) -> None:
    result = Coverage(demo_store).run(
        "rental_station", actor="x", aoi=main_urban_area(), aoi_name="主城区"
    )
    path = results_geopackage(
        tmp_path / "a.gpkg", result=result, facilities=Facilities(demo_store).frame()
    )
    assert set(pyogrio.list_layers(path)[:, 0]) == {
        "facilities",
        "isochrones",
        "uncovered",
        "aoi",
        "run_info",
    }
    assert pyogrio.read_info(path, layer="isochrones")["features"] == 1


def test_bad_suggestion_is_refused_and_the_old_file_is_kept(run, tmp_path: Path) -> None:
    result, facilities = run
    out = tmp_path / "out"
    out.mkdir()
    path = results_geopackage(out / "b.gpkg", result=result, facilities=facilities)
    before = path.read_bytes()
    bad = suggested_sites().drop(columns="cumulative_share")
    with pytest.raises(ValidationError, match="cumulative_share"):
        results_geopackage(path, result=result, facilities=facilities, suggestion=bad)
    no_crs = suggested_sites().set_crs(None, allow_override=True)
    with pytest.raises(ValidationError, match="坐标系"):
        results_geopackage(path, result=result, facilities=facilities, suggestion=no_crs)
    assert path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["b.gpkg"]


def test_a_write_failing_half_way_leaves_the_old_file(run, tmp_path: Path, monkeypatch) -> None:
    result, facilities = run
    out = tmp_path / "out"
    out.mkdir()
    path = results_geopackage(out / "c.gpkg", result=result, facilities=facilities)
    before = path.read_bytes()
    real = pyogrio.write_dataframe
    written: list[str] = []

    def flaky(frame, target, *, layer, **kwargs):
        if len(written) == 3:
            raise OSError("磁盘已满")
        written.append(layer)
        return real(frame, target, layer=layer, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", flaky)
    with pytest.raises(OSError, match="磁盘已满"):
        results_geopackage(path, result=result, facilities=facilities)
    assert written == ["facilities", "isochrones", "uncovered"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["c.gpkg"]


# --- CSV -------------------------------------------------------------------------------------


def test_zones_csv_has_chinese_headers_and_percent_numbers(run) -> None:
    result, _ = run
    rows = read_csv(zones_csv(result))
    assert rows[0] == ["代码", "名称", "覆盖面积占比（%）", "是否达标", "设施数"]
    assert [r[1] for r in rows[1:]] == ZONE_NAMES
    for row, (_, zone) in zip(rows[1:], result.zones.iterrows(), strict=True):
        assert row[0] == zone["code"]
        assert row[2] == f"{zone['area_share'] * 100:.1f}"
        assert row[3] == ("是" if zone["served"] else "否")
        assert int(row[4]) == zone["facilities"]
    assert sum(int(r[4]) for r in rows[1:]) == 10


def test_zones_csv_needs_zones(demo_store) -> None:
    result = Coverage(demo_store).run("rental_station", actor="x", aoi=main_urban_area())
    with pytest.raises(ValidationError, match="没有统计单元"):
        zones_csv(result)


def test_zones_csv_with_population(empty_store, tmp_path: Path) -> None:
    path = tmp_path / "wh.csv"
    path.write_text(
        "名称,类型,经度,纬度\n一号日照,社区日间照料中心,114.300,30.580\n"
        "二号日照,社区日间照料中心,114.290,30.590\n"
    )
    Facilities(empty_store).import_file(path, declared_crs="CGCS2000", actor="t")
    aoi = shapely.box(114.25, 30.54, 114.35, 30.62)
    zones = gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["甲街道", "乙街道"]},
        geometry=[
            shapely.box(114.25, 30.54, 114.30, 30.62),
            shapely.box(114.30, 30.54, 114.35, 30.62),
        ],
        crs="EPSG:4490",
    )
    result = Coverage(empty_store).run("day_care", actor="t", aoi=aoi, raster=RASTER, zones=zones)
    rows = read_csv(zones_csv(result))
    assert rows[0][5:] == ["人口", "覆盖人口", "人口覆盖率（%）"]
    for row, (_, zone) in zip(rows[1:], result.zones.iterrows(), strict=True):
        assert int(row[5]) == round(zone["population"])
        assert int(row[6]) == round(zone["covered_population"])
        assert row[7] == f"{zone['share'] * 100:.1f}"
    summary = dict(read_csv(summary_csv(result))[1:])
    assert summary["老年人口覆盖率（%）"] == f"{result.population.share * 100:.1f}"


def test_summary_csv_rows(run) -> None:
    result, _ = run
    rows = read_csv(summary_csv(result, suggested_sites()))
    assert rows[0] == ["指标", "数值"]
    assert all(len(r) == 2 for r in rows)
    values = dict(rows[1:])
    assert values["结论"] == result.headline
    assert values["计算方法"] == "直线距离估算：半径 = 速度 × 时间 ÷ 绕行系数 1.3"
    assert values["出行方式与速度"] == "步行 0.8 m/s（老年人）"
    assert values["服务时间（分钟）"] == "15" and values["圈层（分钟）"] == "5、10、15"
    assert values["速度（m/s）"] == "0.8"
    assert values["面积覆盖率（%）"] == f"{result.area_share * 100:.1f}"
    assert float(values["统计范围面积（km²）"]) == pytest.approx(result.aoi_area_km2, abs=0.01)
    assert values["服务单元数"] == "6"
    assert values["服务单元达标率（%）"] == f"{result.zones_served_share * 100:.1f}"
    assert values["建议新增站点数"] == "3" and values["新增后覆盖率（%）"] == "18.2"
    assert json.loads(values["输入参数：facility_ids"]) == result.inputs["facility_ids"]
    assert values["输入参数：speed"] == "elderly"
    assert "老年人口覆盖率（%）" not in values  # no raster, no population rows


# --- standalone HTML map ---------------------------------------------------------------------


class _Assets(HTMLParser):
    """Collects every <script src> and <link href>, and the meta charset."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.charset: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"] or "")
        if tag == "meta" and a.get("charset"):
            self.charset = a["charset"]


def test_standalone_html_is_self_contained(run) -> None:
    result, facilities = run
    page = standalone_map_html(result, facilities, suggestion=suggested_sites())
    assets = _Assets()
    assets.feed(page)
    assert [u for u in assets.urls if u.startswith(("http://", "https://", "//"))] == []
    assert assets.urls == []  # everything is inline, nothing to fetch, not even from disk
    assert (assets.charset or "").lower() == "utf-8"
    assert "L.map(" in page and "Leaflet" in page  # Leaflet itself is inline
    assert "/vendor/" not in page and "font-awesome" not in page and "fa-" not in page
    assert "jquery.org" not in page  # folium needs no jQuery for this map
    assert result.headline in page
    assert "步行 0.8 m/s（老年人）" in page
    assert "直线距离估算：半径 = 速度 × 时间 ÷ 绕行系数 1.3" in page
    assert "15分钟服务圈覆盖图" in page and "建议新增站点" in page
    assert json.dumps("未覆盖区域") in page  # the layer control's entry (JSON-escaped)


def test_network_results_say_so_in_the_legend(run) -> None:
    result, facilities = run
    network = dataclasses.replace(
        result,
        isochrones=dataclasses.replace(
            result.isochrones, method="network", detour=None, access_m=50.0
        ),
    )
    page = standalone_map_html(network, facilities)
    assert "路网步行计算（道路两侧接入距离 50 m）" in page
    assert "绕行系数" not in page
    assert "建议新增站点" not in page  # no suggestion, no such layer


@pytest.mark.browser
def test_standalone_html_opens_offline_from_disk(run, browser, tmp_path: Path) -> None:
    result, facilities = run
    path = tmp_path / "服务圈覆盖图.html"
    path.write_text(
        standalone_map_html(result, facilities, suggestion=suggested_sites()), encoding="utf-8"
    )
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    requests: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(path.as_uri())
    page.wait_for_selector("path.leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() > 0
    assert page.locator(".leaflet-rings-pane path.leaflet-interactive").count() == 3
    assert page.locator(".leaflet-zones-pane path.leaflet-interactive").count() == 6
    assert page.locator(".leaflet-points-pane path.leaflet-interactive").count() == 14 + 3
    assert page.locator(".cov-rank").all_inner_texts() == ["1", "2", "3"]

    panel = page.locator(".cov-panel").inner_text()
    assert result.headline in panel and "覆盖面积" in panel  # Chinese decoded correctly
    legend = page.locator(".cov-legend").inner_text()
    assert "步行 0.8 m/s（老年人）" in legend and "10–15 分钟可达" in legend
    assert "未覆盖区域" in page.locator(".leaflet-control-layers").inner_text()

    # a zone tells its covered share and its facilities on hover (labels take no mouse)
    tooltip = hover_label(page, "东南片")
    zone = result.zones.set_index("name").loc["东南片"]
    assert f"{zone['area_share'] * 100:.1f} %" in tooltip.inner_text()
    assert f"{int(zone['facilities'])} 处" in tooltip.inner_text()
    page.mouse.move(5, 400)

    # a facility's popup names it, with its type and status
    page.locator(".leaflet-points-pane path.leaflet-interactive").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "社区辅具租赁服务站01（示例）" in text and "辅具租赁服务站" in text and "已建" in text
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage_export.png"))
    assert requests == [path.as_uri()], "the page must fetch nothing but itself"
    assert failed == [] and errors == []
    page.close()


def hover_label(page, name: str):
    """Point the mouse at the middle of the zone labelled ``name`` and return its tooltip.

    The label is measured only once the map has stopped moving (two animation frames with
    the same box: on a busy machine the fit, the fonts and the decluttering land late), and
    the pointer is moved off and back if the first hover came before Leaflet listened.
    """
    label = page.locator(".division-label", has_text=name)
    tooltip = page.locator(".leaflet-tooltip", has_text=name)
    for _attempt in range(5):
        page.wait_for_function(
            """(name) => new Promise(done => {
                const box = () => JSON.stringify([...document.querySelectorAll('.division-label')]
                    .find(e => e.textContent === name).getBoundingClientRect());
                const first = box();
                requestAnimationFrame(() => requestAnimationFrame(() => done(box() === first)));
            })""",
            arg=name,
        )
        box = label.bounding_box()
        page.mouse.move(5, 400)
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
        try:
            tooltip.wait_for(timeout=5000)
            return tooltip
        except Exception as exc:  # playwright's TimeoutError: hover again
            if "Timeout" not in type(exc).__name__:
                raise
    raise AssertionError(f"hovering the label {name} shows no tooltip")


def test_a_fully_covered_area_exports_empty_layers(demo_store, tmp_path: Path) -> None:
    facilities = Facilities(demo_store).frame()
    station = facilities.loc[facilities["type"] == "rental_station"].geometry.iloc[0]
    result = Coverage(demo_store).run(
        "rental_station", actor="x", aoi=station.buffer(0.001), aoi_name="站旁"
    )
    assert len(result.uncovered) == 0 and result.area_share == pytest.approx(1.0)
    path = results_geopackage(tmp_path / "full.gpkg", result=result, facilities=facilities)
    assert pyogrio.read_info(path, layer="uncovered")["features"] == 0
    assert pyogrio.read_info(path, layer="uncovered")["crs"] == "EPSG:4490"
    page = standalone_map_html(result, facilities.iloc[0:0])
    assert result.headline in page and "100.0 %" in page
    assert json.dumps("未覆盖区域") not in page  # no empty layer in the layer control


_LABEL_BOXES = """() => [...document.querySelectorAll('.division-label-icon')].map(icon => {
  const r = icon.firstChild.getBoundingClientRect();
  return {shown: getComputedStyle(icon).visibility !== 'hidden', text: icon.textContent,
          l: r.left, r: r.right, t: r.top, b: r.bottom,
          w: Math.max(r.width, icon.firstChild.scrollWidth)};
})"""


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    shown = [b for b in boxes if b["shown"]]
    out = []
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            ax, bx = (a["l"] + a["r"]) / 2, (b["l"] + b["r"]) / 2
            if abs(ax - bx) < (a["w"] + b["w"]) / 2 and a["t"] < b["b"] and b["t"] < a["b"]:
                out.append((a["text"], b["text"]))
    return out


@pytest.mark.browser
def test_exported_map_of_64_zones_shows_labels_without_overlap(
    demo_store, browser, tmp_path: Path
) -> None:
    """Issue 10: the exported map printed all 64 grid labels on top of each other."""
    from geociv.coverage.stored import CoverageInputs

    grid = CoverageInputs(demo_store).zones("ZS0002")
    assert len(grid) == 64
    result = Coverage(demo_store).run(
        "rental_station", actor="planner1", aoi=main_urban_area(), aoi_name="主城区", zones=grid
    )
    path = tmp_path / "覆盖图.html"
    path.write_text(standalone_map_html(result, Facilities(demo_store).frame()), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(path.as_uri())
    page.wait_for_selector(".division-label-icon")
    page.evaluate("document.fonts.ready.then(() => true)")  # label widths are final
    page.wait_for_timeout(300)
    boxes = page.evaluate(_LABEL_BOXES)
    assert len(boxes) == 64
    shown = sum(b["shown"] for b in boxes)
    assert 5 <= shown < 64 and _overlaps(boxes) == []
    page.screenshot(path=str(ARTIFACTS / "coverage_export_labels.png"))
    # Zoomed in, the labels that now fit come back, still without overlap.
    page.mouse.move(640, 400)
    for _ in range(2):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(600)
    boxes = page.evaluate(_LABEL_BOXES)
    inside = [b for b in boxes if b["l"] > 0 and b["r"] < 1280 and b["t"] > 0 and b["b"] < 800]
    assert _overlaps(boxes) == [] and all(b["shown"] for b in inside if b["text"])
    page.close()
