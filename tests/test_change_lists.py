"""Reading official division code lists (issue 12, "Bad input"): encodings, CSV or XLSX by
content, NBS or plain columns, every bad row named, nothing returned when one is bad."""

from __future__ import annotations

import io

import pytest

from geociv.changes import DivisionList, read_division_list
from geociv.changes import lists as lists_module
from geociv.errors import InputFileError, ValidationError
from tests.conftest import OPEN_DATA

ZHUMADIAN = OPEN_DATA / "admin-codes" / "zhumadian"

PLAIN = "code,name,parent\n411702,驿城区,411700\n411702001,人民街街道,411702\n411702100,水屯镇,\n"


def _problems(exc: pytest.ExceptionInfo) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.field, p.message) for p in exc.value.problems]


def test_real_nbs_lists_of_three_levels_read_and_merge() -> None:
    parts = [
        read_division_list(ZHUMADIAN / f"{level}_nbs_2023.csv")
        for level in ("counties", "townships", "villages")
    ]
    merged = DivisionList.merge(parts)
    assert len(merged) == 11 + 208 + 2906
    unit = merged["411723004"]
    assert (unit.name, unit.parent_code, unit.level) == ("郭楼街道", "411723", "township")
    assert merged["411723004200"].parent_code == "411723004"
    assert merged.origins["411723004"].file == "townships_nbs_2023.csv"
    assert (
        len(merged.under("411723")) == len([u for u in merged if u.code.startswith("411723")]) - 1
    )


def test_plain_columns_with_and_without_parent() -> None:
    units = read_division_list(PLAIN.encode(), name="plain.csv")
    assert [u.parent_code for u in units] == ["411700", "411702", "411702"]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("gbk"),
        lambda text: "\ufeff".encode() + text.encode("utf-8"),
        lambda text: text.encode("utf-8"),
    ],
    ids=["gbk", "utf8-bom", "utf8"],
)
def test_gbk_bom_and_plain_utf8_read_the_same(encode) -> None:
    units = read_division_list(encode(PLAIN), name="名单.csv")
    assert units["411702001"].name == "人民街街道"
    assert list(units.units) == ["411702", "411702001", "411702100"]


def test_xlsx_is_told_by_content_not_by_name() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "areaCode", "provinceCode", "cityCode"])
    sheet.append([411721107, "宋集镇", 411721, 41, 4117])
    buffer = io.BytesIO()
    book.save(buffer)
    units = read_division_list(buffer.getvalue(), name="乡镇名单")
    assert units["411721107"].name == "宋集镇"


def test_another_encoding_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InputFileError) as exc:
        read_division_list(PLAIN.encode("utf-16"), name="utf16.csv")
    assert "UTF-8" in str(exc.value) and "GBK" in str(exc.value)


def test_every_bad_row_is_named_and_nothing_is_returned() -> None:
    text = (
        "code,name,streetCode,provinceCode,cityCode,areaCode\n"
        "411721107200,宋集村民委员会,411721107,41,4117,411721\n"  # row 2: fine
        "41172110720,短码,411721107,41,4117,411721\n"  # row 3: malformed
        "411721107200,重复,411721107,41,4117,411721\n"  # row 4: duplicate of row 2
        "411721107201,,411721107,41,4117,411721\n"  # row 5: empty name
        "411721107202,错上级,411721108,41,4117,411721\n"  # row 6: parent disagrees
        "411721107203,错市,411721107,41,4118,411721\n"  # row 7: city disagrees
    )
    with pytest.raises(ValidationError) as exc:
        read_division_list(text.encode(), name="村.csv")
    found = _problems(exc)
    assert [(row, field) for row, field, _ in found] == [
        (3, "code"),
        (4, "code"),
        (5, "name"),
        (6, "streetCode"),
        (7, "cityCode"),
    ]
    assert "第 2 行重复" in found[1][2]
    assert "村.csv" in exc.value.title


def test_a_child_whose_parent_level_is_given_but_not_its_parent() -> None:
    text = "code,name\n411721,西平县\n411721107,宋集镇\n411722112,韩寨镇\n"
    with pytest.raises(ValidationError) as exc:
        read_division_list(text.encode(), name="mixed.csv")
    assert _problems(exc) == [(4, "parent", "上级区划 411722 不在名单中（缺少 韩寨镇 的上级）")]
    # a township list alone (no counties at all) is fine: its parents' level is not given
    assert len(read_division_list("code,name\n411722112,韩寨镇\n".encode(), name="t.csv")) == 1


def test_a_parent_column_that_disagrees_with_the_code() -> None:
    with pytest.raises(ValidationError) as exc:
        read_division_list("code,name,parent\n411721107,宋集镇,411722\n".encode(), name="p.csv")
    assert _problems(exc)[0][:2] == (2, "parent")


def test_merge_checks_across_files_and_names_the_file() -> None:
    counties = read_division_list("code,name\n411721,西平县\n".encode(), name="县.csv")
    towns = read_division_list(
        "code,name\n411721107,宋集镇\n411722112,韩寨镇\n".encode(), name="乡.csv"
    )
    again = read_division_list("code,name\n411721107,宋集镇\n".encode(), name="又.csv")
    with pytest.raises(ValidationError) as exc:
        DivisionList.merge([counties, towns, again])
    found = _problems(exc)
    assert (2, "code") in [(r, f) for r, f, _ in found]
    assert any(m.startswith("又.csv：代码 411721107 已见于 乡.csv 第 2 行") for _, _, m in found)
    assert any(m.startswith("乡.csv：上级区划 411722 不在名单中") and r == 3 for r, _, m in found)


def test_missing_columns_are_named() -> None:
    with pytest.raises(InputFileError) as exc:
        read_division_list("代码,地址\n411721,西平\n".encode(), name="cols.csv")
    assert [p.field for p in exc.value.problems] == ["name"]


def test_a_province_of_villages_passes_and_the_bounds_hold(monkeypatch) -> None:
    # as large as Henan's village list (52,378 rows, 3.3 MB): 52,000 rows, 12-digit codes
    rows = [
        f"41{c:02d}{k:02d}{t:03d}{v:03d},第{v}号样本村村民委员会,41{c:02d}{k:02d}{t:03d}"
        for c in range(1, 5)
        for k in range(1, 14)
        for t in range(1, 11)
        for v in range(1, 101)
    ]
    data = ("code,name,streetCode\n" + "\n".join(rows)).encode()
    assert len(rows) == 52_000 and 2.5 * 1024**2 < len(data) < lists_module.MAX_LIST_BYTES
    assert len(read_division_list(data, name="villages.csv")) == 52_000
    with pytest.raises(InputFileError, match="超过上限"):
        read_division_list(b"x" * (lists_module.MAX_LIST_BYTES + 1), name="big.csv")
    monkeypatch.setattr(lists_module, "MAX_LIST_ROWS", 1000)
    with pytest.raises(InputFileError, match="超过上限 1,000 行"):
        read_division_list(data, name="villages.csv")
