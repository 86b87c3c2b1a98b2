"""Issue 12: ``geociv divisions changes …`` (proposals kept, accepted, dismissed; change cases
through their steps; 勘界 tasks) and ``geociv divisions show CODE --date``, run as a user runs
them on a copy of the demo store with the real Zhumadian code lists of 2016 and 2023."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from geociv.cli import main
from tests.conftest import OPEN_DATA

LISTS = OPEN_DATA / "admin-codes" / "zhumadian"
#: Counties and townships of one vintage, as ``--from``/``--to`` options.
VINTAGE = ("counties_nbs_{}.csv", "townships_nbs_{}.csv")


def run(store: Path | str, *args: str):
    return CliRunner().invoke(main, ["--store", str(store), *args])


def _propose(store, *extra: str):
    """Propose the changes of 西平县 (411721) from 2016 to 2023, counties and townships."""
    options = [o for year, flag in (("2016", "--from"), ("2023", "--to"))
               for name in VINTAGE for o in (flag, str(LISTS / name.format(year)))]  # fmt: skip
    return run(store, "divisions", "changes", "propose", *options, "--parent", "411721", *extra)


def _proposal_of(store, old_name: str) -> str:
    listed = run(store, "divisions", "changes", "proposals", "--json")
    return next(p["proposal_id"] for p in json.loads(listed.output)
                if p["body"]["old_name"] == old_name)  # fmt: skip


def _case_id(output: str) -> str:
    """The case id in ``已立案 D2019-0001：…``."""
    return output.split()[1].split("：")[0]


def _songji_effective(store) -> str:
    """宋集乡 → 宋集镇 (撤乡设镇) accepted and taken through every step on 2019-10-31."""
    assert _propose(store, "--save").exit_code == 0
    accepted = run(store, "divisions", "changes", "accept", _proposal_of(store, "宋集乡"),
                   "--on", "2019-10-31")  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    case_id = _case_id(accepted.output)
    steps = [
        ("review", "--pinyin", "411721107=Sòngjí Zhèn"),
        ("approve", "--body", "河南省人民政府", "--number", "豫政文〔2019〕88号"),
        ("effective",),
    ]
    for step, *options in steps:
        done = run(store, "divisions", "changes", "case", step, case_id, *options,
                   "--on", "2019-10-31")  # fmt: skip
        assert done.exit_code == 0, (step, done.output)
    return case_id


def test_propose_save_keeps_the_proposals_once(demo_path) -> None:
    first = _propose(demo_path, "--save", "--batch", "2016→2023")
    assert first.exit_code == 0, first.output
    assert "已保存 3 项新建议（共 3 项" in first.output and "宋集乡" in first.output
    again = _propose(demo_path, "--save")
    assert "已保存 0 项新建议" in again.output
    listed = run(demo_path, "divisions", "changes", "proposals", "--status", "pending")
    assert listed.output.count("待审核") == 3 and "撤乡设镇\t宋集乡 → 宋集镇" in listed.output
    # without --save nothing is kept and, with --json, stdout stays one JSON list
    plain = _propose(demo_path, "--json")
    assert plain.exit_code == 0 and len(json.loads(plain.output)) == 3


def test_accept_dismiss_and_their_errors(demo_path) -> None:
    _propose(demo_path, "--save")
    pid = _proposal_of(demo_path, "二郎乡")
    no_reason = run(demo_path, "divisions", "changes", "dismiss", pid, "--reason", " ")
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    dismissed = run(demo_path, "divisions", "changes", "dismiss", pid, "--reason", "另案办理")
    assert dismissed.exit_code == 0 and "另案办理" in dismissed.output
    twice = run(demo_path, "divisions", "changes", "accept", pid)
    assert twice.exit_code == 2 and "已驳回，不能再处理" in twice.output
    unknown = run(demo_path, "divisions", "changes", "accept", "P999999")
    assert unknown.exit_code == 1 and "P999999" in unknown.output
    future = run(demo_path, "divisions", "changes", "accept", _proposal_of(demo_path, "宋集乡"),
                 "--on", "2999-01-01")  # fmt: skip
    assert future.exit_code == 2 and "on" in future.output and "晚于今天" in future.output
    listed = run(demo_path, "divisions", "changes", "proposals", "--status", "dismissed")
    assert "二郎乡 → 二郎镇\t已驳回\t理由：另案办理" in listed.output


def test_case_through_every_step_and_the_as_of_answers(demo_path, tmp_path) -> None:
    case_id = _songji_effective(demo_path)
    shown = run(demo_path, "divisions", "changes", "case", "show", case_id)
    assert "已生效" in shown.output and "豫政文〔2019〕88号" in shown.output
    assert "撤销 411721204" in shown.output and "新设 411721107" in shown.output
    as_json = json.loads(run(demo_path, "divisions", "changes", "case", "show", case_id,
                             "--json").output)  # fmt: skip
    assert as_json["status"] == "effective" and as_json["effective_date"] == "2019-10-31"
    assert as_json["changes"]["names"] == {"411721107": "Sòngjí Zhèn"}
    listed = run(demo_path, "divisions", "changes", "case", "list", "--status", "effective")
    assert case_id in listed.output
    letter = tmp_path / "批复.txt"
    letter.write_text("豫政文〔2019〕88号 批复", encoding="utf-8")
    attached = run(demo_path, "divisions", "changes", "case", "attach", case_id, str(letter),
                   "--type", "approval")  # fmt: skip
    assert attached.exit_code == 0 and "批复" in attached.output
    # as of 2016 the old township, its successor not yet; today the successor
    then = run(demo_path, "divisions", "show", "411721204", "--date", "2016-08-01")
    assert then.exit_code == 0 and "宋集乡" in then.output
    assert "记录之前 至 2019-10-31" in then.output
    now = run(demo_path, "divisions", "show", "411721107")
    assert "宋集镇" in now.output and "前身：411721204" in now.output
    assert "2019-10-31 至 今" in now.output
    missing = run(demo_path, "divisions", "show", "411721107", "--date", "2016-08-01")
    assert missing.exit_code == 1 and "2016-08-01 时不在册" in missing.output


def test_case_step_errors_exit_2_naming_the_field(demo_path) -> None:
    _propose(demo_path, "--save")
    accepted = run(demo_path, "divisions", "changes", "accept", _proposal_of(demo_path, "二郎乡"))
    case_id = _case_id(accepted.output)
    early = run(demo_path, "divisions", "changes", "case", "approve", case_id, "--body", "省政府",
                "--number", "1号")  # fmt: skip
    assert early.exit_code == 2 and "status" in early.output
    bad = run(demo_path, "divisions", "changes", "case", "review", case_id, "--pinyin", "x")
    assert bad.exit_code == 2 and "pinyin" in bad.output and "代码=拼音" in bad.output
    bad_day = run(demo_path, "divisions", "changes", "case", "effective", case_id,
                  "--on", "2019-02-30")  # fmt: skip
    assert bad_day.exit_code == 2
    no_reason = run(demo_path, "divisions", "changes", "case", "reject", case_id, "--reason", "")
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    withdrawn = run(demo_path, "divisions", "changes", "case", "withdraw", case_id,
                    "--reason", "申请人撤回")  # fmt: skip
    assert withdrawn.exit_code == 0 and "已撤回" in withdrawn.output
    again = run(demo_path, "divisions", "changes", "case", "reject", case_id, "--reason", "x")
    assert again.exit_code == 2 and "status" in again.output
    bad_date = run(demo_path, "divisions", "show", "411721", "--date", "2016-13-01")
    assert bad_date.exit_code == 2 and "date" in bad_date.output


def test_surveys_of_a_change_of_extent(demo_path) -> None:
    """An 撤销 (abolish) changes extents: its 勘界 task is due a year after approval, overdue
    now, then done."""
    _propose(demo_path, "--save")
    accepted = run(demo_path, "divisions", "changes", "accept",
                   _proposal_of(demo_path, "产业集聚区"), "--on", "2019-10-31")  # fmt: skip
    case_id = _case_id(accepted.output)
    for step, *options in [("review",), ("approve", "--body", "省政府", "--number", "1号"),
                           ("effective",)]:  # fmt: skip
        done = run(demo_path, "divisions", "changes", "case", step, case_id, *options,
                   "--on", "2019-10-31")  # fmt: skip
        assert done.exit_code == 0, done.output
    overdue = json.loads(run(demo_path, "divisions", "changes", "surveys", "--overdue",
                             "--json").output)  # fmt: skip
    assert [(t["case_id"], t["due"], t["overdue"]) for t in overdue] == [
        (case_id, "2020-10-31", True)]  # fmt: skip
    listed = run(demo_path, "divisions", "changes", "surveys")
    assert "逾期" in listed.output and "到期 2020-10-31" in listed.output
    task = overdue[0]["task_id"]
    done = run(demo_path, "divisions", "changes", "surveys", "done", task, "--on", "2020-06-01")
    assert done.exit_code == 0 and "2020-06-01" in done.output
    twice = run(demo_path, "divisions", "changes", "surveys", "done", task)
    assert twice.exit_code == 2 and "status" in twice.output
    assert "没有逾期的勘界任务" in run(demo_path, "divisions", "changes", "surveys",
                                       "--overdue").output  # fmt: skip
    unknown = run(demo_path, "divisions", "changes", "surveys", "done", "K0000-9999")
    assert unknown.exit_code == 1 and "K0000-9999" in unknown.output
