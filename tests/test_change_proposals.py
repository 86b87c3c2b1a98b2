"""Proposed division changes from two vintages of the official lists (issue 12, "Proposed
changes from two official lists"): the real Zhumadian 2016 → 2019 → 2023 lists, and small
hand-made lists for the kinds Zhumadian did not have."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from geociv.changes import DivisionList, Proposal, propose_changes, read_division_list
from geociv.changes.forms import core, same_but_form
from geociv.changes.kinds import CHANGE_KINDS
from geociv.labels import CHANGE_KIND_LABELS
from tests.conftest import OPEN_DATA, ROOT

ZHUMADIAN = OPEN_DATA / "admin-codes" / "zhumadian"


def _vintage(year: str) -> tuple[DivisionList, DivisionList]:
    """(counties and townships, villages) of one vintage."""
    upper = DivisionList.merge(
        [
            read_division_list(ZHUMADIAN / f"{level}_nbs_{year}.csv")
            for level in ("counties", "townships")
        ]
    )
    return upper, read_division_list(ZHUMADIAN / f"villages_nbs_{year}.csv")


@pytest.fixture(scope="module")
def vintages() -> dict[str, tuple[DivisionList, DivisionList]]:
    return {year: _vintage(year) for year in ("2016", "2019", "2023")}


def _propose(vintages: dict, old: str, new: str, *, villages: bool = True) -> list[Proposal]:
    (old_upper, old_villages), (new_upper, new_villages) = vintages[old], vintages[new]
    return propose_changes(
        old_upper,
        new_upper,
        parent="411700",
        old_villages=old_villages if villages else None,
        new_villages=new_villages if villages else None,
    )


@pytest.fixture(scope="module")
def real(vintages) -> list[Proposal]:
    return _propose(vintages, "2016", "2023")


def _one(proposals: list[Proposal], kind: str, old: str = "", new: str = "") -> Proposal:
    found = [
        p
        for p in proposals
        if p.kind == kind
        and (not old or old in [u.code for u in p.before])
        and (not new or new in [u.code for u in p.after])
    ]
    assert len(found) == 1, (kind, old, new, found)
    return found[0]


def test_township_to_town_with_its_villages(real) -> None:
    p = _one(real, "township_to_town", "411721204", "411721107")
    assert (p.level, p.before[0].name, p.after[0].name) == ("township", "宋集乡", "宋集镇")
    assert len(p.villages) == 14
    assert all(v.old_code[:9] == "411721204" and v.new_code[:9] == "411721107" for v in p.villages)
    assert all(v.old_code[-3:] == v.new_code[-3:] for v in p.villages)
    assert p.confidence >= 0.85
    assert "宋集乡的 14 个村（居）中 14 个现属 411721107（宋集镇）" in p.evidence
    assert len([p for p in real if p.kind == "township_to_town"]) == 9


def test_town_and_township_to_subdistrict(real) -> None:
    guolou = _one(real, "to_subdistrict", "411723107", "411723004")
    assert (guolou.before[0].name, guolou.after[0].name) == ("郭楼镇", "郭楼街道")
    assert len(guolou.villages) == 9
    assert {v.new_code[:9] for v in guolou.villages} == {"411723004"}
    gucheng = _one(real, "to_subdistrict", "411702206", "411702012")
    assert any("现属 411702012（古城街道）" in e for e in gucheng.evidence)
    # two of 古城乡's villages went to 确山县's 朗陵街道: a transfer of its own
    moved = _one(real, "transfer", "411702206201")
    assert moved.level == "village" and {u.parent_code for u in moved.after} == {"411725003"}


def test_rename_keeps_the_code(real) -> None:
    p = _one(real, "rename", "411724210", "411724210")
    assert (p.before[0].name, p.after[0].name) == ("吕河乡", "闾河乡")
    assert p.confidence >= 0.9


def test_new_subdistrict_made_from_villages_of_two_townships(real) -> None:
    p = _one(real, "new", new="411729400")
    assert p.before == () and p.after[0].name == "南湖街道"
    sources = {v.old_code[:9] for v in p.villages if v.old_code}
    assert sources == {"411729204", "411729205"}  # 河坞乡, 关津乡
    assert any("关津乡" in e and "河坞乡" in e for e in p.evidence)


def test_development_zone_units_not_in_2016_are_new(real) -> None:
    zone = _one(real, "new", new="411771")
    assert zone.level == "county"
    assert any("统计用的功能区" in e for e in zone.evidence)
    assert zone.confidence < 0.9
    units = [
        p
        for p in real
        if p.kind == "new" and p.level == "township" and p.after[0].code.startswith("411771")
    ]
    assert {p.after[0].name for p in units} == {
        "关王庙乡",
        "金河街道",
        "金山街道",
        "开源街道",
        "驻马店市职教园区",
    }
    assert all(p.confidence < 0.9 for p in units)  # the whole zone was missing in 2016


def test_changes_of_form_are_not_proposed(real) -> None:
    assert same_but_form("南海街道办事处", "南海街道")
    touched = {u.code for p in real for u in (*p.before, *p.after)}
    assert "411702005" not in touched  # 南海街道办事处 → 南海街道
    assert "411726400" not in touched  # 工业园区管委会 → 工业园区
    # the villages whose only change is the form (…村委会 → …村民委员会) are in no proposal
    assert "411721001200" not in touched


def test_real_merge_transfer_and_village_groups(real) -> None:
    merge = _one(real, "merge", "411721501")  # 产业集聚区 into 柏城街道
    assert [u.code for u in merge.after] == ["411721001"] and len(merge.villages) == 5
    transfer = _one(real, "transfer", "411728001010")  # 瞿阳街道 → 车站街道
    assert {u.parent_code for u in transfer.before} == {"411728001"}
    assert {u.parent_code for u in transfer.after} == {"411728002"}
    renames = [p for p in real if p.kind == "rename" and p.level == "village"]
    assert renames and all(p.villages for p in renames)
    assert {p.level for p in real if p.kind in ("new", "abolish")} >= {"village"}


def test_proposals_are_ordered_keyed_and_json_ready(vintages, real) -> None:
    counties = [(p.after or p.before)[0].code[:6] for p in real]
    assert counties == sorted(counties)
    keys = [p.key for p in real]
    assert len(set(keys)) == len(keys)
    assert keys == [p.key for p in _propose(vintages, "2016", "2023")]
    data = json.loads(json.dumps([p.to_json() for p in real], ensure_ascii=False))
    first = next(d for d in data if d["kind"] == "township_to_town")
    assert {
        "kind",
        "old_code",
        "old_name",
        "new_code",
        "new_name",
        "level",
        "before",
        "after",
        "villages",
        "confidence",
        "evidence",
        "key",
    } <= set(first)
    assert first["villages"][0].keys() == {"old_code", "old_name", "new_code", "new_name"}
    assert {p.kind for p in real} <= set(CHANGE_KINDS) - {"seat_move"}


def test_the_other_vintage_pairs_run(vintages) -> None:
    early = _propose(vintages, "2016", "2019")
    late = _propose(vintages, "2019", "2023")
    assert _one(late, "to_subdistrict", "411723107", "411723004")
    assert not [p for p in early if "411723004" in [u.code for u in p.after]]
    assert _one(early, "township_to_town", "411721204", "411721107")
    assert _one(late, "new", new="411729400")


def test_without_village_lists_townships_pair_by_name(vintages) -> None:
    upper = _propose(vintages, "2016", "2023", villages=False)
    p = _one(upper, "township_to_town", "411721204", "411721107")
    assert p.villages == () and p.confidence == 0.8
    assert all(p.level != "village" for p in upper)


# -- kinds that Zhumadian 2016 → 2023 does not show: small hand-made lists ----------------
def _list(*rows: tuple[str, str]) -> DivisionList:
    text = "code,name\n" + "".join(f"{code},{name}\n" for code, name in rows)
    return read_division_list(text.encode(), name="hand.csv")


def _villages(township: str, *names: str, start: int = 200) -> list[tuple[str, str]]:
    return [(f"{township}{start + i}", f"{n}村委会") for i, n in enumerate(names)]


def test_merge_of_two_townships_into_a_new_one() -> None:
    old = _list(
        ("411721", "西平县"),
        ("411721201", "甲乡"),
        ("411721202", "乙乡"),
        *_villages("411721201", "东庄", "西庄"),
        *_villages("411721202", "南庄", "北庄"),
    )
    new = _list(
        ("411721", "西平县"),
        ("411721110", "丙镇"),
        *_villages("411721110", "东庄", "西庄", "南庄", "北庄"),
    )
    [p] = propose_changes(old, new, parent="411721")
    assert (p.kind, [u.code for u in p.before], [u.code for u in p.after]) == (
        "merge",
        ["411721201", "411721202"],
        ["411721110"],
    )
    assert len(p.villages) == 4


def test_split_of_a_township_into_two_new_ones() -> None:
    old = _list(("411721201", "甲乡"), *_villages("411721201", "东庄", "西庄", "南庄", "北庄"))
    new = _list(
        ("411721110", "东镇"),
        ("411721111", "西镇"),
        *_villages("411721110", "东庄", "西庄"),
        *_villages("411721111", "南庄", "北庄"),
    )
    [p] = propose_changes(old, new, parent="411721")
    assert (p.kind, [u.code for u in p.after]) == ("split", ["411721110", "411721111"])


def test_recode_abolish_and_village_kinds() -> None:
    old = _list(
        ("411721201", "甲乡"),
        ("411721202", "乙乡"),
        *_villages("411721201", "东庄", "西庄"),
        *_villages("411721202", "南庄"),
    )
    new = _list(("411721210", "甲乡"), *_villages("411721210", "东庄", "西庄村", "新庄"))
    found = {(p.kind, p.level): p for p in propose_changes(old, new, parent="411721")}
    recode = found[("recode", "township")]
    assert [u.code for u in recode.before + recode.after] == ["411721201", "411721210"]
    assert len(recode.villages) == 2  # 西庄村委会 → 西庄村委会 is only a change of form
    assert [u.code for u in found[("abolish", "township")].before] == ["411721202"]
    assert [u.name for u in found[("new", "village")].after] == ["新庄村委会"]


def test_transfer_of_a_township_between_counties() -> None:
    old = _list(
        ("411721", "西平县"),
        ("411722", "上蔡县"),
        ("411721201", "甲乡"),
        *_villages("411721201", "东庄", "西庄"),
    )
    new = _list(
        ("411721", "西平县"),
        ("411722", "上蔡县"),
        ("411722215", "甲乡"),
        *_villages("411722215", "东庄", "西庄"),
    )
    [p] = propose_changes(old, new, parent="411700")
    assert (p.kind, p.level, p.before[0].parent_code, p.after[0].parent_code) == (
        "transfer",
        "township",
        "411721",
        "411722",
    )
    assert len(p.villages) == 2 and any("上级由 411721 变为 411722" in e for e in p.evidence)


def test_kinds_and_labels() -> None:
    assert len(CHANGE_KINDS) == 10 and CHANGE_KINDS[::9] == ("township_to_town", "seat_move")
    assert set(CHANGE_KIND_LABELS) == set(CHANGE_KINDS)
    assert core("人民街道办事处") != core("人民街街道")  # proposed as a rename, see forms.py


def test_cli_prints_json_and_needs_no_store(tmp_path) -> None:
    args = [
        sys.executable,
        "-m",
        "geociv",
        "--store",
        str(tmp_path / "none.gpkg"),
        "divisions",
        "changes",
        "propose",
        "--parent",
        "411700",
        "--json",
    ]
    for level in ("counties", "townships"):
        args += ["--from", str(ZHUMADIAN / f"{level}_nbs_2016.csv")]
        args += ["--to", str(ZHUMADIAN / f"{level}_nbs_2023.csv")]
    args += ["--villages-from", str(ZHUMADIAN / "villages_nbs_2016.csv")]
    args += ["--villages-to", str(ZHUMADIAN / "villages_nbs_2023.csv")]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    data = json.loads(done.stdout)
    song = next(d for d in data if d["old_code"] == "411721204")
    assert (song["kind"], song["old_name"], song["new_code"], song["new_name"]) == (
        "township_to_town",
        "宋集乡",
        "411721107",
        "宋集镇",
    )
    assert not (tmp_path / "none.gpkg").exists()
    table = subprocess.run(
        [a for a in args if a != "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert (
        "== 撤乡设镇（9 项）==" in table.stdout
        and "411721204 宋集乡 → 411721107 宋集镇" in table.stdout
    )


def test_cli_names_the_bad_row(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes("code,name\n411721107,宋集镇\n41172110,坏码\n".encode("gbk"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geociv",
            "divisions",
            "changes",
            "propose",
            "--from",
            str(bad),
            "--to",
            str(bad),
            "--parent",
            "411700",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2
    assert "bad.csv" in done.stderr and "第 3 行" in done.stderr and "code" in done.stderr
