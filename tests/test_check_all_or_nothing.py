"""A field check is one domain call and one transaction (issue 11, layering): the record, its
photo and the signature are kept together or not at all, through the page and the API alike.

A step is made to fail for real: a trigger on the real GeoPackage store aborts the write of
the photo or of the signature, as a full disk or a broken file would."""

from __future__ import annotations

import io
import sqlite3
from datetime import date

import pytest

from geociv.boundaries.inspections import Inspections
from geociv.store import Store
from tests.boundary_field import Q1, prepare_field
from tests.boundary_setup import moved
from tests.conftest import login
from tests.sample_files import png_bytes

PNG = png_bytes()
TODAY = date.today().isoformat()

#: The table each step writes to.
STEP_TABLES = {"photo": "boundary_photos", "sign": "inspection_signatures"}


@pytest.fixture
def field(app):
    store: Store = app.extensions["geociv_store"]
    plan, markers = prepare_field(store)
    return store, plan, markers


def _fail_writes_to(store: Store, table: str) -> None:
    """Make every insert into ``table`` of the store's file abort."""
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute(
            f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'the disk failed'); END"
        )
    conn.close()


def _records(store: Store, plan_id: int) -> list:
    return Inspections(store).query(plan_id=plan_id)


def _post(client, via: str, plan, markers, **extra):
    where = moved(markers[Q1].location, 1.5)
    fields = {
        "plan_id": str(plan.plan_id), "marker_id": Q1, "lon": f"{where.x:.7f}",
        "lat": f"{where.y:.7f}", "gps_accuracy_m": "2.5", "condition": "intact",
        "inspected_on": TODAY, "sign": "1", **extra,
    }  # fmt: skip
    if via == "api":
        return client.post("/api/boundaries/records", data=fields,
                           content_type="multipart/form-data")  # fmt: skip
    fields.update(ref_total="3", ref_ok=["0", "1", "2"])
    return client.post("/boundaries/check", data=fields, content_type="multipart/form-data")


@pytest.mark.parametrize("via", ["page", "api"])
@pytest.mark.parametrize("step", ["photo", "sign"])
def test_a_failed_photo_or_signature_keeps_no_record(app, client, field, via, step) -> None:
    store, plan, markers = field
    _fail_writes_to(store, STEP_TABLES[step])
    login(client, "inspector1")
    try:
        response = _post(client, via, plan, markers, photo=(io.BytesIO(PNG), "现场.png"))
    except sqlite3.DatabaseError:  # the test app lets unexpected errors through
        pass
    else:
        assert response.status_code >= 500
    assert _records(store, plan.plan_id) == []
    entries = store.audit_entries(entity="inspection_records")
    assert [e for e in entries if e.action == "inspections.add"] == []


@pytest.mark.parametrize("via", ["page", "api"])
def test_the_check_photo_and_signature_are_kept_together(client, field, via) -> None:
    store, plan, markers = field
    login(client, "inspector1")
    response = _post(client, via, plan, markers, photo=(io.BytesIO(PNG), "现场.png"))
    assert response.status_code in (201, 302)
    (record,) = _records(store, plan.plan_id)
    assert record.signature("left").username == "inspector1"
    assert [p.filename for p in Inspections(store).photos(record.record_id)] == ["现场.png"]


def test_a_refused_signature_keeps_the_record_unsigned(client, field) -> None:
    """A signature the rules refuse is an answer, not a failure: the check is kept."""
    store, plan, markers = field
    login(client, "admin1")  # the city bureau: on neither side of a county line
    response = _post(client, "api", plan, markers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert "不属于界线" in body["sign_refused"] and body["waiting_for"] == ["left", "right"]
    assert len(_records(store, plan.plan_id)) == 1


def test_a_bad_position_keeps_no_record_even_when_none_is_needed(client, field) -> None:
    """A missing marker needs no position, but a wrong one is still refused, and nothing kept."""
    store, plan, markers = field
    login(client, "inspector1")
    response = _post(client, "api", plan, markers, condition="missing", lon="东经114")
    assert response.status_code == 400
    assert [p["field"] for p in response.get_json()["problems"]] == ["lon"]
    assert _records(store, plan.plan_id) == []


def test_the_domain_call_is_one_transaction(field) -> None:
    store, plan, _markers = field
    _fail_writes_to(store, "boundary_photos")
    with pytest.raises(sqlite3.DatabaseError):
        Inspections(store).submit(
            plan.plan_id, marker_id=Q1, actor="inspector1", condition="missing",
            photo=("现场.png", PNG), sign=True,
        )  # fmt: skip
    assert _records(store, plan.plan_id) == []
