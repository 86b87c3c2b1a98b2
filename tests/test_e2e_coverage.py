"""End to end: a planner in real headless Chromium against the real server (waitress).

Loads facilities, computes the 15-minute service circle of the rental stations over the demo
main urban area with the subdistrict grid, reads the headline and the per-zone table, asks for
3 new sites, toggles one off (what-if) and exports the standalone map.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ARTIFACTS, BEIJING_PBF, browser_login

pytestmark = pytest.mark.browser


def _pct(text: str) -> float:
    return float(re.search(r"([\d.]+) %", text).group(1))


def test_planner_loads_facilities_sees_coverage_and_asks_for_sites(
    live_server, browser, tmp_path
) -> None:
    page = browser.new_page(
        viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    outside: list[str] = []
    failed: list[str] = []
    page.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None
    )
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    browser_login(page, live_server, "planner1")
    page.click("text=养老服务圈")
    page.wait_for_selector("path.cov-facility")
    assert page.locator("path.cov-facility").count() == 14

    # Load two more stations from a CSV (declared CGCS2000) through the import form.
    csv = tmp_path / "新增站点.csv"
    csv.write_text(
        "名称,类型,状态,经度,纬度\n"
        "测试站甲（示例）,辅具租赁服务站,已建,114.000,32.985\n"
        "测试站乙（示例）,辅具租赁服务站,候选,114.070,32.960\n",
        encoding="utf-8",
    )
    page.click("summary:has-text('导入设施')")
    page.set_input_files("#cov-import-file", str(csv))
    page.select_option("#cov-import-crs", "CGCS2000")
    page.click("#cov-import-form button[type=submit]")
    page.wait_for_selector("#cov-import-result.ok")
    assert "已导入 2 处设施" in page.inner_text("#cov-import-result")
    page.wait_for_function("document.querySelectorAll('path.cov-facility').length === 16")

    # Compute: rental stations, main urban area (the default), rings, subdistrict grid.
    assert page.locator("#cov-types input[value=rental_station]").is_checked()
    page.click("#cov-run")
    page.wait_for_selector("#cov-headline:not([hidden])", timeout=60_000)
    headline = page.inner_text("#cov-headline-text")
    assert headline.startswith("15分钟社区租赁服务圈覆盖") and "直线距离估算" in headline
    share = _pct(headline)
    assert 0 < share < 100
    assert page.locator("path.cov-ring").count() == 3
    assert page.locator("path.cov-uncovered").count() >= 1
    legend = page.inner_text("#cov-legend")
    assert "5 分钟" in legend and "15 分钟" in legend and "0.8 m/s" in legend
    assert "直线距离估算" in legend
    rows = page.locator("#cov-zones-table tbody tr")
    assert rows.count() > 5
    assert "网格" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "coverage-run.png"), full_page=False)

    # Ask for 3 new sites; they raise the covered share.
    page.fill("#cov-k", "3")
    page.click("#cov-suggest-run")
    page.wait_for_selector("#cov-suggest-result:not([hidden])", timeout=90_000)
    assert page.locator("path.cov-suggested").count() == 3
    items = page.locator("#cov-sites li")
    assert items.count() == 3
    last = _pct(items.nth(2).inner_text().split("累计")[1])
    assert last > share
    # What if only the first two are built?
    items.nth(2).locator("input").uncheck()
    page.wait_for_selector("#cov-whatif:has-text('假如')")
    whatif = page.inner_text("#cov-whatif")
    assert "2 处" in whatif and _pct(whatif.split("→")[1]) < last
    # What if an existing station closed? Asked from its popup, answered from the cache.
    page.locator("path.cov-type-rental_station").first.click()
    page.click(".leaflet-popup .cov-whatif-remove")
    page.wait_for_selector(".leaflet-popup .cov-whatif-popup:has-text('覆盖率')")
    closed = page.inner_text(".leaflet-popup .cov-whatif-popup")
    assert _pct(closed.split("→")[1]) < _pct(closed.split("→")[0])
    page.keyboard.press("Escape")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage-suggest.png"), full_page=False)

    # Export the standalone map; it names the headline and loads nothing from the server.
    with page.expect_download() as info:
        page.click("#cov-export-html")
    saved = tmp_path / "map.html"
    info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert headline in text and "建议新增站点" in text

    # The same circle for every county of the city at once (Dask), as a choropleth and a table.
    page.click("#cov-batch-run")
    page.wait_for_selector("#cov-batch-card:not([hidden])", timeout=60_000)
    assert page.locator("#cov-batch-table tbody tr").count() == 10
    assert page.locator("path.cov-batch-unit").count() == 10
    assert page.inner_text("#cov-batch-headline").startswith("驻马店市 10 个县级单元")
    assert "驿城区" in page.locator("#cov-batch-table tbody tr").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "coverage-batch.png"))

    # An officer cannot compute but opens the saved run from the list and reads the same figures.
    run_id = page.inner_text("#cov-run-id")
    page.click(".topbar button[type=submit]")
    browser_login(page, live_server, "officer1")
    page.goto(f"{live_server}/coverage/")
    assert page.locator("#cov-run").count() == 0
    page.wait_for_selector(f"#cov-history option[value={run_id}]", state="attached")
    page.select_option("#cov-history", run_id)
    page.wait_for_selector("#cov-headline:not([hidden])")
    assert page.inner_text("#cov-headline-text") == headline
    assert page.locator("path.cov-ring").count() == 3

    assert outside == [], "the page must not load anything from outside the server"
    assert failed == []
    page.close()


def test_planner_switches_to_network_mode_with_a_real_osm_extract(
    live_server, browser, tmp_path
) -> None:
    import geopandas as gpd
    from shapely.geometry import box


    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    browser_login(page, live_server, "planner1")
    page.goto(f"{live_server}/coverage/")
    page.wait_for_selector("path.cov-facility")
    page.click("summary:has-text('导入路网')")

    # The road network: a real OpenStreetMap extract (Beijing, Haidian), built in the background.
    page.set_input_files(
        "#cov-network-file", str(BEIJING_PBF)
    )
    page.fill("#cov-network-name", "海淀测试路网")
    page.click("#cov-network-form button[type=submit]")
    page.wait_for_selector("#cov-network-form .cov-upload-result.ok", timeout=60_000)
    assert "路段" in page.inner_text("#cov-network-form .cov-upload-result")

    # An area of interest over it, and two stations on its streets (outside the jurisdiction).
    area = tmp_path / "片区.geojson"
    gpd.GeoDataFrame(
        {"name": ["农大片区"]}, geometry=[box(116.340, 39.992, 116.360, 40.016)], crs=4326
    ).to_file(area)
    page.set_input_files("#cov-zones-file", str(area))
    page.fill("#cov-zones-name", "农大片区")
    page.select_option("#cov-zones-kind", "aoi")
    page.click("#cov-zones-form button[type=submit]")
    page.wait_for_selector("#cov-zones-form .cov-upload-result.ok")
    csv = tmp_path / "stations.csv"
    csv.write_text(
        "名称,类型,经度,纬度\n海淀站甲,辅具租赁服务站,116.3473,40.0037\n"
        "海淀站乙,辅具租赁服务站,116.3530,39.9985\n",
        encoding="utf-8",
    )
    page.click("summary:has-text('导入设施')")
    page.set_input_files("#cov-import-file", str(csv))
    page.select_option("#cov-import-crs", "WGS84")
    page.select_option("#cov-import-within", "0")
    page.click("#cov-import-form button[type=submit]")
    page.wait_for_selector("#cov-import-result.ok")

    page.select_option("#cov-aoi", label="农大片区")
    network = page.locator("#cov-network option", has_text="海淀测试路网").get_attribute("value")
    page.select_option("#cov-network", network)
    page.select_option("#cov-zones", "")
    page.click("#cov-run")
    page.wait_for_selector("#cov-headline:not([hidden])", timeout=60_000)
    headline = page.inner_text("#cov-headline-text")
    assert "路网步行计算" in headline and "农大片区" in headline
    assert "路网步行计算" in page.inner_text("#cov-legend")
    page.wait_for_selector("path.cov-network")
    assert page.locator("path.cov-network").count() > 50
    assert page.locator("path.cov-ring").count() == 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage-network.png"))
    assert failed == []
    page.close()


def test_planner_imports_the_valid_rows_of_a_messy_file_and_downloads_the_rejected(
    live_server, browser, tmp_path
) -> None:
    from tests.sample_files import facility_csv, facility_rows

    page = browser.new_page(
        viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    browser_login(page, live_server, "planner1")
    page.goto(f"{live_server}/coverage/")
    page.wait_for_selector("path.cov-facility")
    path = tmp_path / "设施登记.csv"
    path.write_bytes(facility_csv(facility_rows(70, bad_row=38)))
    page.click("summary:has-text('导入设施')")
    page.set_input_files("#cov-import-file", str(path))
    page.select_option("#cov-import-crs", "CGCS2000")
    page.click("#cov-import-form button[type=submit]")
    # Refused whole, naming the row Excel shows; the second, explicit choice appears.
    page.wait_for_selector("#cov-import-result.errors #cov-import-skip")
    assert "第 38 行" in page.inner_text("#cov-import-result")
    assert page.locator("path.cov-facility").count() == 14
    page.click("#cov-import-skip")
    page.wait_for_selector("#cov-import-result.ok #cov-import-rejected")
    text = page.inner_text("#cov-import-result")
    assert "已导入 69 处设施" in text and "跳过有误的 1 行" in text and "原第 38 行" in text
    assert page.locator("path.cov-facility").count() == 14 + 69
    with page.expect_download() as info:
        page.click("#cov-import-rejected")
    assert info.value.suggested_filename.endswith("_被拒行.csv")
    saved = tmp_path / "rejected.csv"
    info.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[0].endswith(",原因") and "三十张" in lines[1]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage-import-rejected.png"))
    page.close()


def _box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_banner_and_legend_describe_the_result_on_screen(live_server, browser) -> None:
    """Issue 10: after 按区县汇总 the banner kept the previous run's headline and the legend
    grew with every mode until it hid the area."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    browser_login(page, live_server, "planner1")
    page.goto(f"{live_server}/coverage/")
    page.wait_for_selector("path.cov-facility")
    page.click("#cov-run")
    page.wait_for_selector("#cov-headline:not([hidden])", timeout=60_000)
    headline = page.inner_text("#cov-headline-text")
    assert page.inner_text("#cov-banner .cov-banner-text") == headline
    run_legend = page.inner_text("#cov-legend")
    map_box = _box(page, "#cov-map")
    assert "15 分钟" in run_legend
    assert _box(page, "#cov-legend")["height"] < 0.45 * map_box["height"]

    page.click("#cov-batch-run")
    page.wait_for_selector("#cov-batch-card:not([hidden])", timeout=60_000)
    batch_headline = page.inner_text("#cov-batch-headline")
    assert page.inner_text("#cov-banner .cov-banner-text") == batch_headline != headline
    legend = page.inner_text("#cov-legend")
    assert "区县面积覆盖率" in legend and "15 分钟" not in legend  # rebuilt, not appended
    assert page.locator("path.cov-ring").count() == 0  # the map shows the summary only
    assert _box(page, "#cov-legend")["height"] < 0.45 * map_box["height"]
    page.screenshot(path=str(ARTIFACTS / "coverage-batch-banner.png"))

    # Back to the run: its banner and its legend again, exactly as before.
    page.click("#cov-show-run")
    page.wait_for_selector("path.cov-ring")
    assert page.inner_text("#cov-banner .cov-banner-text") == headline
    assert page.inner_text("#cov-legend") == run_legend
    assert page.locator("path.cov-batch-unit").count() == 0
    page.click("#cov-show-batch")
    assert page.inner_text("#cov-banner .cov-banner-text") == batch_headline

    # A new run after the summary: banner and legend follow it.
    page.click("#cov-run")
    page.wait_for_selector("path.cov-ring", timeout=60_000)
    assert page.inner_text("#cov-banner .cov-banner-text") == page.inner_text("#cov-headline-text")
    assert page.inner_text("#cov-legend") == run_legend

    # The legend folds away.
    page.click("#cov-legend summary")
    assert _box(page, "#cov-legend")["height"] < 40
    page.close()


def test_legend_starts_folded_on_a_phone(live_server, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    browser_login(page, live_server, "planner1")
    page.goto(f"{live_server}/coverage/")
    page.wait_for_selector("path.cov-facility")
    assert page.evaluate("document.getElementById('cov-legend').open") is False
    assert _box(page, "#cov-legend")["height"] < 40
    page.click("#cov-legend summary")
    assert page.evaluate("document.getElementById('cov-legend').open") is True
    page.screenshot(path=str(ARTIFACTS / "coverage-phone-legend.png"))
    page.close()
