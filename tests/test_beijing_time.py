"""Times in Beijing time (issue 10): the store keeps UTC; the case page, the audit page, the
boundary record page, the CLI audit listing and the exports show Beijing time (Asia/Shanghai)
as ``2026-12-03 20:15`` in table cells (``2026年12月3日 20:15`` in running text). A record is
written, then its stored timestamp is set to a known UTC instant in the real GeoPackage. The
coverage GeoPackage export's stamp is checked in tests/test_coverage_exports.py."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from geociv.boundaries.inspections import Inspections
from geociv.cli import main
from geociv.gazetteer.cases import Cases
from geociv.gazetteer.names import Gazetteer
from geociv.localtime import cell_time, text_time
from geociv.store import open_store
from geociv.store._gpkg_index import register_functions
from tests.boundary_field import Q1, prepare_field
from tests.conftest import login

#: 2026-12-03 12:15:40 UTC is 20:15 in Beijing; 17:30 UTC is already the next day there.
UTC_STAMP = "2026-12-03T12:15:40+00:00"
SHOWN = "2026-12-03 20:15"
LATE_UTC = "2026-12-03T17:30:00+00:00"
LATE_SHOWN = "2026-12-04 01:30"


def _set(path: str, sql: str, *args: object) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        register_functions(db)  # what the spatial index's triggers call, as GDAL provides
        assert db.execute(sql, args).rowcount >= 1


def test_the_two_styles() -> None:
    assert cell_time(UTC_STAMP) == SHOWN and text_time(UTC_STAMP) == "2026年12月3日 20:15"
    assert cell_time(LATE_UTC) == LATE_SHOWN
    assert cell_time("2026-12-03T12:15:40") == SHOWN  # naive stamps are UTC


def test_case_page_shows_beijing_time(app, client) -> None:
    path = app.config["GEOCIV_STORE"]
    store = open_store(path)
    case = Cases(store, Gazetteer(store)).apply(
        "naming", "锦程路", applicant="某公司", location="驿城区", category="road",
        division_code="411702", actor="officer1",
    )  # fmt: skip
    Cases(store, Gazetteer(store)).attach(case.case_id, "assessment", "a.pdf", b"%PDF-1.4",
                                          actor="officer1")  # fmt: skip
    store.close()
    _set(path, "UPDATE name_case_events SET at = ? WHERE case_id = ?", UTC_STAMP, case.case_id)
    _set(path, "UPDATE name_case_documents SET uploaded_at = ? WHERE case_id = ?", LATE_UTC,
         case.case_id)  # fmt: skip
    login(client, "officer1")
    page = client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    assert f"<td>{SHOWN}</td>" in page and f">{LATE_SHOWN}</td>" in page
    assert "12:15" not in page and "T17:30" not in page


def test_audit_page_and_cli_listing_show_beijing_time(app, client, demo_path) -> None:
    path = str(demo_path)
    _set(path, "UPDATE audit_log SET at = ? WHERE id = (SELECT MAX(id) FROM audit_log)", LATE_UTC)
    login(client, "admin1")  # adds a newer audit row; ours is the one before it
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f">{LATE_SHOWN}</td>" in page and LATE_UTC not in page
    listed = CliRunner().invoke(main, ["--store", path, "audit", "--limit", "50"])
    assert listed.exit_code == 0, listed.output
    assert LATE_SHOWN in listed.output and LATE_UTC not in listed.output


def test_boundary_record_page_shows_beijing_time(app, client) -> None:
    path = app.config["GEOCIV_STORE"]
    store = open_store(path)
    plan, markers = prepare_field(store)
    record = Inspections(store).record_marker(
        plan.plan_id, Q1, condition="intact", actor="inspector1",
        measured=markers[Q1].location, gps_accuracy_m=3, references_present=3,
    )  # fmt: skip
    store.close()
    _set(path, "UPDATE inspection_records SET created_at = ? WHERE record_id = ?", UTC_STAMP,
         record.record_id)  # fmt: skip
    login(client, "inspector1")
    page = client.get(f"/boundaries/records/{record.record_id}").get_data(as_text=True)
    assert "录入于 2026年12月3日 20:15" in page and "12:15" not in page


def beijing_now_shown(stamp: str) -> bool:
    """Whether ``stamp`` is the current Beijing time in the cell style (within a minute)."""
    shown = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    now = (datetime.now(UTC) + timedelta(hours=8)).replace(tzinfo=None)
    return abs(shown - now) <= timedelta(minutes=1, seconds=1)
