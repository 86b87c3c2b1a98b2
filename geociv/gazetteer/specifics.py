"""What a 专名 holds that the regulations care about: a division's name stacked in front of a
name of its own, and a person's name (from the lists, or by its shape).

Examples
--------
>>> names = DivisionNames({"411700": "驻马店市", "411702": "驿城区", "411722": "上蔡县"})
>>> names.stacked("驿城区人民", "411702")
('驿城区', '人民')
>>> names.stacked("驻马店人民", "411702")
('驻马店', '人民')
>>> names.stacked("驿城", "411702") is None, names.stacked("驿城东", "411702") is None
(True, True)
>>> on_word_edges("李白", "李白社", 0), on_word_edges("李白", "李白东", 0)
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from geociv.gazetteer.categories import CATEGORIES

SURNAMES_FILE = Path(__file__).resolve().parents[2] / "data" / "gazetteer" / "surnames.txt"

#: Generics of divisions, longest first, taken off a division's name to give its 简称.
DIVISION_GENERICS: tuple[str, ...] = (
    "经济技术开发区", "高新技术产业开发区", "经济开发区", "特别行政区", "自治区", "自治州",
    "自治县", "开发区", "示范区", "街道", "地区", "林区", "省", "市", "县", "区", "旗", "盟",
)  # fmt: skip

#: Characters that may follow a name inside a 专名 without making it part of a longer word:
#: ordinals (李白一路 → 李白 + 一), directions (李白东路) — besides the start of a generic.
EDGE_CHARACTERS = frozenset("一二三四五六七八九十第0123456789东西南北中")

#: One-character generics that end a word inside a 专名 (杜甫路街道, 李白街社区: the name of a
#: road); other one-character generics (峰, 庄, 山) are as often the end of a given name.
EDGE_GENERICS = frozenset("路街巷")

#: Characters that do not occur in a person's given name but do in place-name words: place
#: generics, directions, numerals (黄河东路, 王庄路, 周口店路 are no person's name).
NOT_IN_GIVEN_NAMES = frozenset(
    "路街巷道河江湖海山岭岗峰庄村寨营屯集店湾楼洼坡沟台铺堡庙桥园坊圩坪郢口头家区县市镇乡"
    "城府苑场站门关港渠塘池井洲岛州祠寺庙观庵阁塔东西南北中上下前后内外左右一二三四五六七八九十百千万老"
)


def division_short_name(name: str) -> str:
    """A division's name without its generic (驿城区 → 驿城, 驻马店市 → 驻马店); ``""`` when
    that leaves fewer than two characters (息县 → 息 is no word of its own)."""
    for generic in DIVISION_GENERICS:
        if name.endswith(generic):
            short = name[: -len(generic)]
            return short if len(short) >= 2 else ""
    return ""


class DivisionNames:
    """Division names and 简称 found inside a proposed name's 专名.

    The line between a stacked name and a name of its own:

    - the *full* name of any known division (with its generic: 驿城区, 上蔡县, 蔡沟乡) inside a
      专名 that holds more than it is stacking (驿城区人民路, 上蔡县新城路);
    - the 简称 of a division the name lies in (its province, city or county: 驻马店, 驿城) at
      the start of the 专名 followed by two characters or more is stacking too (驻马店人民路);
      followed by nothing, one character, or a generic after at most one direction or ordinal
      it is a name of its own (驿城大道, 驻马店西站, 驿城东路, 驿城新村社区, 中原西路街道), as is
      common for roads, estates and stations named after their town.
    - 简称 of other divisions (新华, 中原, 解放 are districts elsewhere and everyday words) and of
      townships are not looked for: a village named after its township's seat (板桥东村 in
      板桥镇) or a township named after its seat village is the norm, not stacking.

    Parameters
    ----------
    names
        adcode → name of every known division (province, city, county, township, village).
    """

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names: dict[str, str] = {}
        self._full: dict[str, int] = {}  # full name → how many divisions bear it
        for code, name in names.items():
            self.set(code, name)

    def set(self, code: str, name: str) -> None:
        """Add or rename one division."""
        old = self._names.get(code)
        if old is not None and len(code) <= 9 and old in self._full:
            self._full[old] -= 1
            if not self._full[old]:
                del self._full[old]
        self._names[code] = name
        if len(code) <= 9 and len(name) >= 3:
            self._full[name] = self._full.get(name, 0) + 1

    def stacked(self, specific: str, division_code: str) -> tuple[str, str] | None:
        """``(division name, the rest)`` when ``specific`` stacks a division name on a name
        of its own, else ``None``."""
        own = set(self._own(division_code, full=True))
        for size in range(len(specific) - 1, 1, -1):  # longest first, never the whole 专名
            for start in range(len(specific) - size + 1):
                part = specific[start : start + size]
                if part in self._full or part in own:
                    return part, specific[:start] + specific[start + size :]
        for short in self._own(division_code, full=False):
            rest = specific[len(short) :]
            if specific.startswith(short) and len(rest) >= 2 and not _generic_led(rest):
                return short, rest
        return None

    def _own(self, division_code: str, *, full: bool) -> Iterable[str]:
        """Names (full) or 简称 of the province, city and county ``division_code`` lies in."""
        codes = {division_code[:2] + "0000", division_code[:4] + "00", division_code[:6]}
        if full and len(division_code) >= 9:
            codes.add(division_code[:9])
        names = [self._names[c] for c in codes if c in self._names]
        return names if full else [s for s in map(division_short_name, names) if s]


@lru_cache(maxsize=2)
def _generic_starts(shortest: int = 1) -> tuple[str, ...]:
    """Every generic of every category of at least ``shortest`` characters."""
    generics = {g for c in CATEGORIES.values() for g in c.generics if len(g) >= shortest}
    return tuple(sorted(generics, key=len))


def _generic_led(rest: str) -> bool:
    """Whether ``rest`` is a generic after at most one direction or ordinal (新村, 西路)."""
    if rest[0] in EDGE_CHARACTERS:
        rest = rest[1:]
    return rest.startswith(_generic_starts())


def on_word_edges(hit: str, specific: str, start: int) -> bool:
    """Whether a list name found at ``start`` in ``specific`` is a word of its own there.

    A two-character name (李白, 朱德, 陈云) is short enough to be a piece of an everyday word
    or of a longer name (李白社, 陈云峰), so it must begin the 专名 and either end it or be
    followed by an ordinal, a direction, a road generic or a generic of two characters or more
    (李白东路, 李白一路, 杜甫路街道, 李白公园路; another one-character generic such as 峰 or
    庄 is as likely the last character of a given name: 陈云峰).
    A name of three characters or more (孙中山, 焦裕禄) is a person wherever it stands.
    """
    if len(hit) >= 3:
        return True
    if start != 0:
        return False
    rest = specific[start + len(hit) :]
    if not rest or rest[0] in EDGE_CHARACTERS or rest[0] in EDGE_GENERICS:
        return True
    return rest.startswith(_generic_starts(2))


@lru_cache(maxsize=1)
def surnames() -> tuple[str, ...]:
    """Common surnames (the fact table ``data/gazetteer/surnames.txt``), compound ones first."""
    found = []
    for line in SURNAMES_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            found.append(line)
    return tuple(sorted(found, key=len, reverse=True))


def looks_like_a_person(specific: str) -> str | None:
    """The surname when ``specific`` has the shape of a person's full name, else ``None``.

    A common surname followed by a given name of two characters (李嘉诚), or a compound
    surname followed by one or two (司马光, 欧阳修); a given name holds no place-name character
    (:data:`NOT_IN_GIVEN_NAMES`: 黄河东, 王庄, 周口店 are places). A single surname with a
    one-character given name is not taken: 文化, 高新, 金水 would all be people.
    """
    for surname in surnames():
        given = specific[len(surname) :]
        if not specific.startswith(surname):
            continue
        sizes = (1, 2) if len(surname) > 1 else (2,)
        if len(given) in sizes and not set(given) & NOT_IN_GIVEN_NAMES:
            return surname
        return None
    return None
