"""Place-name readings (issue 13): position rules, single names, word division, generic
inference, polyphone notices, the 1,982 GB/T 2260 county romanisations and the 11,280 GeoNames
town romanisations spelled right."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from geociv.gazetteer.categories import infer_generic, split_generic
from geociv.gazetteer.pinyin import Romanizer, spell
from geociv.gazetteer.readings import AMBIGUOUS, agrees_with
from geociv.gazetteer.rules import Candidate, NameValidator

READINGS = Path(__file__).parent / "data" / "readings"


def county(name: str) -> str:
    specific, generic = split_generic(name, "county")
    return spell(name, specific=specific, generic=generic or None, category="county").text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("长宁区", "Chángníng Qū"),  # 长 first
        ("长海县", "Chánghǎi Xiàn"),
        ("天长市", "Tiāncháng Shì"),  # 长 last
        ("长沙县", "Chángshā Xiàn"),
        ("长子县", "Zhǎngzǐ Xiàn"),  # the exception
        ("宁都县", "Níngdū Xiàn"),
        ("花都区", "Huādū Qū"),
        ("郫都区", "Pídū Qū"),
        ("都江堰市", "Dūjiāngyàn Shì"),
        ("望都县", "Wàngdū Xiàn"),
        ("什邡市", "Shífāng Shì"),
        ("策勒县", "Cèlè Xiàn"),
        ("尼勒克县", "Nílèkè Xiàn"),
    ],
)
def test_position_rules_and_their_exception(name: str, expected: str) -> None:
    assert county(name) == expected


@pytest.mark.parametrize(
    ("name", "specific", "generic", "expected"),
    [
        ("石佛镇", "石佛", "镇", "Shífó Zhèn"),
        ("沙咀村", "沙咀", "村", "Shāzuǐ Cūn"),
        ("塘厦镇", "塘厦", "镇", "Tángxià Zhèn"),
        ("金融大厦", "金融", "大厦", "Jīnróng Dàshà"),  # a building's generic keeps shà
        ("曾店镇", "曾店", "镇", "Zēngdiàn Zhèn"),
        ("张卜乡", "张卜", "乡", "Zhāngbǔ Xiāng"),
        ("重阳镇", "重阳", "镇", "Chóngyáng Zhèn"),  # 重 first
        ("起重路", "起重", "路", "Qǐzhòng Lù"),  # not first: the usual reading
        ("杨行镇", "杨行", "镇", "Yángháng Zhèn"),  # 行 last in the 专名
        ("行宫村", "行宫", "村", "Xínggōng Cūn"),  # not last
        ("步行街", "步行", "街", "Bùxíng Jiē"),  # the exception
        ("还城村", "还城", "村", "Huánchéng Cūn"),
    ],
)
def test_town_and_village_rules(name: str, specific: str, generic: str, expected: str) -> None:
    assert spell(name, specific=specific, generic=generic).text == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("闵行区", "Mǐnháng Qū"),
        ("马尾区", "Mǎwěi Qū"),
        ("珲春市", "Húnchūn Shì"),
        ("泊头市", "Bótóu Shì"),
        ("佛冈县", "Fógāng Xiàn"),
        ("筠连县", "Jūnlián Xiàn"),
        ("穆棱市", "Mùlíng Shì"),
        ("伽师县", "Jiāshī Xiàn"),
        ("崆峒区", "Kōngtóng Qū"),
        ("民乐县", "Mínlè Xiàn"),
        ("六合区", "Lùhé Qū"),
        ("曾都区", "Zēngdū Qū"),
    ],
)
def test_single_names(name: str, expected: str) -> None:
    assert county(name) == expected


def test_officer_readings_win_over_rules_and_the_curated_table() -> None:
    officer = Romanizer().with_extra({"长庄": "zhang3 zhuang1", "六合": "liu4 he2"})
    assert officer.spell("长庄", category="natural_village").text == "Zhǎngzhuāng"
    assert officer.spell("六合区", specific="六合", generic="区").text == "Liùhé Qū"
    assert Romanizer().spell("长庄", category="natural_village").text == "Chángzhuāng"


def test_word_division_linqu_only_for_forestry_districts() -> None:
    assert county("万柏林区") == "Wànbǎilín Qū"
    assert county("神农架林区") == "Shénnóngjià Línqū"
    assert infer_generic("万柏林区") == ("county", "万柏林", "区")


def test_pinyin_api_infers_the_generic(client) -> None:
    for name, expected in (
        ("驿城区", "Yìchéng Qū"),
        ("驻马店市", "Zhùmǎdiàn Shì"),
        ("经五路", "Jīng 5 Lù"),
        ("万柏林区", "Wànbǎilín Qū"),
    ):
        body = client.get(f"/api/pinyin?name={name}").get_json()
        assert body["pinyin"] == expected, body
        assert body["category_inferred"] is True
    body = client.get("/api/pinyin?name=周口店").get_json()  # no generic: one word
    assert body["pinyin"] == "Zhōukǒudiàn" and body["category"] is None
    body = client.get("/api/pinyin?name=驻马店市&category=city").get_json()
    assert body["category_inferred"] is False and body["generic"] == "市"


def test_polyphone_notices_only_for_place_name_alternatives() -> None:
    validator = NameValidator(Romanizer())

    def notices(name: str) -> list[str]:
        findings = validator.validate(Candidate(name, "township", "411702"))
        return [f.message for f in findings if f.rule_id == "N5-POLYPHONE"]

    # 大 dài, 石 dàn, 岗 gāng: everyday alternatives only
    for name in ("大石桥乡", "黄岗镇", "石桥镇", "长兴镇", "都市街道"):
        assert notices(name) == [], name
    # 六 reads lù in 六安/六合, 台 tāi in 天台: a real alternative in place names
    assert notices("六里乡") and "六" in notices("六里乡")[0]
    assert notices("台前镇") and "台" in notices("台前镇")[0]
    # 圩 wéi/xū, 堡 bǎo/bǔ/pù: both readings are real in place names, no rule picks one
    assert notices("马圩镇") and "圩" in notices("马圩镇")[0]
    assert notices("五里堡街道") and "堡" in notices("五里堡街道")[0]
    # a character a rule settles is no notice
    assert notices("石佛镇") == []


def _reference() -> tuple[list[dict[str, str]], set[str]]:
    with (READINGS / "county_romanisation_gbt2260.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (READINGS / "exclusions.csv").open(encoding="utf-8") as f:
        excluded = {r["code"] for r in csv.DictReader(f)}
    return rows, excluded


def test_gbt2260_county_romanisations_spelled_right() -> None:
    rows, excluded = _reference()
    assert len(rows) >= 300 and excluded <= {r["code"] for r in rows}
    wrong = []
    for row in rows:
        if row["code"] in excluded:
            continue
        specific, generic = split_generic(row["name"], "county")
        spelled = spell(row["name"], specific=specific, generic=generic or None).text
        if not agrees_with(spelled, row["romanisation"], len(specific)):
            wrong.append((row["code"], row["name"], row["romanisation"], spelled))
    assert len(rows) - len(excluded) >= 1900
    assert wrong == []


def test_geonames_town_romanisations_spelled_right_or_left_to_the_officer() -> None:
    """An independent table (GeoNames, from the NGA's transcription of Chinese maps): a name is
    spelled as GeoNames does, or it holds a character whose place names go both ways and the
    spelling says so (a polyphone notice), or it is one of the table's known errors."""
    with (READINGS / "township_romanisation_geonames.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (READINGS / "geonames_disagreements.csv").open(encoding="utf-8") as f:
        disputed = {r["name"]: r for r in csv.DictReader(f)}
    assert len(rows) >= 10_000 and sum(r["admin1"] == "09" for r in rows) >= 300
    assert set(disputed) <= {r["name"] for r in rows}
    unexplained = []
    for row in rows:
        spelling = spell(row["name"], specific=row["name"], generic="")
        if agrees_with(spelling.text, row["romanisation"], len(row["name"])):
            assert row["name"] not in disputed, row  # a stale disagreement
            continue
        if set(row["name"]) & set(AMBIGUOUS):
            assert set(spelling.polyphonic) & set(AMBIGUOUS), row
        elif row["name"] not in disputed:
            unexplained.append((row["name"], row["romanisation"], spelling.text))
    assert unexplained == []
