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


def _upload(rows: list[list[str]], encoding: str = "utf-8") -> dict[str, object]:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return {"file": (io.BytesIO(buffer.getvalue().encode(encoding)), "名录.csv")}


def test_the_api_sets_levels_and_names_bad_rows(client, app) -> None:
    from tests.conftest import login

    store: Store = app.extensions["geociv_store"]
    login(client, "admin1")
    bad = client.post(
        "/api/names/heritage",
        data=_upload(
            [["竹沟镇", "确山县", "中国历史文化名镇", SOURCE], ["竹沟镇", "确山县", "x", "y"]]
        ),
    )
    assert bad.status_code == 400
    problems = bad.get_json()["problems"]
    assert {(p["row"], p["field"]) for p in problems} == {(3, "heritage_level")}
    assert store.get_name(ZHUGOU).heritage_level == ""
    good = client.post(
        "/api/names/heritage",
        data=_upload([["竹沟镇", "确山县", "中国历史文化名镇", SOURCE]], "gbk"),
    )
    assert good.status_code == 200, good.get_json()
    body = good.get_json()
    assert (body["file"], body["rows"]) == ("名录.csv", 1)
    assert [r["id"] for r in body["changed"]] == [ZHUGOU]
    assert store.get_name(ZHUGOU).heritage_level == "中国历史文化名镇"
    login(client, "planner1")
    refused = client.post(
        "/api/names/heritage", data=_upload([["竹沟镇", "确山县", "千年古镇", SOURCE]])
    )
    assert refused.status_code == 403


def test_the_officers_page_imports_levels(client, app) -> None:
    from tests.conftest import login

    login(client, "admin1")
    page = client.get("/names/import").get_data(as_text=True)
    assert 'id="heritage-import"' in page and "地方:名录名称" in page
    bad = client.post("/names/heritage", data=_upload([["不存在镇", "确山县", "千年古镇", SOURCE]]))
    assert bad.status_code == 400
    assert "区划 确山县（411725）内没有名为“不存在镇”的地名记录" in bad.get_data(as_text=True)
    done = client.post(
        "/names/heritage",
        data=_upload([["竹沟镇", "确山县", "中国历史文化名镇", SOURCE]]),
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "设置了 1 条地名记录的文化遗产级别" in text
    assert "竹沟镇（D411725101）：中国历史文化名镇" in text
    record = client.get(f"/names/{ZHUGOU}").get_data(as_text=True)
    assert "中国历史文化名镇" in record


def test_the_cli_imports_levels(demo_path: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from geociv.cli import main
    from geociv.store import open_store

    path = _csv(tmp_path, [["竹沟镇", "411725", "中国历史文化名镇", SOURCE]], "gbk")
    result = CliRunner().invoke(main, ["--store", str(demo_path), "names", "heritage", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{ZHUGOU}\t竹沟镇\t中国历史文化名镇" in result.output
    bad = _csv(tmp_path, [["竹沟镇", "411799", "中国历史文化名镇", SOURCE]])
    failed = CliRunner().invoke(main, ["--store", str(demo_path), "names", "heritage", str(bad)])
    assert failed.exit_code != 0 and "未找到区划代码 411799" in failed.output
    store = open_store(demo_path)
    assert store.get_name(ZHUGOU).heritage_level == "中国历史文化名镇"
    store.close()


DATA = Path(__file__).resolve().parents[1] / "data" / "heritage"


def test_the_shipped_lists_are_importable_and_every_row_has_its_source() -> None:
    from geociv.gazetteer.heritage import normalise_level

    files = sorted(DATA.glob("*.csv"))
    assert len(files) == 3
    for path in files:
        rows = read_heritage_file(path)
        assert rows, path.name
        for row in rows:
            assert normalise_level(row.level) == row.level, (path.name, row.row)
            assert "http" in row.source and row.name and row.division, (path.name, row.row)


def test_the_zhumadian_rows_of_the_shipped_lists_apply_to_the_demo(demo_store: Store) -> None:
    rows = [
        r
        for path in sorted(DATA.glob("*.csv"))
        for r in read_heritage_file(path)
        if r.division == "确山县"
    ]
    changed = import_heritage(demo_store, rows, actor="admin1")
    assert [(r.name_id, r.heritage_level) for r in changed] == [(ZHUGOU, "中国历史文化名镇")]
