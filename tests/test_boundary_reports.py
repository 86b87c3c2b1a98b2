"""The annual and round reports of the joint inspection on the real Zhumadian lines: figures,
totals, findings, signatures, and the map, page and Word document made from them.

西上线 (西平县 411721 — 上蔡县 411722) gets four sample markers and a plan in 2026: 001Q found
intact, 002A missing, 002B intact by the record but measured 12 m away (displaced), 003Q
damaged but signed by one side only; the line record notes a road. 西遂线 (西平县 — 遂平县) is
planned in 2026 with nothing recorded yet.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest

from geociv.auth import Users
from geociv.boundaries import reports
from geociv.boundaries.inspections import Inspections
from geociv.boundaries.reports import (
    COUNT_KEYS,
    TOTAL_KEYS,
    InspectionReport,
    annual_report,
    report_docx,
    report_html,
    report_map_png,
    round_report,
)
from geociv.boundaries.rounds import Rounds
from geociv.errors import ValidationError
from geociv.labels import REPORT_STATUS_LABELS
from tests.boundary_setup import (
    LINE,
    add_far_county,
    add_inspector,
    derive_zhumadian,
    moved,
    records_read,
    register_samples,
)
from tests.conftest import PASSWORD

XISUI = "411721-411728"  # 西遂线: 西平县 — 遂平县
TODAY = "2026-11-01"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _china_day(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(reports.CHINA_TZ).date().isoformat()


@pytest.fixture
def inspected(demo_store):
    """西上线 inspected in 2026 (three markers final, one signed by one side only, the line
    record final) and 西遂线 planned; returns the store, the round number and the records."""
    store = demo_store
    if store.get_boundary_line(LINE) is None:  # the demo may already hold the lines
        derive_zhumadian(store)
    markers = {m.marker_id: m for m in register_samples(store)}
    Users(store).add("inspector2", PASSWORD, role="inspector", division_code="411722",
                     display_name="王五", actor="admin1")  # fmt: skip
    add_inspector(store, "inspector4", "411728")  # 遂平县
    rounds = Rounds(store)
    round_no = rounds.open_for_year(2026, actor="admin1").round_no
    plan = rounds.plan(round_no, LINE, 2026, left_team=("411721", ["张三"]),
                       right_team=("411722", ["王五"]), actor="admin1", sample=True)  # fmt: skip
    xisui = rounds.plan(round_no, XISUI, 2026, left_team=("411721", ["张三"]),
                        right_team=("411728", ["赵六"]), actor="admin1")  # fmt: skip
    inspections = Inspections(store)

    def check(serial: str, condition: str, east_m: float | None = 1.0):
        marker = markers[f"{LINE}-{serial}"]
        position = None if east_m is None else moved(marker.location, east_m)
        return inspections.record_marker(
            plan.plan_id, marker.marker_id, condition=condition, actor="inspector1",
            inspected_on="2026-10-20", measured=position,
            gps_accuracy_m=None if east_m is None else 3.0, references_present=3,
        )  # fmt: skip

    def both(record):
        inspections.sign(record.record_id, signer="inspector1")
        return inspections.sign(record.record_id, signer="inspector2")

    records = {
        "001Q": both(check("001Q", "intact")),
        "002A": both(check("002A", "丢失", east_m=None)),
        "002B": both(check("002B", "intact", east_m=12.0)),
        "003Q": inspections.sign(check("003Q", "损坏").record_id, signer="inspector1"),
        "line": both(
            inspections.record_line(
                plan.plan_id, actor="inspector1", inspected_on="2026-10-22",
                changes=[("道路变化", "新建 S331 省道跨越界线")],
            )
        ),
    }  # fmt: skip
    return store, round_no, records, xisui


def _line(report: InspectionReport, line_id: str):
    return next(line for line in report.lines if line.line_id == line_id)


def test_figures_per_line_and_totals(inspected) -> None:
    store, _, records, _ = inspected
    report = annual_report(store, 2026, today=TODAY)
    assert report.scope == "annual" and (report.year, report.round_no) == (2026, None)
    assert report.title == "驻马店市2026年度行政区域界线联合检查报告"
    line = _line(report, LINE)
    assert (line.name, line.section, line.level) == ("西上线", "西平县—上蔡县", "county")
    stored = store.get_boundary_line(LINE)
    assert line.length_km == round(stored.length_km, 2) == line.km_inspected
    counts = {key: getattr(line, key) for key in ("markers_total", *COUNT_KEYS)}
    # 003Q is signed by one side only: not inspected yet
    assert counts == {"markers_total": 4, "inspected": 3, "intact": 1, "damaged": 0,
                      "missing": 1, "displaced": 1}  # fmt: skip
    assert (line.status, line.status_label, line.sample) == ("done", "已完成", True)
    assert line.changes == ["道路变化：新建 S331 省道跨越界线"]
    found = {(f["marker_id"], f["rule"]) for f in line.findings}
    assert (f"{LINE}-002A", "B4-MISSING") in found
    assert (f"{LINE}-002B", "B5-DISPLACED") in found
    assert not any(f["marker_id"] == f"{LINE}-003Q" for f in line.findings)
    assert {f["record_id"] for f in line.findings if f["rule"].startswith(("B4", "B5"))} == {
        records["002A"].record_id,
        records["002B"].record_id,
    }

    # every current two-sided line appears, the gaps too
    expected = {x.line_id for x in store.query_boundary_lines(with_geometry=False) if x.right_code}
    assert {x.line_id for x in report.lines} == expected
    xisui = _line(report, XISUI)
    assert (xisui.status, xisui.km_inspected, xisui.inspected) == ("planned", 0.0, 0)
    assert any(x.status == "not_planned" and x.km_inspected == 0 for x in report.lines)

    # totals are the sums of the lines
    t = report.totals
    assert set(t) == set(TOTAL_KEYS)
    assert t["lines"] == len(report.lines)
    assert t["lines_inspected"] == sum(1 for x in report.lines if x.km_inspected > 0)
    assert t["km_total"] == pytest.approx(sum(x.length_km for x in report.lines), abs=1e-6)
    assert t["km_inspected"] == pytest.approx(sum(x.km_inspected for x in report.lines))
    for key in ("markers_total", *COUNT_KEYS):
        assert t[key] == sum(getattr(x, key) for x in report.lines), key
    assert t["findings"] == sum(len(x.findings) for x in report.lines)
    for x in report.lines:
        assert x.intact + x.damaged + x.missing + x.displaced == x.inspected
    assert t["missing"] >= 1 and t["displaced"] >= 1 and report.sample

    text = report.summary()
    assert text.startswith(f"共检查界线 {int(t['lines_inspected'])} 条 {t['km_inspected']:.2f} km")
    assert f"丢失 {int(t['missing'])} 颗" in text and text.endswith("。")
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["summary"] == text and data["totals"]["inspected"] == t["inspected"]
    assert _line_dict(data, LINE)["status_label"] == "已完成"


def _line_dict(data: dict, line_id: str) -> dict:
    return next(x for x in data["lines"] if x["line_id"] == line_id)


def test_unsigned_records_do_not_count(inspected) -> None:
    store, _, records, xisui = inspected
    inspections = Inspections(store)
    # a line whose only record is signed by one side: in progress, nothing inspected
    marker_free = inspections.record_line(xisui.plan_id, actor="inspector1",
                                          inspected_on="2026-10-25")  # fmt: skip
    inspections.sign(marker_free.record_id, signer="inspector1")
    line = _line(annual_report(store, 2026, today=TODAY), XISUI)
    assert (line.status, line.km_inspected, line.signatures) == (
        "in_progress",
        0.0,
        {"left": [], "right": []},
    )
    # once the other side signs, it counts
    inspections.sign(marker_free.record_id, signer="inspector4")
    inspections.sign(records["003Q"].record_id, signer="inspector2")
    report = annual_report(store, 2026, today=TODAY)
    line = _line(report, XISUI)
    assert (line.status, line.km_inspected) == ("done", line.length_km)
    xishang = _line(report, LINE)
    assert (xishang.inspected, xishang.damaged) == (4, 1)
    assert any(f["rule"] == "B4-DAMAGED" for f in xishang.findings)


def test_status_overdue_scope_and_parent(inspected) -> None:
    store, round_no, _, _ = inspected
    late = annual_report(store, 2026, today="2027-01-10")
    assert _line(late, XISUI).status == "overdue" and REPORT_STATUS_LABELS["overdue"] == "逾期"
    assert _line(late, LINE).status == "done"

    # the next year: nothing of 2026 counts
    next_year = annual_report(store, 2027, today="2027-01-10")
    line = _line(next_year, LINE)
    assert (line.km_inspected, line.inspected, line.status) == (0.0, 0, "not_planned")

    # the round takes the round's records
    whole = round_report(store, round_no, today=TODAY)
    assert whole.scope == "round" and whole.round_no == round_no and whole.year is None
    assert whole.title == f"驻马店市第{round_no}轮（2026—2030年）行政区域界线联合检查报告"
    year_line, round_line = _line(annual_report(store, 2026, today=TODAY), LINE), _line(whole, LINE)
    assert year_line.to_dict() == round_line.to_dict()

    # parent: lines with a side inside 遂平县
    suiping = annual_report(store, 2026, parent="411728", today=TODAY)
    ids = {x.line_id for x in suiping.lines}
    assert XISUI in ids and LINE not in ids
    assert all("411728" in x.line_id.split("-") for x in suiping.lines)
    assert suiping.parent == "411728" and suiping.title.startswith("遂平县2026年度")
    with pytest.raises(ValidationError):
        annual_report(store, 2026, parent="41x")
    with pytest.raises(ValidationError):
        annual_report(store, 1800)
    with pytest.raises(LookupError):
        round_report(store, 99)


def test_signatures_of_both_sides(inspected) -> None:
    store, _, records, _ = inspected
    line = _line(annual_report(store, 2026, today=TODAY), LINE)
    final = store.get_inspection_record(records["line"].record_id)
    left_day = max(
        _china_day(r.signature("left").signed_at)
        for r in (store.get_inspection_record(x.record_id) for x in records.values())
        if r.is_final
    )
    assert line.signatures["left"] == [f"inspector1（西平县） {left_day}"]
    assert line.signatures["right"] == [
        f"王五/inspector2（上蔡县） {_china_day(final.signature('right').signed_at)}"
    ]


def test_html_page(inspected) -> None:
    store, _, _, _ = inspected
    report = annual_report(store, 2026, today=TODAY)
    png = report_map_png(store, report, width_px=900)
    page = report_html(report, map_png=png)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count(report.title) >= 2  # <title> and <h1>
    assert "data:image/png;base64," in page
    assert 'class="banner"' in page and "示例" in page
    assert report.summary() in page
    t = report.totals
    assert f"{t['km_inspected']:.2f} km" in page and f"{t['km_total']:.2f}" in page
    line = _line(report, LINE)
    assert f'data-line="{LINE}"' in page
    for side in ("left", "right"):
        assert line.signatures[side][0] in page
    assert "道路变化：新建 S331 省道跨越界线" in page and "界桩丢失" in page
    assert "http://" not in page and "https://" not in page  # no external assets
    bare = report_html(report)
    assert "data:image/png" not in bare and report.title in bare


def test_word_document(inspected) -> None:
    from docx import Document

    store, _, _, _ = inspected
    report = annual_report(store, 2026, today=TODAY)
    data = report_docx(report, map_png=report_map_png(store, report, width_px=800))
    assert data[:2] == b"PK"
    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert report.title in text and report.summary() in text and "示例" in text
    assert len(document.inline_shapes) == 1
    per_line = next(t for t in document.tables if t.rows[0].cells[1].text == "界线")
    assert len(per_line.rows) == 1 + len(report.lines) + 1  # header, lines, total
    names = [row.cells[1].text.split("\n")[0] for row in per_line.rows[1:-1]]
    assert names == [x.name + ("（示例）" if x.sample else "") for x in report.lines]
    row = next(r for r in per_line.rows if LINE in r.cells[1].text)
    line = _line(report, LINE)
    assert [c.text for c in row.cells[3:11]] == [
        f"{line.length_km:.2f}", f"{line.km_inspected:.2f}", "4", "3", "1", "0", "1", "1",
    ]  # fmt: skip
    assert per_line.rows[-1].cells[1].text.startswith("合计")
    cells = {c.text for t in document.tables for r in t.rows for c in r.cells}
    assert any(line.signatures["left"][0] in c for c in cells)
    assert any(line.signatures["right"][0] in c for c in cells)
    assert "界桩丢失" in cells


def test_map_png(inspected, monkeypatch) -> None:
    from PIL import Image

    store, _, _, _ = inspected
    report = annual_report(store, 2026, today=TODAY)
    png = report_map_png(store, report)
    assert png[:8] == PNG_MAGIC
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size[0] == 1600 and image.size[1] > 600
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # a drawing, not a blank
    # no CJK font installed: still drawn
    monkeypatch.setattr(reports, "cjk_font", lambda: None)
    small = report_map_png(store, report, width_px=640)
    with Image.open(io.BytesIO(small)) as image:
        assert image.size[0] == 640


def test_the_map_reads_only_the_counties_of_its_jurisdiction(inspected, monkeypatch) -> None:
    """The city's counties are read by their code prefix, not every county in the store."""
    store, _, _, _ = inspected
    add_far_county(store)
    report = annual_report(store, 2026, parent="411700", today=TODAY)
    read = records_read(store, "query_divisions", "code", monkeypatch)
    view = reports._map_view(store, report)
    assert read and all(code.startswith("4117") for code in read), read
    assert {d.code for d, inside, _ in view.divisions if inside} == set(read)


def test_a_report_without_lines(inspected) -> None:
    store, _, _, _ = inspected
    township = store.query_divisions(parent="411721", level="township", limit=1)[0]
    report = annual_report(store, 2026, parent=township.code, today=TODAY)
    assert report.lines == [] and report.totals["lines"] == 0 and not report.sample
    assert report.summary() == "范围内没有需要联检的界线。"
    png = report_map_png(store, report, width_px=600)
    assert png[:8] == PNG_MAGIC
    assert "未发现问题" in report_html(report, map_png=png)
    assert report_docx(report)[:2] == b"PK"


def test_html_page_escapes_what_people_wrote(inspected) -> None:
    """The page is built from a template (issue 11): text from the records is escaped, the
    page's own markup and style are not."""
    store, _, _, xisui = inspected
    hostile = '<script>alert("x")</script> & 新修路'
    inspections = Inspections(store)
    record = inspections.record_line(xisui.plan_id, actor="inspector1", inspected_on="2026-10-23",
                                     changes=[("road", hostile)])  # fmt: skip
    for side in ("inspector1", "inspector4"):
        inspections.sign(record.record_id, signer=side)
    page = report_html(annual_report(store, 2026, today=TODAY))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;/script&gt; &amp; 新修路" in page
    assert '"Noto Sans CJK SC"' in page and 'class="banner"' in page
