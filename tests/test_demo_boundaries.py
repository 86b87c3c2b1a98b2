"""The boundary part of the demo: real lines, clearly labelled sample markers and inspection."""

from __future__ import annotations

from pathlib import Path

from geociv.boundaries.inspections import Inspections
from geociv.boundaries.markers import Markers
from geociv.boundaries.registry import BoundaryLines
from geociv.demo import SAMPLE_LINE, load_boundary_demo, load_demo
from geociv.store import open_store


def test_boundary_demo_is_real_lines_plus_labelled_samples_and_idempotent(tmp_path: Path) -> None:
    store = open_store(tmp_path / "demo.gpkg")
    first = load_demo(store)
    lines = BoundaryLines(store).current()
    assert first.boundaries is not None and first.boundaries.lines.inserted == len(lines) == 42
    assert set(lines["source"]) == {"derived"}  # the lines come from real polygons
    names = set(lines["name"])
    assert {"驿确线", "周驻线", "信驻线", "豫皖线"} <= names
    assert set(lines.loc[lines["name"] == "豫皖线", "level"]) == {"provincial"}
    markers = Markers(store).query(line_id=SAMPLE_LINE)
    assert len(markers) == 4 and all(m.sample for m in markers)
    assert all("示例" in m.remarks for m in markers)
    records = Inspections(store).query(line_id=SAMPLE_LINE)
    assert len(records) == 1 and records[0].sample and records[0].status == "final"
    assert {s.side_code for s in records[0].signatures} == {"411702", "411725"}
    audit_before = len(store.audit_entries(limit=100_000))
    again = load_boundary_demo(store)
    assert again.changed == 0
    assert len(store.audit_entries(limit=100_000)) == audit_before
