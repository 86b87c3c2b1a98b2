"""Races (issue 9, defect 5): uniqueness rules are decided inside the writing transaction.

Real threads race real writes against one real store file; each thread uses its own SQLite
connection (the store keeps one per thread, as the server does). Exactly one write wins, the
others are refused with a 4xx-kind error, and nothing half-written remains.
"""

from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from geociv.auth import Users
from geociv.boundaries.inspections import Inspections
from geociv.boundaries.markers import Markers
from geociv.boundaries.rounds import Rounds
from geociv.errors import DuplicateError, ValidationError
from geociv.gazetteer.cases import Cases
from geociv.gazetteer.names import Gazetteer
from geociv.store import Store, open_store
from tests.boundary_setup import LINE, derive_zhumadian, point_on, register_samples
from tests.conftest import PASSWORD

THREADS = 12
NAME = "锦程路"  # not in the demo gazetteer


def race(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``n`` threads released together; (results, errors)."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            out = work(i)
        except BaseException as exc:  # collected and asserted on
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return results, errors


def stored_names(store: Store, name: str) -> list[str]:
    return [r.name_id for r in store.query_names() if r.name == name]


def test_same_name_registered_by_many_officers_at_once_is_stored_once(
    demo_store, demo_path
) -> None:
    gaz = Gazetteer(demo_store)  # one service shared by every thread, as the web app does
    assert not gaz.check(NAME, "road", "411702").blocking
    results, errors = race(
        THREADS, lambda i: gaz.add(NAME, "road", "411702", actor="officer1")
    )
    assert len(results) == 1, f"{len(results)} of {THREADS} registrations stored"
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert all("N2-DUPLICATE" in str(e) for e in errors)
    with open_store(demo_path) as fresh:  # what is stored, through a new connection
        assert len(stored_names(fresh, NAME)) == 1


def test_same_names_imported_at_once_are_stored_once(demo_store) -> None:
    gaz = Gazetteer(demo_store)
    from geociv.gazetteer.rules import Candidate

    candidates = [Candidate(NAME, "road", "411702", row=1), Candidate("锦华街", "road", "411702",
                                                                         row=2)]  # fmt: skip
    reports = gaz.check_many(candidates)  # every importer checked before anyone saved
    assert not any(r.blocking for r in reports)
    results, errors = race(6, lambda i: gaz.save_reports(reports, actor="officer1"))
    assert results == [2]
    assert len(errors) == 5 and all(isinstance(e, ValidationError) for e in errors)
    assert len(stored_names(demo_store, NAME)) == 1
    assert len(stored_names(demo_store, "锦华街")) == 1


def test_renaming_cases_on_one_record_opened_at_once_make_one_case(demo_store) -> None:
    cases = Cases(demo_store, Gazetteer(demo_store))
    record = next(r for r in demo_store.query_names() if r.division_code == "411702")

    def apply(i: int) -> str:
        return cases.apply(
            "renaming", f"新名{'一二三四五六七八九十'[i % 10]}{i}村", applicant="某村委会",
            location="驿城区", name_id=record.name_id, actor="officer1",
        ).case_id  # fmt: skip

    results, errors = race(10, apply)
    assert len(results) == 1, results
    assert all(isinstance(e, ValidationError) for e in errors), errors
    open_cases = [c for c in demo_store.query_cases(name_id=record.name_id) if c.is_open]
    assert [c.case_id for c in open_cases] == results


def test_case_numbers_from_concurrent_applications_are_distinct(demo_store) -> None:
    cases = Cases(demo_store, Gazetteer(demo_store))
    names = [f"锦{c}路" for c in "甲乙丙丁戊己庚辛壬癸"]

    def apply(i: int) -> str:
        return cases.apply(
            "naming", names[i], applicant="某开发商", location="驿城区", category="road",
            division_code="411702", actor="officer1", on="2026-03-01",
        ).case_id  # fmt: skip

    results, errors = race(10, apply)
    assert not errors
    assert len(set(results)) == 10


@pytest.fixture
def boundary_store(demo_store) -> Store:
    derive_zhumadian(demo_store)
    register_samples(demo_store)
    return demo_store


def test_same_marker_number_registered_at_once_is_stored_once(boundary_store) -> None:
    line = boundary_store.get_boundary_line(LINE)
    point = point_on(line, 0.6)
    markers = Markers(boundary_store)

    def register(i: int) -> str:
        return markers.register(f"{LINE}-004Q", point, actor="inspector1").marker_id

    results, errors = race(10, register)
    assert results == [f"{LINE}-004Q"]
    assert all(isinstance(e, ValidationError | DuplicateError) for e in errors), errors
    assert len([m for m in boundary_store.query_markers() if m.serial == 4]) == 1


def test_one_marker_checked_twice_in_a_plan_at_once_gives_one_record(boundary_store) -> None:
    rounds = Rounds(boundary_store)
    rounds.open(5, 2026, actor="inspector1")
    plan = rounds.plan(
        5, LINE, 2026, left_team=("411721", ["张三"]), right_team=("411722", ["李四"]),
        actor="inspector1",
    )  # fmt: skip
    marker = boundary_store.get_marker(f"{LINE}-001Q")
    inspections = Inspections(boundary_store)

    def record(i: int) -> str:
        return inspections.record_marker(
            plan.plan_id, marker.marker_id, condition="intact", actor="inspector1",
            measured=marker.location, gps_accuracy_m=3.0, references_present=3,
        ).record_id  # fmt: skip

    results, errors = race(10, record)
    assert len(results) == 1, results
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert len(boundary_store.query_inspection_records(plan_id=plan.plan_id)) == 1


def test_same_user_name_added_at_once_is_stored_once(demo_store) -> None:
    users = Users(demo_store)
    def add(i: int) -> object:
        return users.add("racer", PASSWORD, role="planner", division_code="411702", actor="admin1")

    results, errors = race(10, add)
    assert len(results) == 1
    assert all(isinstance(e, DuplicateError) for e in errors), errors


# -- through HTTP -----------------------------------------------------------------------------
@pytest.fixture
def threaded_server(demo_path: Path):
    """The real app on a threaded werkzeug server on 127.0.0.1."""
    from web import create_app

    app = create_app({"GEOCIV_STORE": str(demo_path), "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "race-test"})  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _session(base: str, username: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
    opener.open(f"{base}/login", data=data, timeout=30).read()
    return opener


def _post_json(opener: urllib.request.OpenerDirector, url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_same_name_race_through_http_stores_exactly_one(threaded_server, demo_path) -> None:
    sessions = [_session(threaded_server, "officer1") for _ in range(10)]
    body = {"name": NAME, "category": "road", "division_code": "411702"}
    results, errors = race(
        10, lambda i: _post_json(sessions[i], f"{threaded_server}/api/names", body)
    )
    assert not errors
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [400] * 9, statuses
    with open_store(demo_path) as store:
        assert len(stored_names(store, NAME)) == 1
