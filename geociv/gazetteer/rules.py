"""The name validation engine: DESIGN.md "Names" rules 1–5 as checks with ids and severities.

Every check runs on every name and all findings are reported together. Uniqueness and
homophones are checked within each category's scope (see :mod:`geociv.gazetteer.categories`)
against the stored gazetteer and, in bulk, against the other names of the same batch.

Examples
--------
>>> v = NameValidator()
>>> [f.rule_id for f in v.validate(Candidate("华盛頓路", "road", "411702"))]
['N4-TRADITIONAL', 'N3-FOREIGN']
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from geociv.errors import Problem
from geociv.gazetteer.categories import (
    CATEGORIES,
    STACKABLE,
    STACKING_CATEGORIES,
    scope_key,
    split_generic,
)
from geociv.gazetteer.pinyin import Romanizer
from geociv.gazetteer.specifics import DivisionNames, looks_like_a_person, on_word_edges
from geociv.labels import SCOPE_LABELS, SEVERITY_LABELS, VERDICT_LABELS

LISTS_DIR = Path(__file__).resolve().parents[2] / "data" / "gazetteer" / "lists"

SEVERITIES: tuple[str, ...] = ("error", "warning", "notice")

#: Longest standard name accepted without a warning (characters).
MAX_NAME_LENGTH = 20


#: How an officer's confirmation (确认, with a reason) weighs on a rule's findings:
#: ``may`` — a confirmed finding is settled (the default); ``never`` — the regulations forbid
#: such a name outright, so no confirmation lifts it (state leaders' names, non-Chinese script,
#: a heritage name renamed without protection measures); ``must`` — the name is not 通过 but
#: 待确认 until an officer confirms the finding with a reason (company names and trademarks,
#: foreign names: a list hit may be a coincidence only a person can rule out).
CONFIRMS: tuple[str, ...] = ("may", "never", "must")

#: A report's verdict: an unconfirmed error blocks (an unconfirmable one always); an unconfirmed
#: finding of a ``must``-confirm rule leaves it pending; otherwise it passes.
VERDICTS: tuple[str, ...] = ("blocked", "pending", "pass")


@dataclass(frozen=True)
class Rule:
    """One check: id, severity, Chinese title, the rule of DESIGN.md it enforces, and how an
    officer's confirmation weighs on it (:data:`CONFIRMS`)."""

    id: str
    severity: str
    title: str
    basis: str
    confirm: str = "may"


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("N0-DIVISION", "error", "所属区划代码无效或不在库中", "地名须隶属于有效的行政区划"),
        Rule("N1-GENERIC", "error", "通名与地名类别不符", "规则1：通名应符合地理实体类别"),
        Rule("N1-NO-SPECIFIC", "error", "缺少专名", "规则1：地名由专名和通名构成"),
        Rule("N1-STACKED", "warning", "通名叠加", "规则1：不得叠加通名（如××大厦广场）"),
        # A warning, not an error: 《地名管理条例》 and its 实施办法 do not list a division name
        # in front of a name among the outright prohibitions (those are N3-LEADER, foreign
        # and brand names, non-standard script); it breaks the 专名 + 通名 structure and
        # repeats what the address hierarchy says, and a long-established name may be kept
        # with an officer's reason. The line drawn: geociv.gazetteer.specifics.DivisionNames.
        Rule(
            "N1-DIVISION",
            "warning",
            "专名冠以行政区划名称",
            "规则1：地名由专名和通名构成，专名不叠加所在行政区划名称（隶属由地址层级表达）",
        ),
        Rule("N2-DUPLICATE", "error", "重名", "规则2：在规定范围内不得重名"),
        Rule("N2-HOMOPHONE", "warning", "同音（含声调）", "规则2：在规定范围内避免同音"),
        Rule("N2-SIMILAR", "notice", "近音（不计声调）", "规则2：在规定范围内避免近音"),
        Rule(
            "N3-LEADER",
            "error",
            "使用国家领导人姓名",
            "规则3：不得以国家领导人姓名作地名（不可确认）",
            "never",
        ),
        Rule("N3-PERSON", "warning", "使用人名", "规则3：一般不以人名作地名"),
        Rule("N3-PERSON-LIKE", "notice", "疑似人名（姓＋名）", "规则3：一般不以人名作地名"),
        Rule(
            "N3-FOREIGN",
            "warning",
            "使用外国人名、地名",
            "规则3：不得使用外国人名、地名（须确认）",
            "must",
        ),
        Rule(
            "N3-BRAND",
            "warning",
            "使用企业名称或商标",
            "规则3：不得以企业名称、商标作地名（须确认）",
            "must",
        ),
        Rule("N4-EMPTY", "error", "名称为空", "规则4：应使用规范汉字"),
        Rule(
            "N4-SCRIPT",
            "error",
            "夹杂字母、数字或符号",
            "规则4：应使用规范汉字（不可确认）",
            "never",
        ),
        Rule("N4-TRADITIONAL", "error", "使用繁体字", "规则4：应使用规范汉字"),
        Rule("N4-RARE", "notice", "生僻字或异体字", "规则4：避免生僻字、异体字"),
        Rule("N4-LENGTH", "warning", "名称过长", "规则4：地名应简洁"),
        Rule("N5-PINYIN", "warning", "拼音与拼写规则结果不一致", "规则5：罗马字母拼写"),
        Rule("N5-POLYPHONE", "notice", "含多音字，拼音需人工审核", "规则5：多音字取审定读音"),
        Rule("N6-HERITAGE", "error", "文化遗产地名更名未附保护措施", "规则6", "never"),
        Rule("N7-OVERDUE", "warning", "批准后逾期未备案或公告（超过 15 天）", "规则7"),
        Rule("N8-SIGN-TEXT", "warning", "标志汉字与标准地名不一致", "规则8"),
        Rule("N8-SIGN-PINYIN", "warning", "标志拼音与标准拼音不一致", "规则8"),
        Rule("N8-SIGN-PATROL", "notice", "标志超期未巡检", "规则8"),
    )
}


def unconfirmable(rule_id: str, *, field: str = "rule", row: int | None = None) -> Problem | None:
    """Why a finding of ``rule_id`` cannot be confirmed away, or ``None`` when it can.

    Every path that records an officer's confirmation (the check page, the API, a case
    review, an import with acceptances) asks this first, so the refusal reads the same.

    >>> unconfirmable("N3-PERSON") is None
    True
    >>> unconfirmable("N3-LEADER").message
    '规则 N3-LEADER（使用国家领导人姓名）属禁止性规定，不能确认'
    """
    rule = RULES.get(rule_id)
    if rule is None or rule.confirm != "never":
        return None
    return Problem(f"规则 {rule_id}（{rule.title}）属禁止性规定，不能确认", row=row, field=field)


LIST_RULES: dict[str, str] = {
    "leader": "N3-LEADER",
    "person": "N3-PERSON",
    "foreign": "N3-FOREIGN",
    "brand": "N3-BRAND",
}
#: Lists whose names must stand on word edges (:func:`on_word_edges`); brand and foreign
#: names are looked for anywhere (巴黎春天小区, 万达广场路).
EDGED_LISTS = frozenset({"person", "leader"})

LIST_FILES: dict[str, str] = {
    "leader": "leaders.txt",
    "person": "persons.txt",
    "foreign": "foreign.txt",
    "brand": "brands.txt",
}


@dataclass(frozen=True)
class Candidate:
    """A name to check. ``pinyin`` is the stored (reviewed) spelling, if any; ``name_id`` lets a
    stored record skip itself; ``row`` is its row in an imported file."""

    name: str
    category: str
    division_code: str
    pinyin: str = ""
    name_id: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Finding:
    """One finding on a name."""

    rule_id: str
    severity: str
    message: str
    field: str = "name"
    related: tuple[str, ...] = ()
    accepted: bool = False
    reason: str = ""

    @property
    def title(self) -> str:
        """The rule's Chinese title."""
        return RULES[self.rule_id].title

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "rule": self.rule_id,
            "severity": self.severity,
            "severity_label": SEVERITY_LABELS[self.severity],
            "title": self.title,
            "message": self.message,
            "field": self.field,
            "related": list(self.related),
            "accepted": self.accepted,
            "reason": self.reason,
        }


@dataclass
class Report:
    """Findings for one candidate, with its generated spelling and split."""

    candidate: Candidate
    specific: str
    generic: str
    pinyin: str | None  # None when the name could not be spelled (empty, unknown category)
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """Whether an error that no officer has accepted remains."""
        return any(f.severity == "error" and not f.accepted for f in self.findings)

    @property
    def pending(self) -> list[Finding]:
        """Unconfirmed findings of rules an officer must confirm before the name passes."""
        return [f for f in self.findings if RULES[f.rule_id].confirm == "must" and not f.accepted]

    @property
    def verdict(self) -> str:
        """``blocked``, ``pending`` (待确认) or ``pass`` (:data:`VERDICTS`)."""
        if self.blocking:
            return "blocked"
        return "pending" if self.pending else "pass"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "name": self.candidate.name,
            "category": self.candidate.category,
            "division_code": self.candidate.division_code,
            "row": self.candidate.row,
            "specific": self.specific,
            "generic": self.generic,
            "pinyin": self.pinyin,
            "ok": not self.blocking,
            "verdict": self.verdict,
            "verdict_label": VERDICT_LABELS[self.verdict],
            "findings": [f.to_dict() for f in self.findings],
        }


def sound_keys(spelling: str) -> tuple[str, str]:
    """Comparison keys of a spelling: (with tones, without tones), lower case, no separators.

    ü keeps its diaeresis in both (吕 and 卢 are not homophones).

    >>> sound_keys("Zhùmǎdiàn Shì")
    ('zhùmǎdiànshì', 'zhumadianshi')
    """
    toned = unicodedata.normalize("NFC", re.sub(r"[\s'’\-]", "", spelling.lower()))
    decomposed = unicodedata.normalize("NFD", toned)
    toneless = "".join(ch for ch in decomposed if ch not in "\u0300\u0301\u0304\u030c")
    return toned, unicodedata.normalize("NFC", toneless)


#: Characters OpenCC maps to a simplified form that are nevertheless standard characters of
#: 《通用规范汉字表》 in some readings (乾 qián, 於 the surname Yū, 著 zhù, 藉 jiè, 瞭 liào,
#: 夥 huǒ).
STANDARD_DESPITE_OPENCC = frozenset("乾於著藉瞭夥")


@lru_cache(maxsize=1)
def traditional_characters() -> dict[str, str]:
    """Every traditional character (BMP CJK) with its simplified form, from OpenCC's tables."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    converted = t2s.convert("\n".join(chars)).split("\n")
    return {
        t: s
        for t, s in zip(chars, converted, strict=True)
        if t != s and len(s) == 1 and t not in STANDARD_DESPITE_OPENCC
    }


@lru_cache(maxsize=1)
def to_simplified() -> dict[int, str]:
    """:func:`traditional_characters` as a ``str.translate`` table (built once)."""
    return str.maketrans(traditional_characters())


def read_list(path: Path) -> list[str]:
    """Terms of a list file: one per line, ``#`` comments and blank lines skipped."""
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            terms.append(line)
    return terms


def default_terms() -> dict[str, list[str]]:
    """The curated lists shipped in ``data/gazetteer/lists``."""
    return {kind: read_list(LISTS_DIR / file) for kind, file in LIST_FILES.items()}


_SCRIPT = re.compile(r"[^\u4e00-\u9fff\u3400-\u4dbf·]")
_NOT_GB2312 = re.compile(r"[\u3400-\u9fff]")


@dataclass
class _Entry:
    name: str
    name_id: str
    division_code: str


class NameIndex:
    """Names already in the gazetteer, keyed by scope for uniqueness and sound checks."""

    def __init__(self) -> None:
        self.by_name: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
        self.by_toned: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
        self.by_toneless: dict[tuple[str, str], list[_Entry]] = defaultdict(list)
        #: name_id → where its entries are, to take a changed name out again.
        self._places: dict[str, list[tuple[dict[tuple[str, str], list[_Entry]], tuple[str, str]]]]
        self._places = defaultdict(list)

    def add(
        self, name: str, name_id: str, category: str, division_code: str, spelling: str
    ) -> None:
        """Index one name with its spelling."""
        scope = f"{CATEGORIES[category].scope}:{scope_key(category, division_code)}"
        entry = _Entry(name, name_id, division_code)
        toned, toneless = sound_keys(spelling)
        places = [(self.by_name, (scope, name))]
        if toned:
            places += [(self.by_toned, (scope, toned)), (self.by_toneless, (scope, toneless))]
        for table, key in places:
            table[key].append(entry)
        self._places[name_id].extend(places)

    def remove(self, name_id: str) -> None:
        """Take the entries of ``name_id`` out (each list replaced, not changed in place, so a
        check running meanwhile in another thread reads a whole list)."""
        for table, key in self._places.pop(name_id, []):
            kept = [e for e in table.get(key, []) if e.name_id != name_id]
            if kept:
                table[key] = kept
            else:
                table.pop(key, None)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_name.values())


class NameValidator:
    """Runs every rule on names.

    Parameters
    ----------
    romanizer
        Spells names (curated special readings plus officers' additions).
    terms
        Extra entries of the person/leader/foreign/brand lists (officers' additions), merged
        with the curated files.
    index
        The stored gazetteer to check uniqueness against.
    accepted
        ``(name, rule_id) → reason`` of findings an officer has accepted.
    division_names
        adcode → name, to say where a clashing name is; when given, a division code not in it
        is a finding (N0-DIVISION).
    """

    def __init__(
        self,
        romanizer: Romanizer | None = None,
        *,
        terms: Mapping[str, Iterable[str]] | None = None,
        index: NameIndex | None = None,
        accepted: Mapping[tuple[str, str], str] | None = None,
        division_names: Mapping[str, str] | None = None,
    ) -> None:
        self.romanizer = romanizer or Romanizer()
        self.index = index or NameIndex()
        self.accepted = dict(accepted or {})
        self.division_names = dict(division_names or {})
        self.divisions = DivisionNames(self.division_names)
        lists = default_terms()
        for kind, extra in (terms or {}).items():
            lists[kind] = sorted(set(lists.get(kind, [])) | set(extra))
        self._list_patterns = {
            kind: re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
            for kind, words in lists.items()
            if words
        }
        self._traditional = traditional_characters()
        self._to_simplified = to_simplified()

    # -- public ----------------------------------------------------------------------------
    def set_division_name(self, code: str, name: str) -> None:
        """Add or rename a known division (where clashes are, and stacked division names)."""
        self.division_names[code] = name
        self.divisions.set(code, name)

    def validate(self, candidate: Candidate) -> list[Finding]:
        """All findings on one name against the stored gazetteer."""
        return self.validate_many([candidate], within_batch=False)[0].findings

    def report(self, candidate: Candidate) -> Report:
        """Findings plus the split and generated pinyin of one name."""
        return self.validate_many([candidate], within_batch=False)[0]

    def validate_many(
        self, candidates: Sequence[Candidate], *, within_batch: bool = True
    ) -> list[Report]:
        """Findings for many names; with ``within_batch`` the names are also checked against
        each other (duplicates and homophones inside one import file)."""
        reports = [self._single(c) for c in candidates]
        if within_batch:
            batch = NameIndex()
            for i, report in enumerate(reports):
                c = report.candidate
                if c.category in CATEGORIES and report.pinyin is not None:
                    batch.add(
                        c.name, c.name_id or f"#{i}", c.category, c.division_code, report.pinyin
                    )
            for i, report in enumerate(reports):
                self._uniqueness(
                    report, batch, self_id=report.candidate.name_id or f"#{i}", where="本批"
                )
        for report in reports:
            self._uniqueness(report, self.index, self_id=report.candidate.name_id, where="库中")
            self._apply_accepted(report)
        return reports

    # -- rules -----------------------------------------------------------------------------
    def _single(self, c: Candidate) -> Report:
        findings: list[Finding] = []
        name = c.name.strip()
        report = Report(replace(c, name=name), specific=name, generic="", pinyin="")
        report.findings = findings
        if not name:
            findings.append(self._finding("N4-EMPTY", "名称为空"))
            report.pinyin = None
            return report
        if self.division_names and c.division_code not in self.division_names:
            findings.append(
                self._finding(
                    "N0-DIVISION",
                    f"区划代码 {c.division_code or '（空）'} 无效或不在库中",
                    field="division_code",
                )
            )
        if c.category not in CATEGORIES:
            findings.append(
                self._finding("N1-GENERIC", f"未知的地名类别 {c.category!r}", field="category")
            )
            report.pinyin = None
            return report
        specific, generic = split_generic(name, c.category)
        report.specific, report.generic = specific, generic
        category = CATEGORIES[c.category]
        if not generic:
            allowed = "、".join(category.generics[:8])
            message = f"“{name}”没有{category.label}的通名（应以 {allowed} 等结尾）"
            findings.append(self._finding("N1-GENERIC", message))
        if generic and not specific:
            findings.append(self._finding("N1-NO-SPECIFIC", f"“{name}”只有通名“{generic}”"))
        if generic and c.category in STACKING_CATEGORIES:
            for inner in STACKABLE:
                if specific.endswith(inner) and len(specific) > len(inner):
                    findings.append(
                        self._finding(
                            "N1-STACKED", f"“{specific}”已含通名“{inner}”，又加通名“{generic}”"
                        )
                    )
                    break
        bad = sorted(set(_SCRIPT.findall(name)))
        if bad:
            findings.append(self._finding("N4-SCRIPT", f"含非汉字字符：{' '.join(bad)}"))
        trad = sorted({ch for ch in name if ch in self._traditional})
        if trad:
            fixes = "、".join(f"{t}→{self._traditional[t]}" for t in trad)
            findings.append(self._finding("N4-TRADITIONAL", f"含繁体字：{fixes}"))
        rare = self._rare(name, set(trad))
        if rare:
            findings.append(
                self._finding(
                    "N4-RARE",
                    f"含生僻字或异体字：{'、'.join(rare)}（不在 GB 2312 常用字集内，"
                    "请核对是否属于《通用规范汉字表》）",
                )
            )
        if len(name) > MAX_NAME_LENGTH:
            findings.append(
                self._finding("N4-LENGTH", f"名称共 {len(name)} 字，超过 {MAX_NAME_LENGTH} 字")
            )
        simplified = (specific or name).translate(self._to_simplified) if trad else specific or name
        findings.extend(self._content(simplified, c.category, c.division_code, bool(generic)))
        spelling = self.romanizer.spell(
            name, specific=specific or None, generic=generic or None, category=c.category
        )
        report.pinyin = spelling.text
        if c.pinyin and sound_keys(c.pinyin)[0] != sound_keys(spelling.text)[0]:
            findings.append(
                self._finding(
                    "N5-PINYIN",
                    f"库存拼音“{c.pinyin}”，按规则应为“{spelling.text}”",
                    field="pinyin",
                )
            )
        elif not c.pinyin and spelling.polyphonic:
            findings.append(
                self._finding(
                    "N5-POLYPHONE",
                    f"“{'、'.join(spelling.polyphonic)}”为多音字，"
                    f"生成的拼音“{spelling.text}”需审核",
                    field="pinyin",
                )
            )
        return report

    def _content(
        self, specific: str, category: str, division_code: str, has_generic: bool
    ) -> list[Finding]:
        """Findings on what the 专名 holds: list names (person and leader names on word
        edges, :func:`~geociv.gazetteer.specifics.on_word_edges`), a person's full name by its
        shape (roads), a division name stacked in front (:class:`DivisionNames`)."""
        found: list[Finding] = []
        for kind, pattern in self._list_patterns.items():
            edged = kind in EDGED_LISTS
            hits = {
                m.group()
                for m in pattern.finditer(specific)
                if not edged or on_word_edges(m.group(), specific, m.start())
            }
            if hits:
                found.append(self._finding(LIST_RULES[kind], f"含“{'、'.join(sorted(hits))}”"))
        people = {"N3-PERSON", "N3-LEADER"} & {f.rule_id for f in found}
        surname = looks_like_a_person(specific) if category == "road" and not people else None
        if surname and has_generic:
            message = f"专名“{specific}”形如人名（姓“{surname}”＋名），如以人名命名请说明"
            found.append(self._finding("N3-PERSON-LIKE", message))
        stacked = self.divisions.stacked(specific, division_code) if has_generic else None
        if stacked:
            found.append(
                self._finding(
                    "N1-DIVISION",
                    f"专名“{specific}”在“{stacked[1]}”前冠以行政区划名称“{stacked[0]}”",
                )
            )
        return found

    @staticmethod
    def _rare(name: str, skip: set[str]) -> list[str]:
        try:
            name.encode("gb2312")
            return []
        except UnicodeEncodeError:
            pass
        rare = []
        for ch in name:
            if ch in skip or not _NOT_GB2312.match(ch):
                continue
            try:
                ch.encode("gb2312")
            except UnicodeEncodeError:
                rare.append(ch)
        return rare

    def _uniqueness(
        self, report: Report, index: NameIndex, *, self_id: str | None, where: str
    ) -> None:
        c = report.candidate
        if report.pinyin is None or c.category not in CATEGORIES or not c.name:
            return
        category = CATEGORIES[c.category]
        scope = f"{category.scope}:{scope_key(c.category, c.division_code)}"
        scope_label = SCOPE_LABELS[category.scope]
        toned, toneless = sound_keys(report.pinyin)
        same = [e for e in index.by_name.get((scope, c.name), []) if e.name_id != self_id]
        if same:
            report.findings.append(
                self._finding(
                    "N2-DUPLICATE",
                    f"{scope_label}{where}已有同名“{c.name}”：{self._where(same)}",
                    related=tuple(e.name_id for e in same),
                )
            )
        homophones = [
            e
            for e in index.by_toned.get((scope, toned), [])
            if e.name_id != self_id and e.name != c.name
        ]
        if homophones:
            report.findings.append(
                self._finding(
                    "N2-HOMOPHONE",
                    f"{scope_label}{where}有同音地名：{self._names(homophones)}",
                    related=tuple(e.name_id for e in homophones),
                )
            )
        seen = {e.name_id for e in homophones}
        similar = [
            e
            for e in index.by_toneless.get((scope, toneless), [])
            if e.name_id != self_id and e.name != c.name and e.name_id not in seen
        ]
        if similar:
            report.findings.append(
                self._finding(
                    "N2-SIMILAR",
                    f"{scope_label}{where}有近音地名（仅声调不同）：{self._names(similar)}",
                    related=tuple(e.name_id for e in similar),
                )
            )

    def _where(self, entries: list[_Entry], most: int = 5) -> str:
        shown = [
            f"{self.division_names.get(e.division_code, e.division_code)}" for e in entries[:most]
        ]
        more = f" 等 {len(entries)} 处" if len(entries) > most else ""
        return "、".join(shown) + more

    def _names(self, entries: list[_Entry], most: int = 5) -> str:
        shown = [
            f"“{e.name}”（{self.division_names.get(e.division_code, e.division_code)}）"
            for e in entries[:most]
        ]
        more = f" 等 {len(entries)} 个" if len(entries) > most else ""
        return "、".join(shown) + more

    def _apply_accepted(self, report: Report) -> None:
        """Mark the findings officers confirmed; a rule that cannot be confirmed stays open
        even if an acceptance was stored for it before the rule became unconfirmable."""
        if not self.accepted:
            return
        report.findings = [
            replace(f, accepted=True, reason=self.accepted[(report.candidate.name, f.rule_id)])
            if (report.candidate.name, f.rule_id) in self.accepted
            and RULES[f.rule_id].confirm != "never"
            else f
            for f in report.findings
        ]

    @staticmethod
    def _finding(
        rule_id: str, message: str, *, field: str = "name", related: tuple[str, ...] = ()
    ) -> Finding:
        rule = RULES[rule_id]
        return Finding(rule_id, rule.severity, message, field, related)
