"""Place-name readings of characters whose everyday reading differs (地名特殊读音规则).

Generic pinyin libraries read 长 as zhǎng (长宁 → Zhǎngníng), 都 as dōu (宁都 → Níngdōu), 勒 as
lēi and 什 as shén; in place names these characters read cháng, dū, lè and shí. A
:class:`PositionRule` gives a character its place-name reading wherever it stands in a name (or
only first, or only last in the 专名: 重庆 Chóngqìng, 杨行 Yángháng), except inside the listed
exception words, which keep their own reading (长子 Zhǎngzǐ). Whole
words with a special reading (闵行 Mǐnháng, 六安 Lù'ān) belong in the override table instead
(``data/gazetteer/pinyin_overrides.csv``); an override, curated or an officer's, always wins
over a rule.

Every rule records its evidence: rows of the GB/T 2260 romanisation table kept in
``tests/data/readings/county_romanisation_gbt2260.csv`` (code and romanisation) or of the
GeoNames town table ``tests/data/readings/township_romanisation_geonames.csv`` (GeoNames id).

Characters whose place names really go both ways (圩 wéi in polders, xū for markets) get no
rule: :data:`AMBIGUOUS` lists them, and a name holding one is a polyphone notice for the
officer to settle.

Examples
--------
>>> apply_rules("长子长宁", ["zhang3", "zi3", "zhang3", "ning2"], [False] * 4)
['zhang3', 'zi3', 'chang2', 'ning2']
>>> apply_rules("宁都", ["ning2", "dou1"], [False, False])
['ning2', 'du1']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "AMBIGUOUS",
    "RULES",
    "PositionRule",
    "apply_rules",
    "rule_characters",
    "settled_characters",
]


@dataclass(frozen=True)
class PositionRule:
    """The place-name reading of one character, with the words that keep another reading.

    Attributes
    ----------
    char : str
        The character (``"长"``).
    reading : str
        Its place-name reading in TONE3 form (``"chang2"``).
    exceptions : Mapping of str to str
        Word → TONE3 syllables of the whole word, separated by spaces: where the word covers
        the character, the word's reading applies (``{"长子": "zhang3 zi3"}``).
    source : str
        The evidence for the rule and its exceptions.
    at : {"any", "first", "last"}
        Where the character must stand for the rule to apply: anywhere, first in the name, or
        last in the 专名.
    """

    char: str
    reading: str
    exceptions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    at: str = "any"


_GBT = "GB/T 2260 罗马字母拼写（tests/data/readings/county_romanisation_gbt2260.csv）"
_GN = "GeoNames 城镇罗马字母拼写（tests/data/readings/township_romanisation_geonames.csv）"

#: The position rules, one per character.
RULES: Mapping[str, PositionRule] = MappingProxyType(
    {
        r.char: r
        for r in (
            PositionRule(
                "长",
                "chang2",
                {"长子": "zhang3 zi3"},
                f"{_GBT}：310105 长宁区 Changning、210224 长海县 Changhai、341181 天长市 "
                "Tianchang、430121 长沙县 Changsha、610623 子长县 Zichang；"
                "例外 140428 长子县 Zhangzi",
            ),
            PositionRule(
                "都",
                "du1",
                {},
                f"{_GBT}：360730 宁都县 Ningdu、440114 花都区 Huadu、510181 都江堰市 "
                "Dujiangyan、522701 都匀市 Duyun、130631 望都县 Wangdu、411002 魏都区 Weidu",
            ),
            PositionRule(
                "勒",
                "le4",
                {},
                "《现代汉语词典》勒 lè 条（本机未核对原书）；地名音译用字读 lè：阿勒泰、尼勒克、"
                "策勒、勒流（GB/T 2260 表中前三者为少数民族语罗马字母拼写 Altay、Nilka、Qira，"
                "不能作汉语拼音证据）",
            ),
            PositionRule(
                "什",
                "shi2",
                {"什么": "shen2 me5"},
                f"{_GBT}：510682 什邡市 Shifang；喀什 Kashi",
            ),
            PositionRule(
                "長",
                "chang2",
                {"長子": "zhang3 zi3"},
                f"繁体“长”，同“长”的规则；{_GN}：長春 Changchun、長沙 Changsha、長治 Changzhi",
            ),
            PositionRule(
                "佛",
                "fo2",
                {"仿佛": "fang3 fu2"},
                f"{_GN}：佛山 Foshan、七佛 Qifo、卧佛 Wofo、石佛 Shifo、千佛岭 Qianfoling、"
                "石佛寺 Shifosi、铜佛寺 Tongfosi 等 12 条全读 fo",
            ),
            PositionRule(
                "咀",
                "zui3",
                {},
                f"地名中“咀”同“嘴”，读 zuǐ（尖沙咀 Jiānshāzuǐ）；{_GN}：沙咀 Shazui、石咀 Shizui、"
                "毛咀 Maozui、方家咀 Fangjiazui、洪山咀 Hongshanzui 等",
            ),
            PositionRule(
                "觜",
                "zui3",
                {},
                f"地名中“觜”同“嘴”；{_GN}：喻家觜 Yujiazui",
            ),
            PositionRule(
                "厦",
                "xia4",
                {"大厦": "da4 sha4", "广厦": "guang3 sha4", "商厦": "shang1 sha4"},
                f"{_GN}：厦门 Xiamen、塘厦 Tangxia、崧厦 Songxia、厦坪 Xiaping、厦铺 Xiapu 等 8 条"
                "全读 xia；例外为建筑物通名（大厦、商厦）",
            ),
            PositionRule(
                "廈",
                "xia4",
                {"大廈": "da4 sha4", "廣廈": "guang3 sha4", "商廈": "shang1 sha4"},
                f"繁体“厦”，同“厦”的规则；{_GN}：廈門 Xiamen",
            ),
            PositionRule(
                "曾",
                "zeng1",
                {},
                f"姓氏用字；{_GN}：曾家河 Zengjiahe、曾店 Zengdian、曾田 Zengtian、曾集 Zengji"
                "（曾家湾 Cengjiawan 一条相反）；随州 曾都区 Zēngdū",
            ),
            PositionRule(
                "卜",
                "bu3",
                {"萝卜": "luo2 bo5"},
                f"{_GN}：张卜 Zhangbu、卜塔亥 Butahai、西卜沙 Xibusha、拉卜楞 Labuleng"
                "（卜家 Bojia 一条相反）",
            ),
            PositionRule(
                "重",
                "chong2",
                {},
                f"{_GN}：重庆 Chongqing、重兴 Chongxing、重固 Chonggu、重龙 Chonglong"
                "（重孜 Zhongzi、重石 Zhongshi 两条相反）",
                at="first",
            ),
            PositionRule(
                "行",
                "hang2",
                {"步行": "bu4 xing2", "人行": "ren2 xing2"},
                f"{_GN}：闵行 Minhang、杨行 Yanghang、徐行 Xuhang、庙行 Miaohang、竹行 Zhuhang、"
                "大柳行 Daliuhang（庄行 Zhuangxing 一条相反）；太行 Tàiháng",
                at="last",
            ),
            PositionRule(
                "湫",
                "qiu1",
                {},
                f"地名用字读 qiū（大龙湫）；{_GN}：石湫 Shiqiu、南湫 Nanqiu",
            ),
            PositionRule(
                "还",
                "huan2",
                {},
                f"副词读音 hái 不入地名；{_GN}：还地桥 Huandiqiao",
            ),
        )
    }
)

#: Characters whose place-name readings really go both ways: no rule, a polyphone notice.
AMBIGUOUS: Mapping[str, str] = MappingProxyType(
    {
        "陂": f"bēi／pí：{_GN} 中 丁陂 Dingbei、黄陂 Huangpi、周陂 Zhoupi 两读并存",
        "堡": f"bǎo／bǔ／pù：{_GN} 中 九堡 Jiubao、元堡子 Yuanbuzi、向阳堡 Xiangyangpu 三读并存",
        "圩": f"wéi（圩田）／xū（集市）：{_GN} 中 26 条读 xu、徐圩 Xuwei 读 wei",
        "仔": f"zǐ／zǎi：{_GN} 中 湾仔 Wanzai、树仔 Shuzi 两读并存",
        "泊": f"bó／pō：{_GN} 中 泊头 Botou、罗布泊 Luobupo 两读并存",
        "翟": f"dí／zhái：{_GN} 中 翟庄 Dizhuang、西翟庄 Xizhaizhuang 两读并存",
        "藏": f"cáng／zàng：{_GN} 中 巴藏 Bazang、龙藏 Longcang 两读并存",
        "朴": f"pǔ／piáo（姓）／pò：{_GN} 中 朴家 Piaojia、朴席 Poxi",
        "扎": f"zhā／zā：{_GN} 中 扎拉 Zala、扎日 Zari、扎青 Zaqing 读 za，扎兰屯 Zhālántún 读 zhā",
        "柞": f"zuò／zhà：{_GN} 中 柞村 Zuocun 读 zuo，柞水 Zhàshuǐ 读 zhà",
        "单": f"dān／shàn（姓）：{_GN} 中 单台子 Shantaizi；单县 Shàn Xiàn",
        "埔": f"pǔ／bù：{_GN} 中 达埔 Dabu、埔寨 Buzhai；黄埔 Huángpǔ",
        "覃": f"tán／qín（姓）：{_GN} 中 覃塘 Qintang、泽覃 Zeqin",
        "筠": f"jūn／yún：{_GN} 中 筠阳 Junyang、筠连 Junlian 读 jun，筠门岭 Yunmenling 读 yun",
        "峤": f"qiáo／jiào：{_GN} 中 壶峤 Huqiao 读 qiao，东峤 Dongjiao 读 jiao",
    }
)


def rule_characters() -> frozenset[str]:
    """Characters that a position rule reads."""
    return frozenset(RULES)


def settled_characters() -> frozenset[str]:
    """Characters a rule reads wherever they stand: they need no polyphone notice.

    A rule that applies first or last only (重 chóng, 行 háng) picks the likely reading there;
    the character stays a notice, since counter-examples exist (重石 Zhongshi, 庄行 Zhuangxing).
    """
    return frozenset(ch for ch, rule in RULES.items() if rule.at == "any")


def apply_rules(
    text: str, syllables: Sequence[str | None], fixed: Sequence[bool], cut: int = 0
) -> list:
    """Give each character of ``text`` that a rule covers its place-name reading.

    Parameters
    ----------
    text : str
        The name, one reading per character.
    syllables : sequence of str or None
        The generic readings (TONE3), ``None`` for characters that are not Chinese.
    fixed : sequence of bool
        Characters whose reading an override set; rules leave them alone.
    cut : int, optional
        Where the 专名 ends (0: the whole text is the 专名), for rules that apply last in it.

    Returns
    -------
    list of str or None
        The readings with the rules applied (a new list).
    """
    out = list(syllables)
    last = (cut if 0 < cut < len(text) else len(text)) - 1
    for i, ch in enumerate(text):
        rule = RULES.get(ch)
        if rule is None or fixed[i] or out[i] is None:
            continue
        if (rule.at == "first" and i != 0) or (rule.at == "last" and i != last):
            continue
        out[i] = _exception_reading(text, i, rule) or rule.reading
    return out


def _exception_reading(text: str, i: int, rule: PositionRule) -> str | None:
    """The reading of ``text[i]`` inside an exception word covering it, if any."""
    for word, reading in rule.exceptions.items():
        for at, ch in enumerate(word):
            if ch == rule.char and text[i - at : i - at + len(word)] == word and i >= at:
                return reading.split()[at]
    return None


def agrees_with(spelled: str, reference: str, specific_length: int) -> bool:
    """Whether a spelled name reads the same 专名 as a reference romanisation, tones ignored.

    Only the first ``specific_length`` syllables are compared: reference tables spell the
    generic of an older status at times (丹阳市 as Danyang Xian) and write apostrophes as
    commas (Chang,an). ``ü`` and ``v`` are the same letter.

    Examples
    --------
    >>> agrees_with("Chángníng Qū", "Changning Qu", 2)
    True
    >>> agrees_with("Zhǎngníng Qū", "Changning Qu", 2)
    False
    >>> agrees_with("Lǚshùnkǒu Qū", "Lvshunkou Qu", 3)
    True
    """
    from geociv.gazetteer.pinyin import split_spelling

    def syllables(text: str) -> list[str]:
        return [s.replace("ü", "v") for s in split_spelling(text.replace(",", "'"))]

    ours, theirs = syllables(spelled), syllables(reference)
    return ours[:specific_length] == theirs[:specific_length]
