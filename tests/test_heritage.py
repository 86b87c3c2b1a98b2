"""Bulk import of heritage levels (地名文化遗产) onto the name records of the real Zhumadian
demo store: CSV in UTF-8 and GBK, XLSX; bad rows named, nothing half-written, audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from geociv.errors import InputFileError, PermissionDeniedError, ValidationError
from geociv.gazetteer.heritage import import_heritage, read_heritage_file
from geociv.store import Store

OFFICER = "officer1"  # 驿城区
#: 竹沟镇 (确山县), a 中国历史文化名镇 (fourth batch); the source is cited in data/heritage.
ZHUGOU = "D411725101"
SOURCE = "第四批中国历史文化名镇（建设部、国家文物局，2008）"
HEADER = ["名称", "区划", "级别", "来源"]


def _csv(tmp_path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path = tmp_path / "heritage.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_levels_from_a_gbk_csv_are_set_and_audited(demo_store: Store, tmp_path: Path) -> None:
    rows = [
        ["竹沟镇", "确山县", "中国历史文化名镇", SOURCE],
        ["驿城区", "411700", "地方：驻马店市测试名录", "测试来源"],
    ]
    changed = import_heritage(demo_store, read_heritage_file(_csv(tmp_path, rows, "gbk")),
                              actor="admin1")  # fmt: skip
    assert [(r.name_id, r.heritage_level) for r in changed] == [
        (ZHUGOU, "中国历史文化名镇"),
        ("D411702", "地方:驻马店市测试名录"),
    ]
    assert demo_store.get_name(ZHUGOU).heritage_level == "中国历史文化名镇"
    entry = demo_store.audit_entries(entity="names", key=ZHUGOU, limit=1)[0]
    assert (entry.action, entry.actor, entry.note) == ("names.heritage", "admin1", SOURCE)
    assert (entry.before["heritage_level"], entry.after["heritage_level"]) == (
        "",
        "中国历史文化名镇",
    )
    # the same file again changes nothing
    again = import_heritage(demo_store, read_heritage_file(_csv(tmp_path, rows)), actor="admin1")
    assert again == []


def test_an_xlsx_with_english_headers_is_read(demo_store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "division", "heritage_level", "source"])
    sheet.append(["竹沟镇", "411725", "中国历史文化名镇", SOURCE])
    path = tmp_path / "h.xlsx"
    book.save(path)
    rows = read_heritage_file(path)
    assert [(r.row, r.name, r.division) for r in rows] == [(2, "竹沟镇", "411725")]
    import_heritage(demo_store, rows, actor="admin1")
    assert demo_store.get_name(ZHUGOU).heritage_level == "中国历史文化名镇"


def test_every_bad_row_is_named_and_nothing_is_written(demo_store: Store, tmp_path: Path) -> None:
    rows = [
        ["竹沟镇", "确山县", "中国历史文化名镇", SOURCE],  # fine, but not written
        ["竹沟镇", "确山县", "千年古镇", SOURCE],  # the same record again
        ["不存在镇", "确山县", "千年古镇", SOURCE],  # no such record
        ["竹沟镇", "火星县", "千年古镇", SOURCE],  # no such division
        ["汝南县", "411727", "千年古县", ""],  # no source
        ["汝南县", "411727", "名县", SOURCE],  # unknown level
    ]
    with pytest.raises(ValidationError) as caught:
        import_heritage(demo_store, read_heritage_file(_csv(tmp_path, rows)), actor="admin1")
    problems = {(p.row, p.field) for p in caught.value.problems}
    assert problems == {
        (3, "name"),
        (4, "name"),
        (5, "division"),
        (6, "source"),
        (7, "heritage_level"),
    }
    messages = " ".join(p.message for p in caught.value.problems)
    assert "区划 确山县（411725）内没有名为“不存在镇”的地名记录" in messages
    assert "未找到名为“火星县”的区划" in messages and "与第 2 行是同一条地名记录" in messages
    assert demo_store.get_name(ZHUGOU).heritage_level == ""
    assert (
        demo_store.audit_entries(entity="names", key=ZHUGOU, limit=1)[0].action != "names.heritage"
    )


def test_rows_outside_the_officers_jurisdiction_refuse_the_file(
    demo_store: Store, tmp_path: Path
) -> None:
    rows = [
        ["驿城区", "411700", "地方:测试", "测试"],
        ["竹沟镇", "确山县", "中国历史文化名镇", SOURCE],
    ]
    with pytest.raises(PermissionDeniedError, match="第 3 行"):
        import_heritage(demo_store, read_heritage_file(_csv(tmp_path, rows)), actor=OFFICER)
    assert demo_store.get_name("D411702").heritage_level == ""
    with pytest.raises(PermissionDeniedError):
        import_heritage(demo_store, read_heritage_file(_csv(tmp_path, rows)), actor="planner1")


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("名称,区划\n竹沟镇,确山县\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_heritage_file(path)
    assert {p.field for p in caught.value.problems} == {"heritage_level", "source"}
