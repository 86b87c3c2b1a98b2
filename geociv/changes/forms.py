"""Changes of form (写法变化) that are not changes of division.

Between vintages the statistics list (NBS codes) writes the same unit differently: the office
for the subdistrict (…街道办事处) or the subdistrict (…街道); the committee abbreviated (…村委会,
…居委会) or in full (…村民委员会, …居民委员会), with or without the settlement's generic (…村村委会,
…社区居委会 …); a development zone with or without its committee (…管委会, …管理委员会). None of
these is a change of division. :func:`standard_form` writes every name one way, :func:`core`
keeps only the proper part (专名) for pairing units, :func:`same_but_form` says whether two names
differ only in form.

What the real lists show (Henan NBS codes, 2016 → 2019 → 2023, same code in both vintages)
-------------------------------------------------------------------------------------------
Counted with these functions over the rows whose code is in both vintages (Zhumadian 4117 /
all of Henan):

==================================================  ===================  ====================
form change                                         2016 → 2019          2019 → 2023
==================================================  ===================  ====================
…街道办事处 → …街道                                 36 / 478             0 / 0
…办事处 → …街道                                     0 / 30               0 / 3
…管委会, …管理委员会 dropped                        0 / 4                2 / 11
village committee (…村委会, …村村委会, …村 ↔         2,172 / 20,540       8 / 1,924
…村民委员会)
residents' committee (…居委会, …社区居委会, …社区   302 / 2,046          58 / 508
↔ …居民委员会, …社区居民委员会)
==================================================  ===================  ====================

Not form, same code (proposed as renames): Zhumadian 5 townships and 155 villages 2016 → 2019,
2 and 91 2019 → 2023; Henan 32 and 2,192, 35 and 2,649. Most village ones are the 2020s
standardisation of characters and syllables (贲占 → 贲寨 130 times in Henan, …庄 added 78,
…庄 dropped 45, 元 → 园 39, 湾 → 塆 27, 圩 → 围 16, 孜 → 子 …).

Typos of the committee that the lists carry (…村民员委会, …村民委会, …社区居民居委会, …委员) are
read as the committee too. Everything else that differs is a change of the name itself and is
proposed as such: a 专名 character changed (吕河 → 闾河, 查岈山 → 嵖岈山, 围孜 →
围子, 付寨 → 傅寨), a syllable added or dropped (大王庄 ↔ 王庄, 罗岗 → 罗岗庄), a village
committee that became a residents' committee (村改居), a committee that became a 生活区.

``人民街道办事处 → 人民街街道``, ``东风街道办事处 → 东风路街道`` (驿城区; also 西园街, 新华街,
and two more in Henan): **not** treated as a form. The subdistricts are named after 人民街 and
东风路, and the 2016 list most likely shortened the office's name; but the characters of the
专名 do differ, and whether a name changed is for the approving body's documents to say, not
for a guess about abbreviations. So they are proposed as ``rename`` with the code, and every
village, unchanged, as evidence; an officer dismisses them with that reason if so.

Examples
--------
>>> same_but_form("南海街道办事处", "南海街道")
True
>>> same_but_form("王庄村委会", "王庄村村民委员会")
True
>>> same_but_form("滨河社区居委会", "滨河居民委员会")
True
>>> same_but_form("人民街道办事处", "人民街街道"), same_but_form("王庄村委会", "王庄社区居委会")
(False, False)
>>> core("宋集乡"), core("古城街道办事处"), core("王庄村村民委员会"), core("工业园区管委会")
('宋集', '古城', '王庄', '工业园区')
>>> generic("宋集乡"), generic("郭楼街道办事处"), generic("练江社区居委会")
('乡', '街道', '居民委员会')
"""

from __future__ import annotations

import re

#: The subdistrict's office written for the subdistrict: …街道办事处 / …办事处 → …街道.
_OFFICE = re.compile(r"(?:街道)?办事处$")

#: A committee at the end of a name, in full, abbreviated or misspelt: who it is of (village,
#: residents, community) and whether it is a management committee.
_COMMITTEE = re.compile(
    r"(?P<who>社区居民|社区村民|社区居|社区村|社区|居民|村民|居|村|民)?(?:管理|管)?"
    r"(?:委员会|员委会|委会|委员)$"
)

#: Settlement generics left before a committee once it is taken off (…村村委会, …社区居委会).
_SETTLEMENT = ("居民", "村民", "社区", "村")

#: Township-level generics (通名), with an optional ethnic qualifier (…回族乡).
_TOWNSHIP_GENERIC = re.compile(r"(?:回族|满族|蒙古族|民族)?(?P<generic>街道|镇|乡)$")

#: The full committee name written for each kind of committee.
_COMMITTEE_NAMES = {"村": "村民委员会", "居": "居民委员会"}


def _split(name: str) -> tuple[str, str]:
    """The name without its committee or settlement ending, and the committee's kind
    (``"村"`` village committee, ``"居"`` residents' committee, ``""`` none or a management
    committee)."""
    text = _OFFICE.sub("街道", name.strip())
    committee = _COMMITTEE.search(text)
    kind = ""
    if committee and committee.start() > 0:
        who = committee.group("who") or ""
        kind = "村" if "村" in who else "居" if ("居" in who or "社区" in who) else ""
        text = text[: committee.start()]
        if not kind and committee.group(0).startswith("管"):
            return text, ""  # …管委会 / …管理委员会: the zone itself
    stem = text
    while True:
        ending = next((e for e in _SETTLEMENT if stem.endswith(e) and len(stem) > len(e)), None)
        if ending is None:
            break
        if not kind:
            kind = "村" if "村" in ending else "居"
        stem = stem[: -len(ending)]
    return stem, kind


def standard_form(name: str) -> str:
    """``name`` written one way: …街道 for the office, the full committee name (…村民委员会,
    …居民委员会) for any committee or settlement ending, no management committee.

    >>> standard_form("柏城街道办事处"), standard_form("王庄村委会"), standard_form("龙泉社区")
    ('柏城街道', '王庄村民委员会', '龙泉居民委员会')
    """
    stem, kind = _split(name)
    return stem + _COMMITTEE_NAMES.get(kind, "")


def core(name: str) -> str:
    """The proper part (专名) of a name: no form, no committee, no township generic; what two
    vintages of the same unit share even when it changed from 乡 to 镇 or 街道."""
    stem, kind = _split(name)
    if not kind:
        generic = _TOWNSHIP_GENERIC.search(stem)
        if generic and generic.start() > 0:
            stem = stem[: generic.start()]
    return stem


def generic(name: str) -> str:
    """The generic (通名) of a name in its standard form: ``乡``, ``镇``, ``街道``,
    ``村民委员会``, ``居民委员会`` or ``""`` (a zone, a farm, a scenic area …)."""
    stem, kind = _split(name)
    if kind:
        return _COMMITTEE_NAMES[kind]
    found = _TOWNSHIP_GENERIC.search(stem)
    return found.group("generic") if found and found.start() > 0 else ""


def same_but_form(a: str, b: str) -> bool:
    """Whether two names of a unit differ only in form (not a change of division)."""
    return standard_form(a) == standard_form(b)
