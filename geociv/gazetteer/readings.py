"""Place-name readings of characters whose everyday reading differs (地名特殊读音规则).

Generic pinyin libraries read 长 as zhǎng (长宁 → Zhǎngníng), 都 as dōu (宁都 → Níngdōu), 勒 as
lēi and 什 as shén; in place names these characters read cháng, dū, lè and shí. A
:class:`PositionRule` gives a character its place-name reading wherever it stands in a name,
except inside the listed exception words, which keep their own reading (长子 Zhǎngzǐ). Whole
words with a special reading (闵行 Mǐnháng, 六安 Lù'ān) belong in the override table instead
(``data/gazetteer/pinyin_overrides.csv``); an override, curated or an officer's, always wins
over a rule.

Every rule records its evidence: rows of the GB/T 2260 romanisation table kept in
``tests/data/readings/county_romanisation_gbt2260.csv`` (code and romanisation).

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

__all__ = ["RULES", "PositionRule", "apply_rules", "rule_characters"]


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
    """

    char: str
    reading: str
    exceptions: Mapping[str, str] = field(default_factory=dict)
    source: str = ""


_GBT = "GB/T 2260 罗马字母拼写（tests/data/readings/county_romanisation_gbt2260.csv）"

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
        )
    }
)


def rule_characters() -> frozenset[str]:
    """Characters that a position rule reads."""
    return frozenset(RULES)


def apply_rules(text: str, syllables: Sequence[str | None], fixed: Sequence[bool]) -> list:
    """Give each character of ``text`` that a rule covers its place-name reading.

    Parameters
    ----------
    text : str
        The name, one reading per character.
    syllables : sequence of str or None
        The generic readings (TONE3), ``None`` for characters that are not Chinese.
    fixed : sequence of bool
        Characters whose reading an override set; rules leave them alone.

    Returns
    -------
    list of str or None
        The readings with the rules applied (a new list).
    """
    out = list(syllables)
    for i, ch in enumerate(text):
        rule = RULES.get(ch)
        if rule is None or fixed[i] or out[i] is None:
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
