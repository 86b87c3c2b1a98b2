"""Place-name romanisation (geociv.gazetteer.pinyin) against the place-name spelling rules."""

from __future__ import annotations

import csv
import re

import pytest

from geociv.gazetteer import pinyin
from geociv.gazetteer.pinyin import (
    DEFAULT_OVERRIDES_PATH,
    Romanizer,
    Spelling,
    load_overrides,
    mark_tone,
    spell,
    split_spelling,
    syllable_initials,
)

# name, specific, generic, category, expected text
CASES = [
    # special readings from the curated table
    ("六安市", "六安", "市", "city", "Lù'ān Shì"),
    ("泌阳县", "泌阳", "县", "county", "Bìyáng Xiàn"),
    ("浚县", "浚", "县", "county", "Xùn Xiàn"),
    ("蚌埠市", "蚌埠", "市", "city", "Bèngbù Shì"),
    ("长葛市", "长葛", "市", "city", "Chánggě Shì"),
    ("洪洞县", "洪洞", "县", "county", "Hóngtóng Xiàn"),
    ("单县", "单", "县", "county", "Shàn Xiàn"),
    ("台州市", "台州", "市", "city", "Tāizhōu Shì"),
    ("天台县", "天台", "县", "county", "Tiāntāi Xiàn"),
    ("丽水市", "丽水", "市", "city", "Líshuǐ Shì"),
    ("朝阳区", "朝阳", "区", "county", "Cháoyáng Qū"),
    ("乐亭县", "乐亭", "县", "county", "Làotíng Xiàn"),
    ("番禺区", "番禺", "区", "county", "Pānyú Qū"),
    ("中牟县", "中牟", "县", "county", "Zhōngmù Xiàn"),
    ("荥阳市", "荥阳", "市", "county", "Xíngyáng Shì"),
    ("荥经县", "荥经", "县", "county", "Yíngjīng Xiàn"),
    ("尉氏县", "尉氏", "县", "county", "Wèishì Xiàn"),
    ("渑池县", "渑池", "县", "county", "Miǎnchí Xiàn"),
    ("济源市", "济源", "市", "city", "Jǐyuán Shì"),
    ("漯河市", "漯河", "市", "city", "Luòhé Shì"),
    ("会稽山", "会稽", "山", "mountain", "Kuàijī Shān"),
    ("十里堡", None, None, "natural_village", "Shílǐpù"),
    # not a special reading: 叶县 is read yè today (no override; see the report)
    ("叶县", "叶", "县", "county", "Yè Xiàn"),
    # apostrophes: before a, o, e starting a non-first syllable of a word, never across words
    ("西安市", "西安", "市", "city", "Xī'ān Shì"),
    ("东阿县", "东阿", "县", "county", "Dōng'ē Xiàn"),
    ("天峨县", "天峨", "县", "county", "Tiān'é Xiàn"),
    ("白衣庵", "白衣", "庵", None, "Báiyī Ān"),
    ("李安庄", None, None, "natural_village", "Lǐ'ānzhuāng"),
    ("西二村", None, None, "natural_village", "Xī'èrcūn"),
    # ordinals in road names
    ("经五路", "经五", "路", "road", "Jīng 5 Lù"),
    ("纬十一路", "纬十一", "路", "road", "Wěi 11 Lù"),
    ("经十八路", "经十八", "路", "road", "Jīng 18 Lù"),
    ("东三街", "东三", "街", "road", "Dōng 3 Jiē"),
    ("纬二十路", "纬二十", "路", "road", "Wěi 20 Lù"),
    ("经五路", None, None, "road", "Jīng 5 Lù"),  # no split given
    ("经一百路", "经一百", "路", "road", "Jīngyībǎi Lù"),  # past 99: not an ordinal
    ("南二环路", "南二环", "路", "road", "Nán'èrhuán Lù"),  # numeral inside a name
    ("经五路", "经五", "路", None, "Jīngwǔ Lù"),  # only roads have ordinals
    # numbers that are part of the proper name
    ("二七路", "二七", "路", "road", "Èrqī Lù"),
    ("五一路", "五一", "路", "road", "Wǔyī Lù"),
    ("三里屯", None, None, "natural_village", "Sānlǐtún"),
    # multi-character generics are one word
    ("解放大道", "解放", "大道", "road", "Jiěfàng Dàdào"),
    ("顺河街道", "顺河", "街道", "township", "Shùnhé Jiēdào"),
    ("人民公园", "人民", "公园", "park", "Rénmín Gōngyuán"),
    ("人民路", "人民", "路", "road", "Rénmín Lù"),
    ("板桥水库", "板桥", "水库", "lake", "Bǎnqiáo Shuǐkù"),
    # natural villages are one word
    ("周口店", None, None, "natural_village", "Zhōukǒudiàn"),
    ("张庄", "张", "庄", "natural_village", "Zhāngzhuāng"),
    # ü
    ("吕庄", None, None, "natural_village", "Lǚzhuāng"),
    ("绿水路", "绿水", "路", "road", "Lǜshuǐ Lù"),
    ("女儿河", "女儿", "河", "river", "Nǚ'ér Hé"),
    # Zhumadian and its ten county-level units
    ("驻马店市", "驻马店", "市", "city", "Zhùmǎdiàn Shì"),
    ("驿城区", "驿城", "区", "county", "Yìchéng Qū"),
    ("西平县", "西平", "县", "county", "Xīpíng Xiàn"),
    ("上蔡县", "上蔡", "县", "county", "Shàngcài Xiàn"),
    ("平舆县", "平舆", "县", "county", "Píngyú Xiàn"),
    ("正阳县", "正阳", "县", "county", "Zhèngyáng Xiàn"),
    ("确山县", "确山", "县", "county", "Quèshān Xiàn"),
    ("汝南县", "汝南", "县", "county", "Rǔnán Xiàn"),
    ("遂平县", "遂平", "县", "county", "Suìpíng Xiàn"),
    ("新蔡县", "新蔡", "县", "county", "Xīncài Xiàn"),
    ("河南省", "河南", "省", "province", "Hénán Shěng"),
    # non-Chinese text passes through as its own word
    ("107国道", "107", "国道", "road", "107 Guódào"),
    ("G4 高速", None, None, None, "G4 Gāosù"),
    # whole name as one word when no split is given
    ("驻马店", None, None, None, "Zhùmǎdiàn"),
]


@pytest.mark.parametrize(("name", "specific", "generic", "category", "expected"), CASES)
def test_spelling_text(
    name: str, specific: str | None, generic: str | None, category: str | None, expected: str
) -> None:
    result = spell(name, specific=specific, generic=generic, category=category)
    assert result.text == expected
    assert "v" not in result.text.lower()
    assert not re.search(r"[lnLN]v", result.text + result.toneless)


def test_only_first_letter_of_a_word_is_capital() -> None:
    text = spell("西安市", specific="西安", generic="市").text
    assert text == "Xī'ān Shì"
    assert [w[1:] == w[1:].lower() for w in text.split()] == [True, True]


def test_specific_or_generic_alone_is_enough() -> None:
    assert spell("驻马店市", generic="市").text == "Zhùmǎdiàn Shì"
    assert spell("驻马店市", specific="驻马店").text == "Zhùmǎdiàn Shì"
    assert spell("纬十一路", generic="路", category="road").text == "Wěi 11 Lù"


def test_override_spanning_the_specific_generic_boundary() -> None:
    # 浚县 is one override key, but 浚 is the 专名 and 县 the 通名
    result = spell("浚县", specific="浚", generic="县", category="county")
    assert result.text == "Xùn Xiàn"
    assert result.syllables == ("xun4", "xian4")
    assert result.uses_override


def test_toneless_keys_and_initials() -> None:
    result = spell("驻马店市", specific="驻马店", generic="市", category="city")
    assert result == Spelling(
        text="Zhùmǎdiàn Shì",
        toneless="Zhumadian Shi",
        tone3="zhu4 ma3 dian4 shi4",
        key_toned="zhu4ma3dian4shi4",
        key_toneless="zhumadianshi",
        initials="zmds",
        syllables=("zhu4", "ma3", "dian4", "shi4"),
        uses_override=False,
        polyphonic=(),
    )
    assert spell("驻马店").initials == "zmd"


def test_toneless_keeps_apostrophe_and_u_umlaut() -> None:
    assert spell("六安市", specific="六安", generic="市").toneless == "Lu'an Shi"
    lv = spell("吕庄", category="natural_village")
    assert (lv.toneless, lv.key_toneless, lv.key_toned) == ("Lüzhuang", "lvzhuang", "lv3zhuang1")


def test_homophone_keys_ignore_word_breaks() -> None:
    a = spell("驻马店市", specific="驻马店", generic="市")
    b = spell("驻马店市")
    assert a.text != b.text
    assert (a.key_toned, a.key_toneless) == (b.key_toned, b.key_toneless)


def test_ordinal_keeps_its_reading_in_the_syllables() -> None:
    result = spell("经五路", specific="经五", generic="路", category="road")
    assert result.syllables == ("jing1", "wu3", "lu4")
    assert result.key_toneless == "jingwulu"


def test_citation_tone_of_yi() -> None:
    # place names are written with the citation tone (一 yī), not the sandhi tone
    assert spell("一百户村", generic="村", category="village").text == "Yībǎihù Cūn"


def test_non_chinese_in_keys() -> None:
    result = spell("107国道", specific="107", generic="国道", category="road")
    assert result.syllables == ("107", "guo2", "dao4")
    assert (result.key_toned, result.key_toneless) == ("107guo2dao4", "107guodao")


def test_uses_override() -> None:
    assert spell("六安市", specific="六安", generic="市").uses_override
    assert not spell("驻马店市", specific="驻马店", generic="市").uses_override


def test_override_not_applied_where_a_phrase_straddles_it() -> None:
    # 长乐亭 is 长乐 + 亭: the 乐亭 (Làotíng) override must not split 长乐
    result = spell("长乐亭村", generic="村", category="village")
    assert result.text == "Chánglètíng Cūn"
    assert not result.uses_override


def test_polyphonic_reported_unless_settled() -> None:
    assert spell("重阳路", specific="重阳", generic="路", category="road").polyphonic == ("重",)
    # settled by the place-name rule of 长 (cháng)
    assert "长" not in spell("长庄村", specific="长庄", generic="村", category="village").polyphonic
    # settled by an override
    assert spell("长葛市", specific="长葛", generic="市", category="city").polyphonic == ()
    # characters whose dictionary lists only rare extra readings are not reported
    assert spell("张庄", category="natural_village").polyphonic == ()
    # a character with a special place-name reading is reported where no override covers it
    assert "六" in spell("六里庄", category="natural_village").polyphonic


def test_polyphonic_skips_the_supplied_generic() -> None:
    # 会 (huì/kuài) is in the generic 委员会; generics have fixed readings
    result = spell("碧沙岗村委会", specific="碧沙岗", generic="村委会", category="village")
    assert "会" not in result.polyphonic
    assert "会" in spell("碧沙岗村委会").polyphonic


def test_with_extra_layers_over_curated() -> None:
    base = Romanizer()
    extra = base.with_extra({"六安": "liu4 an1", "大堡": "da4 pu4"})
    assert extra.spell("六安市", specific="六安", generic="市").text == "Liù'ān Shì"
    assert extra.spell("大堡村", generic="村").text == "Dàpù Cūn"
    assert extra.spell("泌阳县", generic="县").text == "Bìyáng Xiàn"  # curated kept
    # the original is unchanged
    assert base.spell("六安市", specific="六安", generic="市").text == "Lù'ān Shì"
    assert "大堡" not in base.overrides
    assert extra.overrides["六安"] == "liu4 an1"


def test_own_overrides_replace_curated() -> None:
    plain = Romanizer({})
    assert plain.spell("浚县", generic="县").text == "Jùn Xiàn"
    assert plain.overrides == {}
    mine = Romanizer({"天台": "tian1 tai1", "台": "tai2"})
    assert mine.spell("天台县", generic="县").text == "Tiāntāi Xiàn"  # longest key first
    assert mine.syllables("台天台") == ["tai2", "tian1", "tai1"]


def test_syllables() -> None:
    r = Romanizer()
    assert r.syllables("六安路") == ["lu4", "an1", "lu4"]
    assert r.syllables("吕庄 G4") == ["lv3", "zhuang1", "G4"]


@pytest.mark.parametrize(
    ("word", "value"),
    [("六安", "lu9 an1"), ("六安", "lu4"), ("六安", "lux4 an1"), ("六A", "lu4 a1"), ("", "")],
)
def test_bad_override_rejected(word: str, value: str) -> None:
    assert Romanizer.check_override(word, value)
    with pytest.raises(ValueError, match="override"):
        Romanizer({word: value})
    with pytest.raises(ValueError):
        Romanizer().with_extra({word: value})


def test_override_accepts_u_umlaut_spellings() -> None:
    r = Romanizer({"吕庄": "lü3 zhuang1"})
    assert r.overrides["吕庄"] == "lv3 zhuang1"
    assert r.spell("吕庄").text == "Lǚzhuāng"


def test_curated_csv_parses_with_valid_tone3() -> None:
    with DEFAULT_OVERRIDES_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == ["word", "pinyin", "note", "source"]
    for row in rows:
        assert row["note"].strip() and row["source"].strip(), row
        assert not Romanizer.check_override(row["word"], row["pinyin"]), row
        for syllable in row["pinyin"].split(" "):
            assert re.fullmatch(r"[a-z]+[1-5]", syllable), row
    table = load_overrides()
    assert len(table) == len(rows)
    required = {
        "六安": "lu4 an1",
        "蚌埠": "beng4 bu4",
        "泌阳": "bi4 yang2",
        "浚县": "xun4 xian4",
        "长葛": "chang2 ge3",
        "洪洞": "hong2 tong2",
        "单县": "shan4 xian4",
        "十里堡": "shi2 li3 pu4",
    }
    assert {w: table[w] for w in required} == required


def test_load_overrides_names_the_bad_line(tmp_path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("word,pinyin,note\n六安,lu4 an1,ok\n泌阳,bi4,bad\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 3, field 'pinyin'"):
        load_overrides(path)
    path.write_text("word,pinyin,note\n六安,lu4 an1,a\n六安,lu4 an1,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        load_overrides(path)
    path.write_bytes("word,pinyin,note\n六安,lu4 an1,x\n".encode("gbk"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_overrides(path)


@pytest.mark.parametrize(
    ("syllable", "marked"),
    [
        ("ma1", "mā"),
        ("hao3", "hǎo"),
        ("xue2", "xué"),
        ("lve4", "lüè"),
        ("nv3", "nǚ"),
        ("lv4", "lǜ"),
        ("gou3", "gǒu"),
        ("liu2", "liú"),
        ("gui4", "guì"),
        ("er4", "èr"),
        ("zi5", "zi"),
    ],
)
def test_mark_tone(syllable: str, marked: str) -> None:
    assert mark_tone(syllable) == marked


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"specific": "驻马", "generic": "市"}, "does not make"),
        ({"category": "highway"}, "unknown category"),
    ],
)
def test_bad_calls(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spell("驻马店市", **kwargs)
    with pytest.raises(ValueError, match="empty"):
        spell("  ")


@pytest.mark.parametrize(
    ("spelling", "syllables"),
    [
        ("Zhùmǎdiàn Shì", ["zhu", "ma", "dian", "shi"]),
        ("Lù'ān Shì", ["lu", "an", "shi"]),
        ("Xiān", ["xian"]),  # 先: one syllable (Xī'ān has the apostrophe)
        ("Dāngān", ["dan", "gan"]),  # no apostrophe, so not dang-an
        ("Jīng 5 Lù", ["jing", "5", "lu"]),
        ("Lǚzhuāng", ["lü", "zhuang"]),
        ("Zhangzhuang", ["zhang", "zhuang"]),
    ],
)
def test_split_spelling(spelling: str, syllables: list[str]) -> None:
    assert split_spelling(spelling) == syllables


def test_syllable_initials_match_spelling_initials() -> None:
    for name, generic, category in [
        ("驻马店市", "市", "city"),
        ("六安市", "市", "city"),
        ("解放大道", "大道", "road"),
        ("周口店", None, "natural_village"),
        ("西二村", None, "natural_village"),
    ]:
        result = spell(name, generic=generic, category=category)
        assert syllable_initials(result.text) == result.initials


def test_default_romanizer_is_shared() -> None:
    assert pinyin.default_romanizer() is pinyin.default_romanizer()
