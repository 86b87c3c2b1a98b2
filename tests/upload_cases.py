"""Every kind of upload route, as small functions that post one file to a real app.

Used by the durability test (acknowledged writes survive every kind of upload) and the
hostile-corpus test (every hostile file is refused by every route that takes files).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import login
from tests.sample_files import jpeg_bytes

HOSTILE = Path(__file__).parent / "data" / "hostile"

SIGN = {
    "name_id": "D411702001002",
    "sign_type": "village",
    "text": "风光路南段社区",
    "pinyin": "Fēngguānglùnánduàn Shèqū",
    "lon": "114.0236",
    "lat": "32.9862",
    "installed_on": "2024-04-01",
    "installer": "人民街街道办事处",
}
CASE = {
    "kind": "naming",
    "proposed_name": "任张楼村",
    "category": "village",
    "division_code": "411702102",
    "location": "板桥镇东部安置区",
    "applicant": "板桥镇人民政府",
    "date": "2025-05-06",
}

_SQUARE = [[[114.02, 32.98], [114.03, 32.98], [114.03, 32.99], [114.02, 32.99], [114.02, 32.98]]]


def zone_geojson(name: str = "测试单元") -> bytes:
    """A one-polygon zone set (CGCS2000)."""
    return json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "EPSG:4490"}},
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": name, "adcode": "411702"},
                    "geometry": {"type": "Polygon", "coordinates": _SQUARE},
                }
            ],
        },
        ensure_ascii=False,
    ).encode()


def roads_geojson() -> bytes:
    """Two walkable roads (CGCS2000) that make a tiny network."""
    lines = [[[114.02, 32.98], [114.03, 32.98]], [[114.03, 32.98], [114.03, 32.99]]]
    features = [
        {"type": "Feature", "properties": {"highway": "footway", "name": f"路{i}"},
         "geometry": {"type": "LineString", "coordinates": c}}
        for i, c in enumerate(lines)
    ]  # fmt: skip
    return json.dumps(
        {"type": "FeatureCollection", "features": features,
         "crs": {"type": "name", "properties": {"name": "EPSG:4490"}}},
        ensure_ascii=False,
    ).encode()  # fmt: skip


def geotiff() -> bytes:
    """A 4 × 4 population GeoTIFF (CGCS2000)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=4,
            height=4,
            count=1,
            dtype="float32",
            crs="EPSG:4490",
            transform=from_origin(114.0, 33.0, 0.01, 0.01),
        ) as dst:
            dst.write(np.ones((1, 4, 4), dtype="float32"))  # fmt: skip
        return memory.read()


FACILITIES_CSV = "名称,类型,经度,纬度\n测试站,辅具租赁服务站,114.03,32.99\n".encode()
NAMES_CSV = "名称,类别,区划代码\n天中路,road,411702\n".encode()
MARKERS_CSV = "编号,经度,纬度\n001Q,114.03,32.99\n".encode()


@dataclass
class Context:
    """A real app with one logged-in client per role and a sign and a case to attach to."""

    app: Any
    clients: dict[str, Any]
    sign_id: str
    case_id: str

    @classmethod
    def make(cls, store_path: Path) -> Context:
        from web import create_app

        app = create_app({"GEOCIV_STORE": str(store_path), "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test"})  # fmt: skip
        clients = {}
        for name in ("planner1", "officer1", "inspector1", "admin1"):
            clients[name] = app.test_client()
            login(clients[name], name)
        officer = clients["officer1"]
        sign = officer.post("/api/signs", json=SIGN)
        assert sign.status_code == 201, sign.get_data(as_text=True)
        case = officer.post("/api/cases", json=CASE)
        assert case.status_code == 201, case.get_data(as_text=True)
        return cls(app, clients, sign.get_json()["id"], case.get_json()["case_id"])


def post_file(ctx: Context, route: str, content: bytes, filename: str) -> Any:
    """Post ``content`` as ``filename`` to one of :data:`ROUTES`; returns the response."""
    user, url, field, form = ROUTES[route](ctx)
    data = {field: (io.BytesIO(content), filename), **form}
    response = ctx.clients[user].post(url, data=data, content_type="multipart/form-data")
    if route == "networks" and response.status_code == 202:
        response = _wait(ctx.clients[user], response.get_json()["job_id"])
    return response


def _wait(client: Any, job_id: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/coverage/jobs/{job_id}")
        if job.get_json()["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


#: Every route that takes a file: (user, url, field, other form fields) for a context.
ROUTES: dict[str, Callable[[Context], tuple[str, str, str, dict[str, str]]]] = {
    "zones": lambda c: ("planner1", "/api/coverage/zones", "file",
                        {"name": "单元", "kind": "other"}),
    "facilities": lambda c: ("planner1", "/api/coverage/facilities/import", "file",
                             {"crs": "CGCS2000", "within": "0"}),
    "networks": lambda c: ("planner1", "/api/coverage/networks", "file", {"name": "路网"}),
    "rasters": lambda c: ("planner1", "/api/coverage/rasters", "file", {"label": "60岁以上人口"}),
    "divisions": lambda c: ("admin1", "/api/divisions/import", "file", {"crs": "CGCS2000"}),
    "names": lambda c: ("officer1", "/api/names/import", "file", {}),
    "markers": lambda c: ("inspector1", "/api/boundaries/markers/import", "file",
                          {"crs": "CGCS2000"}),
    "inspection_photos": lambda c: ("inspector1", "/api/boundaries/records", "photo",
                                    {"kind": "line"}),
    "patrol_photos": lambda c: ("officer1", f"/api/signs/{c.sign_id}/patrols", "photo",
                                {"condition": "intact"}),
    "case_documents": lambda c: ("officer1", f"/api/cases/{c.case_id}/documents", "file",
                                 {"doc_type": "expert"}),
}  # fmt: skip

#: A good file for each route (what a real user uploads).
GOOD: dict[str, tuple[Callable[[], bytes], str]] = {
    "zones": (zone_geojson, "街道.geojson"),
    "facilities": (lambda: FACILITIES_CSV, "站点.csv"),
    "networks": (roads_geojson, "道路.geojson"),
    "rasters": (geotiff, "人口.tif"),
    "divisions": (zone_geojson, "区划.geojson"),
    "names": (lambda: NAMES_CSV, "地名.csv"),
    "markers": (lambda: MARKERS_CSV, "界桩.csv"),
    "patrol_photos": (jpeg_bytes, "现场.jpg"),
    "case_documents": (lambda: b"%PDF-1.4\n%%EOF\n", "专家论证.pdf"),
}
