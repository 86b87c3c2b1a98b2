"""Place-name signs (地名标志) and patrols (巡检) on the real Zhumadian demo store: the GeoPackage
layer, rule 8 findings (text, pinyin, patrol), validation, nothing deleted."""

from __future__ import annotations

import pyogrio
import pytest
from shapely import Point

from geociv.errors import ValidationError
from geociv.gazetteer.names import Gazetteer
from geociv.gazetteer.signs import Signs, pinyin_difference
from geociv.store import Sign, Store
from tests.sample_files import jpeg_bytes

#: 板桥镇 (驿城区) and 任张楼村, one of its villages.
TOWNSHIP = "D411702102"
VILLAGE = "D411702102211"
HERE = Point(113.93, 32.87)
OFFICER = "officer1"


@pytest.fixture
def signs(demo_store: Store) -> Signs:
    return Signs(demo_store, Gazetteer(demo_store))


def _village_sign(signs: Signs, **kw: object) -> Sign:
    args: dict[str, object] = {
        "text": "任张楼村",
        "pinyin": "Rènzhānglóu Cūn",
        "installed_on": "2024-04-01",
        "installer": "板桥镇人民政府",
    }
    args.update(kw)
    return signs.register(VILLAGE, HERE, "village", actor=OFFICER, **args)  # type: ignore[arg-type]


def _by_rule(findings: list, sign_id: str) -> dict[str, str]:
    return {f.rule_id: f.message for f in findings if f.related[0] == sign_id}


def test_signs_are_a_cgcs2000_point_layer_qgis_can_open(demo_store: Store, signs: Signs) -> None:
    sign = _village_sign(signs)
    assert sign.sign_id == "S000001"
    assert (sign.sign_type, sign.status, sign.installed_on) == (
        "village",
        "in_service",
        "2024-04-01",
    )
    assert signs.get("S000001").location.equals(HERE)
    layers = dict(pyogrio.list_layers(demo_store.path))
    assert layers["signs"] == "Point"
    frame = pyogrio.read_dataframe(demo_store.path, layer="signs")
    assert frame.crs.to_epsg() == 4490
    assert list(frame["sign_id"]) == ["S000001"] and frame.loc[0, "name_id"] == VILLAGE
    assert frame.geometry[0].equals(HERE)
    added = demo_store.audit_entries(entity="signs", limit=1)[0]
    assert (added.action, added.actor, added.after["lat"]) == ("signs.add", OFFICER, 32.87)


def test_a_correct_recently_patrolled_sign_has_no_findings(signs: Signs) -> None:
    sign = _village_sign(signs)
    signs.patrol(sign.sign_id, "完好", actor=OFFICER, inspector="inspector1", on="2025-06-01")
    assert signs.findings(today="2025-12-31") == []


def test_findings_on_text_pinyin_and_patrols(signs: Signs) -> None:
    good = _village_sign(signs)
    typo = signs.register(
        TOWNSHIP, Point(113.95, 32.88), "路牌", "板乔镇", pinyin="Bǎnqiáo Zhèn", actor=OFFICER
    )
    toneless = _village_sign(signs, pinyin="RENZHANGLOU CUN")
    misspelt = _village_sign(signs, pinyin="Renzhanglou Chun")
    spaced = _village_sign(signs, pinyin="  rènzhānglóu   CŪN ")  # case and spaces only: fine
    bare = _village_sign(signs, pinyin="")
    traditional = _village_sign(signs, text="任張樓村")
    for s in (good, typo, toneless, misspelt, spaced, bare, traditional):
        signs.patrol(s.sign_id, "intact", actor=OFFICER, inspector="inspector1", on="2025-06-01")
    never = _village_sign(signs)

    findings = signs.findings(today="2025-12-31")
    assert _by_rule(findings, good.sign_id) == {}
    assert _by_rule(findings, spaced.sign_id) == {}
    text = _by_rule(findings, typo.sign_id)
    assert list(text) == ["N8-SIGN-TEXT"]
    assert typo.sign_id in text["N8-SIGN-TEXT"] and TOWNSHIP in text["N8-SIGN-TEXT"]
    assert "“板乔镇”与标准地名“板桥镇”不一致" in text["N8-SIGN-TEXT"]
    assert "仅声调符号不同" in _by_rule(findings, toneless.sign_id)["N8-SIGN-PINYIN"]
    wrong = _by_rule(findings, misspelt.sign_id)["N8-SIGN-PINYIN"]
    assert "拼写不同" in wrong and "Renzhanglou Chun" in wrong and "Rènzhānglóu Cūn" in wrong
    assert "没有拼音" in _by_rule(findings, bare.sign_id)["N8-SIGN-PINYIN"]
    assert "繁体字" in _by_rule(findings, traditional.sign_id)["N8-SIGN-TEXT"]
    patrol = _by_rule(findings, never.sign_id)
    assert list(patrol) == ["N8-SIGN-PATROL"] and "从未巡检" in patrol["N8-SIGN-PATROL"]
    assert VILLAGE in patrol["N8-SIGN-PATROL"] and never.sign_id in patrol["N8-SIGN-PATROL"]
    assert all(f.related[1] in (VILLAGE, TOWNSHIP) for f in findings)
    assert {f.severity for f in findings if f.rule_id == "N8-SIGN-TEXT"} == {"warning"}


def test_patrol_interval_is_configurable(signs: Signs) -> None:
    sign = _village_sign(signs)
    signs.patrol(sign.sign_id, "soiled", actor=OFFICER, inspector="inspector1", on="2025-01-10")
    signs.patrol(sign.sign_id, "intact", actor=OFFICER, inspector="inspector1", on="2025-03-01")
    assert signs.findings(today="2025-12-31") == []  # 305 days < 365
    late = signs.findings(today="2025-12-31", patrol_days=180)
    assert [f.rule_id for f in late] == ["N8-SIGN-PATROL"]
    assert "上次巡检于 2025-03-01" in late[0].message and "305 天" in late[0].message
    assert [p.condition for p in signs.patrols(sign.sign_id)] == ["soiled", "intact"]
    with pytest.raises(ValidationError, match="不存在"):
        signs.findings(today="2025-02-29")


def test_a_sign_still_showing_a_former_name_after_renaming(demo_store: Store, signs: Signs) -> None:
    sign = _village_sign(signs)
    signs.patrol(sign.sign_id, "完好", actor=OFFICER, inspector="inspector1", on="2025-06-01")
    signs.gazetteer.rename(VILLAGE, "新张楼村", actor=OFFICER, effective="2025-07-01")
    found = _by_rule(signs.findings(today="2025-12-31"), sign.sign_id)
    assert "标志仍为曾用名（至 2025-07-01）" in found["N8-SIGN-TEXT"]
    assert "Xīnzhānglóu Cūn" in found["N8-SIGN-PINYIN"]
    signs.update(sign.sign_id, actor=OFFICER, text="新张楼村", pinyin="Xīnzhānglóu Cūn")
    assert _by_rule(signs.findings(today="2025-12-31"), sign.sign_id) == {}
    change = demo_store.audit_entries(entity="signs", limit=1)[0]
    assert (change.before["text"], change.after["text"]) == ("任张楼村", "新张楼村")


def test_registration_problems_are_reported_at_once_and_nothing_is_stored(
    demo_store: Store, signs: Signs
) -> None:
    before = len(demo_store.audit_entries(limit=10_000))
    with pytest.raises(ValidationError) as err:
        signs.register(
            "D000000",
            Point(32.87, 113.93),  # latitude and longitude swapped
            "billboard",
            "  ",
            actor=OFFICER,
            installed_on="2024-02-30",
            status="lost",
        )
    assert [p.field for p in err.value.problems] == [
        "name_id",
        "location",
        "sign_type",
        "status",
        "text",
        "installed_on",
    ]
    assert "不在中国境内" in str(err.value) and "路牌" in str(err.value)
    _village_sign(signs, sign_id="YC-001")
    with pytest.raises(ValidationError, match="YC-001 已存在"):
        _village_sign(signs, sign_id="YC-001")
    with pytest.raises(ValidationError, match="一个点"):
        signs.register(VILLAGE, HERE.buffer(1), "village", "任张楼村", actor=OFFICER)
    assert [s.sign_id for s in signs.query()] == ["YC-001"]
    assert len(demo_store.audit_entries(limit=10_000)) == before + 1


def test_patrols_with_photos_and_their_validation(demo_store: Store, signs: Signs) -> None:
    sign = _village_sign(signs)
    photo = jpeg_bytes()
    done = signs.patrol(
        sign.sign_id,
        "被遮挡",
        actor=OFFICER,
        inspector="李巡检",
        on="2025-05-05",
        photo=photo,
        photo_filename="IMG_0001.jpg",
        remarks="树枝遮挡",
    )
    assert (done.condition, done.inspector, done.recorded_by) == ("obscured", "李巡检", OFFICER)
    assert signs.patrols(sign.sign_id)[0].photo is None
    assert signs.patrols(sign.sign_id, with_photo=True)[0].photo == photo
    audit = demo_store.audit_entries(entity="signs", limit=1)[0]
    assert audit.action == "signs.patrol" and "photo" not in audit.after
    with pytest.raises(ValidationError) as err:
        signs.patrol(sign.sign_id, "faded", actor=OFFICER, on="2024-03-01", photo=photo)
    assert [p.field for p in err.value.problems] == ["condition", "on", "photo_filename"]
    assert "早于设置日期 2024-04-01" in str(err.value)
    with pytest.raises(ValidationError, match="未找到地名标志 S999"):
        signs.patrol("S999", "完好", actor=OFFICER)
    with pytest.raises(ValidationError, match="晚于今天"):
        signs.patrol(sign.sign_id, "完好", actor=OFFICER, on="2999-01-01")
    assert len(signs.patrols(sign.sign_id)) == 1


def test_signs_are_never_deleted_only_removed(signs: Signs) -> None:
    sign = _village_sign(signs)
    signs.set_status(sign.sign_id, "损坏", actor=OFFICER, remarks="立柱倾斜")
    assert signs.get(sign.sign_id).status == "damaged"
    removed = signs.set_status(sign.sign_id, "removed", actor=OFFICER)
    assert removed.status == "removed" and removed.remarks == "立柱倾斜"
    assert [s.sign_id for s in signs.query()] == [sign.sign_id]
    assert signs.query(include_removed=False) == []
    assert signs.findings(today="2025-12-31") == []  # removed signs need no patrol
    with pytest.raises(ValidationError, match="已拆除"):
        signs.patrol(sign.sign_id, "完好", actor=OFFICER)
    with pytest.raises(ValidationError) as err:
        signs.update(sign.sign_id, actor=OFFICER, text="", colour="blue", status="gone")
    assert [p.field for p in err.value.problems] == ["text", "colour", "status"]


def test_pinyin_difference_says_what_differs() -> None:
    assert pinyin_difference("Rénmín Lù", "Rénmín Lù") is None
    assert pinyin_difference("RÉNMÍN LÙ", "Rénmín Lù") is None
    assert pinyin_difference("Renmin Lu", "Rénmín Lù") == "仅声调符号不同（标志缺少或标错声调）"
    assert pinyin_difference("Rénmìn Lù", "Rénmín Lù") == "仅声调符号不同（标志缺少或标错声调）"
    assert pinyin_difference("Xī’ān Lù", "Xī'ān Lù") == "仅隔音符号写法不同"
    assert pinyin_difference("RénmínLù", "Rénmín Lù") == "分词连写不同"
    assert pinyin_difference("Rénmín Jiē", "Rénmín Lù") == "拼写不同"


def test_the_findings_of_one_sign_read_that_sign_only(
    demo_store: Store, signs: Signs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registering or showing a sign costs one sign, not every sign of the store (issue 11)."""
    shown = _village_sign(signs, text="任張樓村")  # traditional characters: a finding
    others = [_village_sign(signs) for _ in range(3)]
    signs.set_status(others[0].sign_id, "removed", actor=OFFICER)
    whole = signs.findings()
    asked: list[str | None] = []
    for method in ("query_signs", "patrols"):
        real = getattr(demo_store, method)

        def counted(*a, _real=real, _method=method, **k):  # type: ignore[no-untyped-def]
            asked.append(_method)
            return _real(*a, **k)

        monkeypatch.setattr(demo_store, method, counted)
    mine = signs.findings(sign_id=shown.sign_id)
    assert mine == [f for f in whole if f.related[0] == shown.sign_id]
    assert "N8-SIGN-TEXT" in {f.rule_id for f in mine}
    assert signs.findings(sign_id=others[0].sign_id) == []  # removed: no findings
    assert signs.findings(sign_id="S999999") == []
    assert "query_signs" not in asked


def test_the_sign_api_answers_with_the_findings_of_that_sign_only(
    app, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import login

    login(client, OFFICER)
    body = {"name_id": VILLAGE, "sign_type": "village", "text": "任張樓村", "lon": 113.93,
            "lat": 32.87}  # fmt: skip
    assert client.post("/api/signs", json=body).status_code == 201
    store = app.extensions["geociv_store"]
    listed: list[int] = []
    real = store.query_signs
    monkeypatch.setattr(store, "query_signs", lambda *a, **k: listed.append(1) or real(*a, **k))
    made = client.post("/api/signs", json=body)
    assert made.status_code == 201
    rules = {f["rule"] for f in made.get_json()["properties"]["findings"]}
    assert "N8-SIGN-TEXT" in rules
    shown = client.get(f"/api/signs/{made.get_json()['id']}")
    assert shown.status_code == 200 and shown.get_json()["properties"]["findings"]
    assert listed == []


def test_a_patrol_finding_a_fault_raises_a_finding_and_marks_the_sign_damaged(
    demo_store: Store, signs: Signs
) -> None:
    broken = _village_sign(signs)
    gone = _village_sign(signs)
    for s in (broken, gone):
        signs.patrol(s.sign_id, "intact", actor=OFFICER, inspector="inspector1", on="2025-03-01")
    signs.patrol(broken.sign_id, "破损", actor=OFFICER, on="2025-06-01", remarks="板面开裂")
    signs.patrol(gone.sign_id, "missing", actor=OFFICER, on="2025-06-02")
    assert [signs.get(s.sign_id).status for s in (broken, gone)] == ["damaged", "damaged"]
    found = signs.findings(today="2025-07-01")
    assert [(f.rule_id, f.severity) for f in found] == [("N8-SIGN-CONDITION", "warning")] * 2
    assert _by_rule(found, broken.sign_id)["N8-SIGN-CONDITION"] == (
        f"标志 {broken.sign_id}（地名记录 {VILLAGE}“任张楼村”）：2025-06-01 巡检发现标志破损"
        "（巡检人 officer1：板面开裂），须修复或更换"
    )
    assert "2025-06-02 巡检发现标志缺失" in _by_rule(found, gone.sign_id)["N8-SIGN-CONDITION"]
    # the status change is audited beside the patrol, by the same actor
    entries = demo_store.audit_entries(entity="signs", key=gone.sign_id, limit=2)
    assert {(e.action, e.actor) for e in entries} == {
        ("signs.update", OFFICER),
        ("signs.patrol", OFFICER),
    }
    update = next(e for e in entries if e.action == "signs.update")
    assert (update.before["status"], update.after["status"]) == ("in_service", "damaged")
    # a paper form of an older patrol entered late does not decide the sign's state
    signs.patrol(broken.sign_id, "intact", actor=OFFICER, on="2025-05-01")
    assert signs.get(broken.sign_id).status == "damaged"
    assert "N8-SIGN-CONDITION" in _by_rule(signs.findings(today="2025-07-01"), broken.sign_id)
    # repaired: the next patrol finds it intact and the sign is in service again
    signs.patrol(broken.sign_id, "完好", actor=OFFICER, on="2025-06-20")
    assert signs.get(broken.sign_id).status == "in_service"
    assert _by_rule(signs.findings(today="2025-07-01"), broken.sign_id) == {}


def test_soiled_or_obscured_signs_keep_their_status(signs: Signs) -> None:
    sign = _village_sign(signs)
    signs.patrol(sign.sign_id, "soiled", actor=OFFICER, on="2025-06-01")
    signs.patrol(sign.sign_id, "obscured", actor=OFFICER, on="2025-06-02")
    assert signs.get(sign.sign_id).status == "in_service"
    assert signs.findings(today="2025-07-01") == []
