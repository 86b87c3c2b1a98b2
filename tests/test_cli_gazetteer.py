"""``geociv cases`` and ``geociv signs`` run as an officer runs them, on the demo store."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from geociv.auth import local_actor
from geociv.cli import main
from geociv.store import open_store
from tests.sample_files import jpeg_bytes

COMMUNITY = "D411702001002"


def run(store: Path, *args: str):
    return CliRunner().invoke(main, ["--store", str(store), *args])


def _reports(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for doc_type in ("assessment", "专家论证报告", "consultation"):
        path = tmp_path / f"{doc_type}.pdf"
        path.write_bytes(b"%PDF-1.7 " + doc_type.encode())
        files[doc_type] = path
    return files


def _renaming(store: Path, date_: str = "2025-03-03") -> str:
    result = run(
        store,
        "cases", "apply", "renaming", "风光路社区",
        "--name-id", COMMUNITY,
        "--location", "人民街街道中部",
        "--applicant", "人民街街道办事处",
        "--reason", "简化名称",
        "--date", date_,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output.split()[1]


def test_a_renaming_case_from_application_to_notice_and_effect(
    demo_path: Path, tmp_path: Path
) -> None:
    case_id = _renaming(demo_path)
    assert case_id.startswith("C2025-")
    blocked = run(demo_path, "cases", "step", case_id, "review", "--date", "2025-03-10")
    assert blocked.exit_code == 2
    assert "缺少综合评估报告" in blocked.output and "documents" in blocked.output
    for doc_type, path in _reports(tmp_path).items():
        attached = run(demo_path, "cases", "attach", case_id, doc_type, str(path))
        assert attached.exit_code == 0, attached.output
    assert "已上传" in attached.output and "征求意见报告" in attached.output
    refused = run(demo_path, "cases", "notice", case_id)
    assert refused.exit_code == 2 and "批准后才能生成公告" in refused.output
    steps = [
        ("review", "--date", "2025-03-10", "--note", "材料齐全"),
        ("approve", "--date", "2025-03-20", "--approving-body", "驿城区人民政府"),
    ]
    for step in steps:
        result = run(demo_path, "cases", "step", case_id, *step)
        assert result.exit_code == 0, result.output
    assert "已批准（2025-03-20），当前状态：已批准" in result.output

    page = tmp_path / "公告.html"
    notice = run(demo_path, "cases", "notice", case_id, "--html", str(page), "--date", "2025-03-25")
    assert notice.exit_code == 0, notice.output
    assert "标准地名：风光路社区" in notice.output
    assert "罗马字母拼写：Fēngguānglù Shèqū" in notice.output
    assert "所在行政区划：驻马店市驿城区人民街街道" in notice.output
    html = page.read_text(encoding="utf-8")
    assert "关于风光路南段社区更名为风光路社区的公告" in html and "2025年3月25日" in html

    late = run(demo_path, "cases", "overdue", "--today", "2025-04-30")
    assert late.exit_code == 3
    assert f"{case_id}\t备案\t批准 2025-03-20\t未完成\t批准后 41 天，逾期 26 天" in late.output
    assert run(demo_path, "cases", "overdue", "--today", "2025-03-30").output == "没有逾期案件\n"

    for step in (
        ("file", "--date", "2025-03-25", "--filed-with", "驻马店市民政局"),
        ("publish", "--date", "2025-03-28"),
        ("effective", "--date", "2025-04-01"),
    ):
        result = run(demo_path, "cases", "step", case_id, *step)
        assert result.exit_code == 0, result.output
    listing = run(demo_path, "cases", "list", "--status", "effective")
    assert listing.output.startswith(f"{case_id}\t更名\t风光路南段社区 → 风光路社区\t已生效")
    shown = run(demo_path, "cases", "show", case_id).output
    assert f"审核\t2025-03-10\t{local_actor()}  材料齐全" in shown and shown.count("附件 #") == 3
    names = run(demo_path, "names", "show", COMMUNITY).output
    assert "风光路社区" in names and "曾用名：风光路南段社区（至 2025-04-01）" in names


def test_review_accepts_findings_with_reasons(demo_path: Path, tmp_path: Path) -> None:
    result = run(
        demo_path,
        "cases", "apply", "naming", "任张楼村",
        "--category", "village", "--division", "411702102",
        "--location", "板桥镇东部安置区", "--applicant", "板桥镇人民政府", "--date", "2025-05-06",
    )  # fmt: skip
    case_id = result.output.split()[1]
    for doc_type, path in _reports(tmp_path).items():
        run(demo_path, "cases", "attach", case_id, doc_type, str(path))
    blocked = run(demo_path, "cases", "step", case_id, "review", "--date", "2025-05-07")
    assert blocked.exit_code == 2 and "[N2-DUPLICATE]" in blocked.output
    bad = run(demo_path, "cases", "step", case_id, "review", "--accept", "N2-DUPLICATE")
    assert bad.exit_code == 2 and "规则编号=理由" in bad.output
    ok = run(
        demo_path, "cases", "step", case_id, "review",
        "--date", "2025-05-07", "--accept", "N2-DUPLICATE=原村已撤并",
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output


def test_case_errors_exit_non_zero_naming_the_field(demo_path: Path) -> None:
    bad_date = run(
        demo_path, "cases", "apply", "renaming", "风光路社区", "--name-id", COMMUNITY,
        "--location", "x", "--applicant", "y", "--date", "2025-02-30",
    )  # fmt: skip
    assert bad_date.exit_code == 2 and "字段 on" in bad_date.output and "不存在" in bad_date.output
    unknown = run(
        demo_path, "cases", "apply", "renaming", "新名村", "--name-id", "NOPE",
        "--location", "x", "--applicant", "y",
    )  # fmt: skip
    assert unknown.exit_code == 2 and "字段 name_id：未找到地名记录 NOPE" in unknown.output
    missing = run(demo_path, "cases", "step", "C1999-0001", "publish")
    assert missing.exit_code == 1 and "未找到案件 C1999-0001" in missing.output
    assert run(demo_path, "cases", "show", "C1999-0001").exit_code == 1
    assert run(demo_path, "cases", "list").output == "没有案件\n"
    with open_store(demo_path) as store:
        assert store.query_cases() == []


def test_signs_register_patrol_findings(demo_path: Path, tmp_path: Path) -> None:
    registered = run(
        demo_path, "signs", "register", COMMUNITY, "--lon", "114.0236", "--lat", "32.9862",
        "--type", "村牌", "--pinyin", "Fengguanglu Nanduan Shequ", "--installed-on", "2024-04-01",
    )  # fmt: skip
    assert registered.exit_code == 0, registered.output
    assert registered.output.startswith("已登记 S000001：风光路南段社区 Fengguanglu Nanduan Shequ")
    assert "[N8-SIGN-PINYIN]" in registered.output and "[N8-SIGN-PATROL]" in registered.output
    # text and pinyin default to the record's
    clean = run(demo_path, "signs", "register", COMMUNITY, "--lon", "114.03", "--lat", "32.99")
    assert clean.exit_code == 0 and "Fēngguānglùnánduàn Shèqū" in clean.output
    assert "N8-SIGN-PINYIN" not in clean.output and "N8-SIGN-TEXT" not in clean.output

    findings = run(demo_path, "signs", "findings")
    assert findings.exit_code == 3
    assert findings.output.count("N8-SIGN-PATROL") == 2 and "共 3 条" in findings.output

    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg_bytes())
    recent = (date.today() - timedelta(days=1)).isoformat()
    for sign_id in ("S000001", "S000002"):
        patrolled = run(
            demo_path, "signs", "patrol", sign_id, "完好", "--date", recent, "--photo", str(photo)
        )
        assert patrolled.exit_code == 0, patrolled.output
    assert f"已记录 S000002 于 {recent} 的巡检：完好" in patrolled.output
    findings = run(demo_path, "signs", "findings", "--json")
    assert findings.exit_code == 3 and findings.output.count("\n") == 1
    assert '"rule": "N8-SIGN-PINYIN"' in findings.output

    removed = run(demo_path, "signs", "status", "S000001", "removed", "--remarks", "改造拆除")
    assert removed.exit_code == 0 and "已拆除" in removed.output
    assert run(demo_path, "signs", "findings").exit_code == 0
    listing = run(demo_path, "signs", "list").output.splitlines()
    assert listing[0].startswith("S000001\t村牌\t风光路南段社区") and "已拆除" in listing[0]
    assert "114.030000,32.990000" in listing[1]
    with open_store(demo_path) as store:
        assert [p.photo_filename for p in store.patrols()] == ["现场.jpg", "现场.jpg"]


def test_sign_errors_exit_non_zero_naming_the_field(demo_path: Path) -> None:
    swapped = run(demo_path, "signs", "register", COMMUNITY, "--lon", "32.98", "--lat", "114.02")
    assert swapped.exit_code == 2
    assert "字段 location" in swapped.output and "经纬度是否颠倒" in swapped.output
    unknown = run(demo_path, "signs", "register", "NOPE", "--lon", "114.02", "--lat", "32.98")
    assert unknown.exit_code == 2 and "字段 name_id" in unknown.output
    bad = run(demo_path, "signs", "patrol", "S999999", "intact", "--date", "2025-13-01")
    assert bad.exit_code == 2 and "字段 sign_id" in bad.output and "字段 on" in bad.output
    assert run(demo_path, "signs", "status", "S999999", "removed").exit_code == 1
    assert run(demo_path, "signs", "list").output == "没有地名标志\n"


def test_cases_withdraw_and_reject_from_the_command_line(demo_path: Path, tmp_path: Path) -> None:
    case_id = _renaming(demo_path)
    no_reason = run(demo_path, "cases", "reject", case_id, "--reason", " ")
    assert no_reason.exit_code == 2 and "不予批准理由不能为空" in no_reason.output
    result = run(
        demo_path, "cases", "withdraw", case_id,
        "--reason", "申请人来函撤回", "--date", "2025-03-05",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "已撤回（2025-03-05，理由：申请人来函撤回），当前状态：已撤回，案件办结" in result.output
    shown = run(demo_path, "cases", "show", case_id).output
    assert "撤回理由：申请人来函撤回" in shown and f"撤回\t2025-03-05\t{local_actor()}" in shown
    listing = run(demo_path, "cases", "list", "--status", "withdrawn").output
    assert listing.startswith(f"{case_id}\t更名\t风光路南段社区 → 风光路社区\t已撤回")
    late = run(demo_path, "cases", "step", case_id, "review", "--date", "2025-03-06")
    assert late.exit_code == 2 and "已办结" in late.output

    second = _renaming(demo_path, "2025-03-07")
    for doc_type, path in _reports(tmp_path).items():
        run(demo_path, "cases", "attach", second, doc_type, str(path))
    assert run(demo_path, "cases", "step", second, "review", "--date", "2025-03-08").exit_code == 0
    refused = run(
        demo_path, "cases", "reject", second, "--reason", "不符合命名规定", "--date", "2025-03-09",
        "--body", "驿城区人民政府",
    )  # fmt: skip
    assert refused.exit_code == 0, refused.output
    assert "当前状态：不予批准" in refused.output
    assert "驿城区人民政府" in run(demo_path, "cases", "show", second).output
    assert run(demo_path, "cases", "list", "--status", "rejected").output.startswith(second)
    names = run(demo_path, "names", "show", COMMUNITY).output
    assert "风光路南段社区" in names and "曾用名" not in names
