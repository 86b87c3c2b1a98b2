"""The boundary domain's scenarios replayed on PostGIS: the tests of the register, markers,
rounds, inspections, findings and reports that work on a demo (or empty) store run here once
more, unchanged, with ``demo_store`` and ``empty_store`` a PostGIS database.

The demo is loaded once per session into a template database; each test gets a copy of it
(``CREATE DATABASE … TEMPLATE``). Tests that also need the GeoPackage file itself
(``demo_path``) stay with the GeoPackage.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
from collections.abc import Iterator

import pytest

from geociv.auth import Users
from geociv.demo import load_demo
from geociv.store import Store
from tests.conftest import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.postgis

#: The domain test modules replayed here.
REPLAYED = (
    "tests.test_boundary_registry",
    "tests.test_boundary_markers",
    "tests.test_boundary_rounds",
    "tests.test_boundary_inspections",
    "tests.test_boundary_findings",
    "tests.test_boundary_reports",
)
#: Fixtures a replayed test may take (the modules' own, and pytest's).
_FIXTURES = {"demo_store", "empty_store", "field", "inspected", "tmp_path", "monkeypatch"}
_DEMO_TEMPLATE = "geociv_demo_template"
_COPIES = itertools.count(1)


def _replay() -> None:
    """Bring the tests (and their modules' fixtures) of :data:`REPLAYED` into this module."""
    for module_name in REPLAYED:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name in ("field", "inspected"):
                globals()[name] = value
            elif name.startswith("test_") and callable(value):
                wanted = set(inspect.signature(value).parameters)
                if wanted & {"demo_store", "empty_store", "field", "inspected"} and (
                    wanted <= _FIXTURES
                ):
                    globals()[name] = value


_replay()


@pytest.fixture(scope="session")
def pg_demo_template(pg_cluster) -> str:
    """The name of a database holding the demo (no boundaries) and the test accounts."""
    from geociv.store.postgis import PostgisStore

    dsn = pg_cluster.new_database(_DEMO_TEMPLATE)
    store = PostgisStore(dsn)
    load_demo(store, boundaries=False)
    users = Users(store)
    for name, (role, division) in ACCOUNTS.items():
        users.add(name, PASSWORD, role=role, division_code=division, actor="pytest")
    store.close()
    return _DEMO_TEMPLATE


def _copy(pg_cluster, template: str) -> str:
    import psycopg

    name = f"geociv_replay_{next(_COPIES)}"
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return pg_cluster.dsn(name)


@pytest.fixture
def demo_store(pg_cluster, pg_demo_template: str) -> Iterator[Store]:
    """A PostGIS copy of the demo store."""
    from geociv.store.postgis import PostgisStore

    store = PostgisStore(_copy(pg_cluster, pg_demo_template))
    yield store
    store.close()


@pytest.fixture
def empty_store(pg_dsn: str) -> Iterator[Store]:
    """A new, empty PostGIS store."""
    from geociv.store.postgis import PostgisStore

    store = PostgisStore(pg_dsn)
    yield store
    store.close()


def test_the_boundary_demo_loads_into_postgis_once(demo_store) -> None:
    """The demo's boundary part (real lines, sample markers, a plan, an inspection signed by
    both sides) on the server, as ``tests/test_demo_boundaries.py`` checks it on the file."""
    from geociv.boundaries.inspections import Inspections
    from geociv.boundaries.markers import Markers
    from geociv.demo import SAMPLE_LINE, load_boundary_demo

    first = load_boundary_demo(demo_store)
    lines = demo_store.query_boundary_lines(with_geometry=False)
    assert first.lines.inserted == len(lines) == 42
    assert {"驿确线", "豫皖线"} <= {line.name for line in lines}
    markers = Markers(demo_store).query(line_id=SAMPLE_LINE)
    assert len(markers) == 4 and all(m.sample and "示例" in m.remarks for m in markers)
    (record,) = Inspections(demo_store).query(line_id=SAMPLE_LINE)
    assert record.status == "final" and {s.side_code for s in record.signatures} == {
        "411702", "411725",
    }  # fmt: skip
    audit_before = len(demo_store.audit_entries(limit=100_000))
    assert load_boundary_demo(demo_store).changed == 0
    assert len(demo_store.audit_entries(limit=100_000)) == audit_before


def test_two_checks_of_one_marker_in_one_plan_at_once_store_one(field) -> None:
    """"Not yet checked in the plan" is decided with the write on the server too: of two
    inspectors recording the same marker at the same moment, one is told to correct the other's
    record (as on the GeoPackage, whose writer holds the whole file)."""
    import threading

    from geociv.boundaries.inspections import Inspections
    from geociv.errors import ValidationError
    from tests.test_boundary_inspections import _check

    store, plan, markers = field
    start = threading.Barrier(3)
    outcomes: list[object] = []

    def record() -> None:
        start.wait()
        try:
            outcomes.append(_check(Inspections(store), plan, markers))
        except ValidationError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=record) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(type(o).__name__ for o in outcomes) == [
        "InspectionRecord", "ValidationError", "ValidationError",
    ]  # fmt: skip
    assert len(store.query_inspection_records(plan_id=plan.plan_id, kind="marker")) == 1
