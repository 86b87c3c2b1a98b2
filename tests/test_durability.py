"""Nothing acknowledged is lost (issue 9): real writes through HTTP from many threads, mixed with
uploads, on a real ``geociv serve``; then the server is stopped or killed with SIGKILL and a new
one started on the same store. Every write that was answered 201 must be there, and the store's
integrity check must pass (SQLite's; ``amcheck`` on PostGIS). A killed import leaves all of its
rows or none. The same on a PostGIS database with ``--backend postgis``."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.http_client import Client, Server
from tests.store_probe import integrity, scalar, writing
from tests.store_probe import rows as store_rows

#: Characters for distinct road names (no polyphones, no list terms): 春松路, 春柏路 …
_FIRST = "春夏秋冬东西南北"
_SECOND = "松柏梅兰竹菊桂荷杉榆槐柳"
ROAD_NAMES = [f"{a}{b}路" for a, b in itertools.product(_FIRST, _SECOND)]

FACILITIES_CSV = (
    "name,type,lon,lat\n"
    "顺河社区辅具租赁服务站（测试{n}）,辅具租赁服务站,114.02{n},32.98\n"
)
ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "测试片区"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[114.0, 32.95], [114.05, 32.95], [114.05, 33.0], [114.0, 32.95]]],
            },
        }
    ],
}


def _add_name(officer: Client, name: str) -> str | None:
    """Register ``name``; its record id when the server acknowledged it with 201."""
    response = officer.post(
        "/api/names", json={"name": name, "category": "road", "division_code": "411702"}
    )
    if response.status_code == 201:
        return response.json()["record"]["id"]
    assert response.status_code < 500, response.text
    return None


def _upload(planner: Client, n: int) -> str | None:
    """A facility table or a zone file, alternately; the new id when acknowledged."""
    if n % 2:
        csv = FACILITIES_CSV.format(n=n).encode("utf-8")
        response = planner.post(
            "/api/coverage/facilities/import",
            data={"crs": "CGCS2000"},
            files={"file": (f"stations{n}.csv", csv, "text/csv")},
        )
        key = ("ids", 0)
    else:
        body = json.dumps(ZONES, ensure_ascii=False).encode("utf-8")
        response = planner.post(
            "/api/coverage/zones",
            data={"name": f"测试片区{n}", "kind": "subdistrict"},
            files={"file": (f"zones{n}.geojson", body, "application/geo+json")},
        )
        key = ("set_id",)
    assert response.status_code < 500, response.text
    if response.status_code != 201:
        return None
    value = response.json()
    for part in key:
        value = value[part]
    return str(value)


def test_fifty_threads_of_writes_and_uploads_all_survive_a_restart(demo_path: Path) -> None:
    server = Server(demo_path)
    try:
        officers = [Client(server.url, "officer1") for _ in range(5)]
        planner = Client(server.url, "planner1")
        jobs = [(officers[i % 5], name) for i, name in enumerate(ROAD_NAMES[:44])]
        with ThreadPoolExecutor(max_workers=50) as pool:
            names = list(pool.map(lambda job: _add_name(*job), jobs))
            uploads = list(pool.map(lambda n: _upload(planner, n), range(6)))
    finally:
        server.stop()
    acknowledged = [n for n in names if n]
    assert len(acknowledged) == 44, "every distinct name is accepted"
    assert all(uploads)
    assert integrity(demo_path) == "ok"

    again = Server(demo_path)
    try:
        reader = Client(again.url, "officer1")
        for name_id in acknowledged:
            assert reader.get(f"/api/names/{name_id}").status_code == 200, name_id
        facilities = reader.get("/api/coverage/facilities").json()["features"]
        ids = {f["properties"]["facility_id"] for f in facilities}
        assert {u for n, u in enumerate(uploads) if n % 2} <= ids
    finally:
        again.stop()
    print(f"{len(acknowledged)} names and {len(uploads)} uploads acknowledged, all on disk")


def test_sigkill_under_load_loses_no_acknowledged_write(demo_path: Path) -> None:
    server = Server(demo_path)
    officers = [Client(server.url, "officer1") for _ in range(4)]
    acknowledged: list[str] = []
    stop = threading.Event()
    names = iter(ROAD_NAMES)
    lock = threading.Lock()

    def writer(officer: Client) -> None:
        while not stop.is_set():
            with lock:
                name = next(names, None)
            if name is None:
                return
            try:
                name_id = _add_name(officer, name)
            except Exception:  # the connection dies with the server: not acknowledged
                return
            if name_id:
                with lock:
                    acknowledged.append(name_id)

    threads = [threading.Thread(target=writer, args=(o,)) for o in officers for _ in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # SIGKILL in the middle of the writes
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert len(acknowledged) >= 10
    assert integrity(demo_path) == "ok"

    again = Server(demo_path)
    try:
        reader = Client(again.url, "officer1")
        missing = [i for i in acknowledged if reader.get(f"/api/names/{i}").status_code != 200]
    finally:
        again.stop()
    assert missing == []
    print(f"{len(acknowledged)} writes acknowledged before SIGKILL, all on disk")


def _village_codes(store: Path, path: Path, count: int) -> None:
    """``count`` new village codes under the store's townships (suffixes 600–999 are free)."""
    towns = [r[0] for r in store_rows(store, "SELECT code FROM divisions WHERE level = 'township'")]
    codes = [f"{t}{s:03d}" for s in range(600, 1000) for t in towns][:count]
    rows = "\n".join(f"{c},测试村{i}" for i, c in enumerate(codes))
    path.write_text(f"code,name\n{rows}\n", encoding="utf-8")


def _count(store: Path) -> object:
    return scalar(store, "SELECT count(*) FROM divisions")


@pytest.mark.parametrize("when", ["mid-transaction", "after"])
def test_sigkill_of_an_import_leaves_all_rows_or_none(
    demo_path: Path, tmp_path: Path, when: str
) -> None:
    codes, count = tmp_path / "codes.csv", 20000
    _village_codes(demo_path, codes, count)
    before = _count(demo_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "geociv", "--store", str(demo_path), "divisions", "import",
         "--codes", str(codes)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    if when == "mid-transaction":  # inside the import's transaction (megabytes into the WAL)
        while not writing(demo_path):
            assert proc.poll() is None and time.monotonic() < deadline, "import ended too soon"
            time.sleep(0.01)
        proc.kill()
    assert proc.wait(timeout=120) == (-9 if when == "mid-transaction" else 0)
    assert integrity(demo_path) == "ok"
    after = _count(demo_path)
    assert after == (before if when == "mid-transaction" else before + count)
