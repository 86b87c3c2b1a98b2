"""The planner's coverage API and page on the demo store (real Flask app, real GeoPackage)."""

from __future__ import annotations

import io
import time

import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from geociv.demo import main_urban_area
from geociv.store import open_store
from tests.conftest import BEIJING_PBF, BEIJING_ROADS, WUHAN_60, WUHAN_80_F, login


def _wait(client, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/coverage/jobs/{job_id}").get_json()
        assert 0.0 <= job["progress"] <= 1.0
        if job["state"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _aoi_id(client) -> str:
    aois = client.get("/api/coverage/options").get_json()["aois"]
    assert aois, "the demo keeps its main urban area as a stored area of interest"
    return aois[0]["set_id"]


def _run(client, **body) -> dict:
    body = {"types": ["辅具租赁服务站"], "aoi": {"zone_set": _aoi_id(client)}, **body}
    started = client.post("/api/coverage/runs", json=body)
    assert started.status_code == 202, started.get_json()
    job = _wait(client, started.get_json()["job_id"])
    assert job["state"] == "done", job
    return client.get(f"/api/coverage/runs/{job['result']['run_id']}").get_json()


@pytest.fixture
def planner(client):
    login(client, "planner1")
    return client


def test_options_list_types_counts_and_the_demo_inputs(planner) -> None:
    opts = planner.get("/api/coverage/options").get_json()
    counts = {t["code"]: t["count"] for t in opts["types"]}
    assert counts["rental_station"] == 10
    assert [s["mps"] for s in opts["speeds"]][:3] == [0.8, 1.0, 1.2]
    assert any("主城区" in a["name"] for a in opts["aois"])
    assert any(z["kind"] == "subdistrict" for z in opts["zone_sets"])


def test_facilities_are_geojson_with_chinese_labels(planner) -> None:
    fc = planner.get("/api/coverage/facilities?type=辅具租赁服务站").get_json()
    assert len(fc["features"]) == 10
    props = fc["features"][0]["properties"]
    assert props["type_label"] == "辅具租赁服务站" and props["status_label"] == "已建"
    area = main_urban_area().union_all()
    assert all(area.covers(shape(f["geometry"])) for f in fc["features"])
    assert planner.get("/api/coverage/facilities?type=游泳馆").status_code == 400


def test_a_run_draws_rings_uncovered_and_zones_with_consistent_figures(planner, app) -> None:
    run = _run(planner, zones_id=None)
    minutes = [f["properties"]["minutes"] for f in run["isochrones"]["features"]]
    assert minutes == [5.0, 10.0, 15.0]
    areas = [shape(f["geometry"]).area for f in run["isochrones"]["features"]]
    assert areas[0] < areas[1] < areas[2]  # rings nest
    s = run["summary"]
    assert run["method"] == "fallback" and "直线距离估算" in s["headline"]
    assert "15分钟社区租赁服务圈覆盖" in s["headline"]
    assert s["covered_area_km2"] + s["uncovered_area_km2"] == pytest.approx(s["aoi_area_km2"])
    uncovered = sum(f["properties"]["area_km2"] for f in run["uncovered"]["features"])
    assert uncovered == pytest.approx(s["uncovered_area_km2"], rel=1e-6)
    # Uncovered parts do not overlap the 15-minute service area.
    outer = shape(run["isochrones"]["features"][-1]["geometry"])
    gap = shapely.union_all([shape(f["geometry"]) for f in run["uncovered"]["features"]])
    assert shapely.intersection(outer, gap).area < 1e-9
    # The run is stored with its request and audited as planner1's.
    stored = app.extensions["geociv_store"].get_coverage_run(run["run_id"])
    assert stored.params["request"]["types"] == ["rental_station"]
    assert stored.actor == "planner1"


def test_zone_table_and_served_share(planner) -> None:
    zones = planner.get("/api/coverage/options").get_json()["zone_sets"]
    run = _run(planner, zones_id=zones[0]["set_id"])
    feats = [f["properties"] for f in run["zones"]["features"]]
    assert len(feats) == zones[0]["n_zones"]
    served = [p["served"] for p in feats]
    assert run["summary"]["zones_served_share"] == pytest.approx(sum(served) / len(served))
    assert all(p["served"] == (p["area_share"] >= 0.5) for p in feats)
    assert sum(p["facilities"] for p in feats) == 10
    csv = planner.get(f"/api/coverage/runs/{run['run_id']}/zones.csv")
    assert csv.status_code == 200
    text = csv.data.decode("utf-8-sig")
    assert "覆盖面积占比" in text and len(text.strip().splitlines()) == len(feats) + 1


def test_layers_are_recomputed_when_not_cached(planner, app) -> None:
    run = _run(planner)
    # A run made by a script on an ad-hoc polygon keeps its figures but cannot be redrawn.
    from geociv.coverage.service import Coverage

    store = app.extensions["geociv_store"]
    adhoc = Coverage(store).run("rental_station", actor="script", aoi=main_urban_area())
    listed = {
        r["run_id"]: r["reopenable"] for r in planner.get("/api/coverage/runs").get_json()["runs"]
    }
    assert listed == {run["run_id"]: True, adhoc.run_id: False}
    assert planner.get(f"/api/coverage/runs/{adhoc.run_id}").status_code == 400
    app.extensions["geociv_coverage_results"].clear()
    again = planner.get(f"/api/coverage/runs/{run['run_id']}").get_json()
    assert again["summary"]["area_share"] == pytest.approx(run["summary"]["area_share"])
    assert sum(1 for r in store.coverage_runs() if not r.kind.startswith("suggest")) == 2


def test_suggestion_adds_coverage_and_what_if_is_fast(planner) -> None:
    run = _run(planner)
    started = planner.post(
        "/api/coverage/suggestions", json={"run_id": run["run_id"], "k": 3, "method": "greedy"}
    )
    assert started.status_code == 202, started.get_json()
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "done", job
    sid = job["result"]["suggestion_id"]
    body = planner.get(f"/api/coverage/suggestions/{sid}").get_json()
    sites = body["sites"]["features"]
    assert len(sites) == 3
    area = main_urban_area().union_all()
    assert all(area.buffer(1e-6).covers(shape(f["geometry"])) for f in sites)
    shares = [f["properties"]["cumulative_share"] for f in sites]
    assert shares == sorted(shares) and shares[0] > run["summary"]["area_share"]
    ids = [f["properties"]["site_id"] for f in sites]
    t0 = time.perf_counter()
    # What if the third suggested site is not built? Answered from the cached coverage.
    both = planner.post(f"/api/coverage/suggestions/{sid}/what-if", json={"remove": ids[2:]})
    elapsed = time.perf_counter() - t0
    assert both.status_code == 200 and elapsed < 1.0, both.get_json()
    figures = both.get_json()
    assert figures["share_before"] == pytest.approx(shares[2], abs=1e-9)
    assert figures["share_after"] == pytest.approx(shares[1], abs=1e-9)
    # What if an existing station closed? Named by its facility id.
    station = planner.get("/api/coverage/facilities?type=rental_station").get_json()["features"][0]
    fid = station["properties"]["facility_id"]
    closed = planner.post(f"/api/coverage/suggestions/{sid}/what-if", json={"remove": [fid]})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["removed"] == [fid]
    assert closed.get_json()["share_after"] < closed.get_json()["share_before"]
    bad = planner.post(f"/api/coverage/suggestions/{sid}/what-if", json={"remove": ["nope"]})
    assert bad.status_code == 400 and bad.get_json()["problems"][0]["field"] == "remove"


def test_exports_open_as_real_files(planner, tmp_path) -> None:
    run = _run(planner)
    rid = run["run_id"]
    gpkg = planner.get(f"/api/coverage/runs/{rid}/export.gpkg")
    assert gpkg.status_code == 200
    path = tmp_path / "out.gpkg"
    path.write_bytes(gpkg.data)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"facilities", "isochrones", "uncovered", "aoi"} <= layers
    assert len(pyogrio.read_dataframe(path, layer="isochrones")) == 3
    html = planner.get(f"/api/coverage/runs/{rid}/map.html")
    assert html.status_code == 200
    page = html.data.decode("utf-8")
    assert run["summary"]["headline"] in page and "/vendor/" not in page
    summary = planner.get(f"/api/coverage/runs/{rid}/summary.csv").data.decode("utf-8-sig")
    assert "直线距离估算" in summary


def test_bad_requests_name_their_fields_and_store_nothing(planner, app) -> None:
    store = app.extensions["geociv_store"]
    before = len(store.coverage_runs())
    bad = planner.post(
        "/api/coverage/runs", json={"types": ["游泳馆"], "minutes": 0, "aoi": {}, "speed": "x"}
    )
    assert bad.status_code == 400
    fields = {p["field"] for p in bad.get_json()["problems"]}
    assert {"types", "minutes", "aoi", "speed"} <= fields
    # No facility of the type: the job fails with a clear message, nothing stored.
    started = planner.post(
        "/api/coverage/runs",
        json={"types": ["综合体验馆"], "aoi": {"zone_set": _aoi_id(planner)}},
    )
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "failed" and "没有设施" in job["error"]["error"]
    run = _run(planner)
    too_many = planner.post(
        "/api/coverage/suggestions",
        json={"run_id": run["run_id"], "k": 3, "candidates": "stored"},
    )
    job = _wait(planner, too_many.get_json()["job_id"])
    assert job["state"] == "failed" and job["error"]["problems"][0]["field"] == "candidates"
    assert len(store.coverage_runs()) == before + 1


def test_writes_need_the_planner_role_and_reads_any_role(client) -> None:
    login(client, "officer1")
    assert client.get("/api/coverage/facilities").status_code == 200
    refused = client.post("/api/coverage/runs", json={"types": ["rental_station"]})
    assert refused.status_code == 403
    assert client.get("/coverage/").status_code == 200


def test_facility_import_reports_rows_and_keeps_everything_or_nothing(planner, app) -> None:
    store = app.extensions["geociv_store"]
    n = len(store.query_facilities())
    bad = "名称,类型,经度,纬度\n甲站,辅具租赁服务站,114.03,32.99\n乙站,辅具租赁服务站,abc,32.99\n"
    resp = planner.post(
        "/api/coverage/facilities/import",
        data={"file": (io.BytesIO(bad.encode()), "stations.csv"), "crs": "CGCS2000"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert any(p["row"] == 3 for p in resp.get_json()["problems"])  # Excel's row 3
    assert len(store.query_facilities()) == n
    good = "名称,类型,状态,经度,纬度\n丙站（测试）,辅具租赁服务站,候选,114.05,32.99\n"
    resp = planner.post(
        "/api/coverage/facilities/import",
        data={"file": (io.BytesIO(good.encode()), "stations.csv"), "crs": "CGCS2000"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["by_type"] == {"辅具租赁服务站": 1}
    assert len(store.query_facilities()) == n + 1


def test_network_upload_reports_connectivity_and_snapping(planner, app) -> None:
    pbf = BEIJING_PBF
    started = planner.post(
        "/api/coverage/networks",
        data={"file": (io.BytesIO(pbf.read_bytes()), pbf.name), "name": "海淀测试路网"},
        content_type="multipart/form-data",
    )
    assert started.status_code == 202
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "done", job
    report = job["result"]
    assert report["n_edges"] > 100 and report["components"] >= 1
    nets = planner.get("/api/coverage/options").get_json()["networks"]
    assert [n["name"] for n in nets] == ["海淀测试路网"]
    snap = planner.get(f"/api/coverage/networks/{report['network_id']}/snap").get_json()
    # The demo facilities are in Zhumadian, ~700 km away: all flagged as far from this network.
    assert snap["far"] == len(snap["facilities"]) > 0
    with open_store(app.config["GEOCIV_STORE"]) as store:
        assert len(store.road_edges(report["network_id"])) > 0  # the street pieces are stored


def test_facility_import_can_take_the_valid_rows_and_give_back_the_rejected(planner, app) -> None:
    import base64
    import csv

    from tests.sample_files import facility_csv, facility_rows

    store = app.extensions["geociv_store"]
    n = len(store.query_facilities())
    body = facility_csv(facility_rows(70, bad_row=38))

    def post(**fields: str):
        data = {"file": (io.BytesIO(body), "设施登记.csv"), "crs": "CGCS2000", **fields}
        return planner.post(
            "/api/coverage/facilities/import", data=data, content_type="multipart/form-data"
        )

    refused = post()  # the default stays all or nothing
    assert refused.status_code == 400
    assert [(p["row"], p["field"]) for p in refused.get_json()["problems"]] == [
        (38, "capacity_beds")
    ]
    assert len(store.query_facilities()) == n
    done = post(skip_invalid="1")
    assert done.status_code == 201
    reply = done.get_json()
    assert reply["added"] == 69 and reply["skipped"] == 1
    assert len(store.query_facilities()) == n + 69
    assert [r["row"] for r in reply["rejected"]] == [38]
    assert reply["rejected_filename"].endswith("_被拒行.csv")
    data = base64.b64decode(reply["rejected_csv"])
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert table[0][-1] == "原因" and len(table) == 2 and "三十张" in table[1]
    entries = store.audit_entries(entity="facilities", limit=5)
    (event,) = [e for e in entries if e.action == "facilities.import"]
    assert "导入 69 行，跳过 1 行" in event.note and event.actor == "planner1"


def _upload(client, url: str, path, **fields):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def _box_zone(tmp_path, name: str, bounds: tuple[float, float, float, float]):
    import geopandas as gpd
    from shapely.geometry import box

    path = tmp_path / f"{name}.geojson"
    gpd.GeoDataFrame({"name": [name]}, geometry=[box(*bounds)], crs="EPSG:4326").to_file(path)
    return path


def test_network_mode_on_real_osm_roads(planner, tmp_path) -> None:
    import geopandas as gpd

    pbf = BEIJING_PBF
    job = _wait(
        planner, _upload(planner, "/api/coverage/networks", pbf, name="海淀").get_json()["job_id"]
    )
    assert job["state"] == "done", job
    network = job["result"]
    aoi = _upload(
        planner,
        "/api/coverage/zones",
        _box_zone(tmp_path, "中国农大片区", (116.340, 39.992, 116.360, 40.016)),
        name="中国农大片区",
        kind="aoi",
    )
    assert aoi.status_code == 201, aoi.get_json()
    # Three stations at points along real streets (OSM is WGS84).
    roads = gpd.read_file(BEIJING_ROADS)
    roads = roads[roads["highway"].isin(["residential", "footway", "tertiary", "secondary"])]
    roads = roads.to_crs(4547)  # metres (CGCS2000 Gauss-Krüger), for lengths
    roads = roads[roads.geometry.length > 300].head(3)
    points = roads.geometry.interpolate(0.5, normalized=True).to_crs(4326)
    rows = [f"海淀测试站{i},辅具租赁服务站,{p.x:.6f},{p.y:.6f}" for i, p in enumerate(points, 1)]
    csv = tmp_path / "stations.csv"
    csv.write_text("名称,类型,经度,纬度\n" + "\n".join(rows) + "\n", encoding="utf-8")
    # Beijing is outside the demo jurisdiction (驻马店市): refused row by row unless within=0.
    refused = _upload(planner, "/api/coverage/facilities/import", csv, crs="WGS84")
    assert refused.status_code == 400
    assert [p["row"] for p in refused.get_json()["problems"]] == [2, 3, 4]
    url = "/api/coverage/facilities/import"
    assert _upload(planner, url, csv, crs="WGS84", within="0").status_code == 201

    body = {"aoi": {"zone_set": aoi.get_json()["set_id"]}}
    on_roads = _run(planner, network_id=network["network_id"], **body)
    assert on_roads["method"] == "network" and "路网步行计算" in on_roads["summary"]["headline"]
    assert on_roads["inputs"]["network_id"] == network["snapshot_id"]
    # Only the three stations near the area count, not the demo's stations in Zhumadian.
    assert len(on_roads["inputs"]["facility_ids"]) == 3
    assert on_roads["inputs"]["max_snap_distance_m"] < 5
    edges = planner.get(
        f"/api/coverage/networks/{network['network_id']}/edges?bbox=116.34,39.99,116.36,40.02"
    )
    assert edges.status_code == 200 and len(edges.get_json()["features"]) > 50
    bad = planner.get(f"/api/coverage/networks/{network['network_id']}/edges?bbox=1,2")
    assert bad.status_code == 400 and bad.get_json()["problems"][0]["field"] == "bbox"
    straight = _run(planner, **body)
    # Walking along streets reaches less than the straight-line estimate, never more here.
    net_area = on_roads["summary"]["covered_area_km2"]
    assert 0 < net_area < straight["summary"]["covered_area_km2"] * 1.05
    started = planner.post("/api/coverage/suggestions", json={"run_id": on_roads["run_id"], "k": 2})
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "done", job
    summary = job["result"]["summary"]
    assert summary["share_after"] > summary["share_before"]


def test_population_share_from_an_uploaded_worldpop_raster(planner, tmp_path) -> None:
    tif = WUHAN_60
    raster = _upload(planner, "/api/coverage/rasters", tif, label="60岁以上人口")
    assert raster.status_code == 201, raster.get_json()
    aoi = _upload(
        planner,
        "/api/coverage/zones",
        _box_zone(tmp_path, "武汉测试范围", (114.26, 30.54, 114.32, 30.60)),
        name="武汉测试范围",
        kind="aoi",
    )
    csv = tmp_path / "wuhan.csv"
    csv.write_text(
        "名称,类型,经度,纬度\n"
        "武汉测试院甲,养老院,114.280,30.560\n武汉测试院乙,养老院,114.300,30.585\n",
        encoding="utf-8",
    )
    url = "/api/coverage/facilities/import"
    assert _upload(planner, url, csv, crs="WGS84", within="0").status_code == 201
    band = WUHAN_80_F
    oldest = _upload(planner, "/api/coverage/rasters", band, label="80岁以上女性")
    run = _run(
        planner,
        types=["养老院/敬老院"],
        aoi={"zone_set": aoi.get_json()["set_id"]},
        raster_id=raster.get_json()["raster_id"],
        other_raster_ids=[oldest.get_json()["raster_id"]],
    )
    s = run["summary"]
    assert "60岁以上人口" in s["headline"] and "80岁以上女性" in s["headline"]
    assert 0 < s["population_covered"] < s["population_total"]
    assert s["population_share"] == pytest.approx(s["population_covered"] / s["population_total"])
    (other,) = s["other_populations"]
    # Women over 80 are a small part of the people over 60 in the same area.
    assert other["label"] == "80岁以上女性" and 0 < other["total"] < 0.2 * s["population_total"]
    assert 0 < other["covered"] < other["total"]
    summary_csv = planner.get(f"/api/coverage/runs/{run['run_id']}/summary.csv")
    assert "覆盖80岁以上女性" in summary_csv.data.decode("utf-8-sig")
    started = planner.post(
        "/api/coverage/suggestions",
        json={"run_id": run["run_id"], "k": 2, "objective": "population"},
    )
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "done", job
    assert job["result"]["summary"]["share_after"] > job["result"]["summary"]["share_before"]
    # Without a raster, a population objective is refused by name.
    plain = _run(planner, types=["养老院/敬老院"], aoi={"zone_set": aoi.get_json()["set_id"]})
    refused = planner.post(
        "/api/coverage/suggestions",
        json={"run_id": plain["run_id"], "k": 2, "objective": "population"},
    )
    job = _wait(planner, refused.get_json()["job_id"])
    assert job["state"] == "failed" and job["error"]["problems"][0]["field"] == "objective"


def test_gcj02_file_declared_wgs84_is_refused_against_the_network(planner, tmp_path) -> None:
    import geopandas as gpd

    from geociv.crs import convert_lonlat

    pbf = BEIJING_PBF
    job = _wait(
        planner, _upload(planner, "/api/coverage/networks", pbf, name="海淀").get_json()["job_id"]
    )
    network_id = job["result"]["network_id"]
    roads = gpd.read_file(BEIJING_ROADS)
    roads = roads[roads["highway"].isin(["residential", "footway", "tertiary", "service"])]
    roads = roads.to_crs(4547)
    roads = roads[roads.geometry.length > 150].head(12)
    points = roads.geometry.interpolate(0.5, normalized=True).to_crs(4326)
    lon, lat = convert_lonlat(points.x.to_numpy(), points.y.to_numpy(), "WGS84", "GCJ02")
    csv = tmp_path / "amap.csv"
    rows = [
        f"高德点{i},养老院,{x:.6f},{y:.6f}"
        for i, (x, y) in enumerate(zip(lon, lat, strict=True), 1)
    ]
    csv.write_text("名称,类型,经度,纬度\n" + "\n".join(rows) + "\n", encoding="utf-8")
    url = "/api/coverage/facilities/import"
    fields = {"within": "0", "network_id": network_id}
    wrong = _upload(planner, url, csv, crs="WGS84", **fields)
    assert wrong.status_code == 400
    problem = next(p for p in wrong.get_json()["problems"] if p["field"] == "crs")
    assert "GCJ02" in problem["message"]
    right = _upload(planner, url, csv, crs="GCJ02", **fields)
    assert right.status_code == 201 and right.get_json()["added"] == len(rows)


def test_fewest_sites_for_a_target_share_and_an_unreachable_target(planner) -> None:
    run = _run(planner)
    before = run["summary"]["area_share"]
    started = planner.post(
        "/api/coverage/suggestions",
        json={"run_id": run["run_id"], "target_share": 0.12, "method": "greedy"},
    )
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "done", job
    summary = job["result"]["summary"]
    assert summary["share_after"] >= 0.12 > before
    body = planner.get(f"/api/coverage/suggestions/{job['result']['suggestion_id']}").get_json()
    n = len(body["sites"]["features"])
    assert n == len(summary["site_ids"]) >= 1
    # One stored candidate cannot bring the main urban area to 50 %: said, nothing suggested.
    csv = "名称,类型,状态,经度,纬度\n候选点（测试）,辅具租赁服务站,候选,114.05,32.99\n"
    planner.post(
        "/api/coverage/facilities/import",
        data={"file": (io.BytesIO(csv.encode()), "c.csv"), "crs": "CGCS2000"},
        content_type="multipart/form-data",
    )
    started = planner.post(
        "/api/coverage/suggestions",
        json={"run_id": run["run_id"], "target_share": 0.5, "candidates": "stored"},
    )
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "failed"
    assert any("50" in p["message"] for p in job["error"]["problems"]), job["error"]


def test_batch_over_the_counties_of_the_jurisdiction(planner, app) -> None:
    started = planner.post("/api/coverage/batches", json={"types": ["辅具租赁服务站"]})
    assert started.status_code == 202, started.get_json()
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "done", job
    body = planner.get(f"/api/coverage/batches/{job['result']['run_id']}").get_json()
    rows = {f["properties"]["name"]: f["properties"] for f in body["divisions"]["features"]}
    assert len(rows) == 10
    assert rows["驿城区"]["area_share"] > 0 and rows["驿城区"]["facilities"] == 10
    assert rows["泌阳县"]["area_share"] == 0 and rows["泌阳县"]["note"]
    assert body["summary"]["headline"].startswith("驻马店市 10 个县级单元")
    listed = planner.get("/api/coverage/runs?kind=batch").get_json()["runs"]
    assert [r["run_id"] for r in listed] == [body["run_id"]]
    # After a restart the stored table is served with the divisions' polygons.
    app.extensions["geociv_coverage_batches"].clear()
    again = planner.get(f"/api/coverage/batches/{body['run_id']}").get_json()
    shares = {
        f["properties"]["name"]: f["properties"]["area_share"]
        for f in again["divisions"]["features"]
    }
    assert shares == {name: p["area_share"] for name, p in rows.items()}
    assert all(f["geometry"] for f in again["divisions"]["features"])
    # A batch is not a single coverage run.
    assert planner.get(f"/api/coverage/runs/{body['run_id']}").status_code == 404


def test_upload_names_cannot_leave_the_upload_directory(planner) -> None:
    statuses = []
    for i, name in enumerate(("..", "../../etc/stations.csv")):
        csv = f"名称,类型,经度,纬度\n路径测试站{i},辅具租赁服务站,114.0{i},32.99\n"
        resp = planner.post(
            "/api/coverage/facilities/import",
            data={"file": (io.BytesIO(csv.encode()), name), "crs": "CGCS2000"},
            content_type="multipart/form-data",
        )
        statuses.append(resp.status_code)
    # Each is saved inside the upload directory and read (".." once crashed: it named the
    # directory above); a path keeps only its last part.
    assert statuses == [201, 201]


def test_a_zipped_shapefile_of_roads_is_a_network(planner, tmp_path) -> None:
    import zipfile

    import geopandas as gpd

    roads = gpd.read_file(BEIJING_ROADS)
    roads[["highway", "name", "geometry"]].to_file(tmp_path / "roads.shp", encoding="utf-8")
    archive = tmp_path / "海淀道路.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("roads.*"):
            z.write(part, part.name)
    started = _upload(planner, "/api/coverage/networks", archive, name="海淀道路（Shapefile）")
    job = _wait(planner, started.get_json()["job_id"])
    assert job["state"] == "done", job
    report = job["result"]
    # The same walking rules as the PBF: ways tagged for cars only are left out.
    assert report["excluded_ways"] > 0 and report["n_edges"] > 1000


def test_a_zone_set_and_run_of_a_changed_unit_are_shown_as_out_of_date(app, planner):
    """A division change case taking effect flags the zone sets with a zone of a changed unit
    and the stored runs that used them; the planner's choices say so (区划已变更)."""
    from geociv.changes.cases import DivisionChanges
    from geociv.store import CoverageRun, CoverageZone, ZoneSet

    store = open_store(app.config["GEOCIV_STORE"])
    square = shapely.box(114.0, 33.0, 114.01, 33.01)
    zones = store.add_zone_set(
        ZoneSet("", "驿城区街道（示例）", "subdistrict"),
        [CoverageZone("411702005", "南海街道", 1.0, square)],
        actor="system",
    )
    run = store.add_coverage_run(
        CoverageRun("", "coverage:rental_station", params={"zones_id": zones.set_id}),
        actor="system",
    )
    before = {
        z["set_id"]: z["stale"]
        for z in planner.get("/api/coverage/options").get_json()["zone_sets"]
    }
    assert before[zones.set_id] == ""
    unit = {"code": "411702005", "level": "township", "parent_code": "411702"}
    changes = DivisionChanges(store)
    case = changes.apply(
        "rename",
        title="南海街道更名（示例）",
        actor="system",
        on="2026-01-02",
        before=[{**unit, "name": "南海街道"}],
        after=[{**unit, "name": "南湖街道"}],
    )
    changes.review(case.case_id, actor="system", on="2026-01-03")
    changes.approve(
        case.case_id,
        approving_body="驻马店市人民政府",
        approval_number="驻政〔2026〕1号",
        actor="system",
        on="2026-01-04",
    )
    changes.take_effect(case.case_id, actor="system", on="2026-01-05")
    after = {
        z["set_id"]: z["stale"]
        for z in planner.get("/api/coverage/options").get_json()["zone_sets"]
    }
    assert case.case_id in after[zones.set_id]
    assert all(stale == "" for key, stale in after.items() if key != zones.set_id)
    runs = {r["run_id"]: r["stale"] for r in planner.get("/api/coverage/runs").get_json()["runs"]}
    assert case.case_id in runs[run.run_id]
