"""The comparison of two vintages behind :func:`geociv.changes.propose_changes`.

:class:`Comparison` pairs the units (:mod:`~geociv.changes.pairing`), then drafts one proposal
per change of a county or township (paired, new, gone), then places every village: into the
proposal of its township when its code follows the township's change, else into a group of its
own (``transfer`` per pair of townships, ``rename`` / ``recode`` / ``new`` / ``abolish`` per
township).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from geociv.changes.forms import core, generic, same_but_form, standard_form
from geociv.changes.lists import DivisionList, Unit
from geociv.changes.pairing import Match, child_flows, match_villages, pair_units
from geociv.changes.proposal import Proposal, VillageMove

logger = logging.getLogger(__name__)

#: How sure a pairing is, by how it was found (see :class:`~geociv.changes.pairing.Match`).
PAIRING_CONFIDENCE = {"code": 0.9, "name": 0.8, "near": 0.6, "children": 0.6}
#: Share of a gone unit's children that must go to one unit for a merge into it.
MERGE_SHARE = 0.8
#: Villages named in one evidence sentence.
NAMED = 5
#: County-level codes whose 5th–6th digits are this or more are NBS statistical units
#: (development zones and the like), not statutory divisions.
STATISTICAL_COUNTY = "70"

_CHILDREN = {"county": "个乡级单位", "township": "个村（居）"}


@dataclass
class _Draft:
    kind: str
    level: str
    before: list[Unit]
    after: list[Unit]
    confidence: float
    evidence: list[str] = field(default_factory=list)
    villages: list[VillageMove] = field(default_factory=list)
    renamed: list[VillageMove] = field(default_factory=list)
    hows: list[str] = field(default_factory=list)

    def done(self) -> Proposal:
        evidence = list(self.evidence)
        if self.renamed:
            evidence.append(f"其中 {len(self.renamed)} 个村（居）同时改名：" + _moves(self.renamed))
        return Proposal(
            kind=self.kind,
            level=self.level,
            before=tuple(self.before),
            after=tuple(self.after),
            villages=tuple(sorted(self.villages, key=lambda v: (v.old_code or "~", v.new_code))),
            confidence=round(min(max(self.confidence, 0.0), 1.0), 2),
            evidence=tuple(evidence),
        )


def _moves(moves: list[VillageMove]) -> str:
    shown = "、".join(f"{m.old_name} → {m.new_name}" for m in moves[:NAMED])
    return shown + ("等" if len(moves) > NAMED else "")


def _label(unit: Unit | None, code: str) -> str:
    return f"{unit.name}（{code}）" if unit else code


class Comparison:
    """Two vintages of the units under one parent, paired; :meth:`proposals` says what
    changed."""

    def __init__(self, old: DivisionList, new: DivisionList) -> None:
        self.old, self.new = old, new
        old_v, new_v = old.at_level("village"), new.at_level("village")
        self.parent: dict[str, str] = {
            u.code: u.parent_code or "" for u in (*old, *new) if u.level != "county"
        }
        first = match_villages(old_v, new_v)
        towns = self._pair("township", first)
        related = {o: {m.new_code} for o, m in towns.items()}
        for old_parent, went in child_flows(_codes(first), self.parent).items():
            related.setdefault(old_parent, set()).update(went)
        self.villages = match_villages(old_v, new_v, parents=related)
        self.towns = self._pair("township", self.villages)
        self.counties = self._pair("county", self.towns)
        self.children_old = Counter(u.parent_code for u in old)
        self.children_new = Counter(u.parent_code for u in new)
        self.pair_draft: dict[str, _Draft] = {}
        self.new_draft: dict[str, _Draft] = {}
        self.gone_draft: dict[str, _Draft] = {}
        self.groups: dict[tuple[str, str, str], _Draft] = {}
        self.drafts: list[_Draft] = []

    def _pair(self, level: str, children: dict[str, Match]) -> dict[str, Match]:
        return pair_units(
            self.old.at_level(level), self.new.at_level(level), _codes(children), self.parent
        )

    def proposals(self) -> list[Proposal]:
        """Every change seen, as proposals (unordered)."""
        for level, pairs, children in (
            ("county", self.counties, self.towns),
            ("township", self.towns, self.villages),
        ):
            self._level(level, pairs, children)
        self._place_villages()
        return [d.done() for d in (*self.drafts, *self.groups.values())]

    # -- counties and townships -----------------------------------------------------------
    def _level(self, level: str, pairs: dict[str, Match], children: dict[str, Match]) -> None:
        flows = child_flows(_codes(children), self.parent)
        sources: dict[str, Counter] = {}
        for old_parent, went in flows.items():
            for new_parent, count in went.items():
                sources.setdefault(new_parent, Counter())[old_parent] += count
        for o in self.old.at_level(level):
            if o.code in pairs:
                self._paired(level, o, self.new[pairs[o.code].new_code], pairs[o.code], flows)
        successors = {m.new_code for m in pairs.values()}
        gone = {o.code for o in self.old.at_level(level) if o.code not in pairs}
        for code in sorted(gone):
            self._split(level, self.old[code], flows.get(code, Counter()))
        for n in self.new.at_level(level):
            if n.code not in successors and n.code not in self.new_draft:
                self._born(level, n, sources.get(n.code, Counter()), gone, flows)
        for code in sorted(gone - set(self.gone_draft)):
            self._gone(level, self.old[code], flows.get(code, Counter()))

    def _follows(self, old_parent: str | None, new_parent: str | None) -> bool:
        """Whether a unit under ``old_parent`` now under ``new_parent`` just follows its
        parent (the same parent, or the parent's successor)."""
        if old_parent == new_parent:
            return True
        pair = self.counties.get(old_parent or "") or self.towns.get(old_parent or "")
        return pair is not None and pair.new_code == new_parent

    def _pair_kind(self, o: Unit, n: Unit) -> str | None:
        if not self._follows(o.parent_code, n.parent_code):
            return "transfer"
        if generic(o.name) == "乡" and generic(n.name) == "镇":
            return "township_to_town"
        if generic(o.name) in ("乡", "镇") and generic(n.name) == "街道":
            return "to_subdistrict"
        if not same_but_form(o.name, n.name):
            return "rename"
        if o.code != n.code and o.parent_code == n.parent_code:
            return "recode"
        return None

    def _paired(
        self, level: str, o: Unit, n: Unit, match: Match, flows: dict[str, Counter]
    ) -> None:
        kind = self._pair_kind(o, n)
        if kind is None:
            return
        evidence = []
        if o.code != n.code:
            how = {"name": f"专名相同（{core(n.name)}）", "children": "下辖单位大多随之"}
            evidence.append(f"{o.name}（{o.code}）→ {n.name}（{n.code}）：{how.get(match.how, '')}")
        else:
            evidence.append(f"代码 {o.code} 不变，名称 {o.name} → {n.name}")
        if kind == "transfer":
            evidence.append(f"上级由 {o.parent_code} 变为 {n.parent_code}")
        if kind == "rename":
            evidence += _name_notes(o.name, n.name)
        total = self.children_old[o.code]
        share = None
        if total:
            share = flows.get(o.code, Counter())[n.code] / total
            kept = flows.get(o.code, Counter())[n.code]
            evidence.append(
                f"{o.name}的 {total} {_CHILDREN[level]}中 {kept} 个现属 {n.code}（{n.name}）"
            )
        base = PAIRING_CONFIDENCE[match.how]
        draft = _Draft(
            kind, level, [o], [n], base if share is None else (base + share) / 2, evidence
        )
        self.drafts.append(draft)
        if level == "township":
            self.pair_draft[o.code] = draft

    def _born(
        self, level: str, n: Unit, sources: Counter, gone: set[str], flows: dict[str, Counter]
    ) -> None:
        merged = [
            c for c in sorted(sources) if c in gone and flows[c].most_common(1)[0][0] == n.code
        ]
        if len(merged) >= 2:
            units = [self.old[c] for c in merged]
            evidence = [self._share(level, self.old[c], n, flows[c]) for c in merged]
            draft = _Draft("merge", level, units, [n], 0.8, evidence)
            for c in merged:
                self.gone_draft[c] = draft
        else:
            draft = _Draft("new", level, [], [n], 0.9, [f"旧名单中没有 {n.name}（{n.code}）"])
            if sources:
                parts = "、".join(
                    f"{_label(self.old.get(c), c)} {k} 个" for c, k in sources.most_common()
                )
                draft.evidence.append(f"其{_CHILDREN[level][1:]}来自：{parts}")
            elif self.children_new[n.code]:
                draft.evidence.append(
                    f"其 {self.children_new[n.code]} {_CHILDREN[level]}在旧名单中都找不到"
                )
            if level == "county" and n.code[4:6] >= STATISTICAL_COUNTY:
                draft.confidence = 0.6
                draft.evidence.append(
                    f"代码 {n.code} 第 5–6 位为 {n.code[4:6]}："
                    "统计用的功能区（开发区等），不是法定行政区划"
                )
            if n.parent_code and n.parent_code not in self.old and n.parent_code in self.new:
                draft.confidence = 0.6
                draft.evidence.append(
                    f"上级 {n.parent_code} 在旧名单中也没有："
                    "也可能是旧名单未列入（统计口径），而非新设"
                )
        self.drafts.append(draft)
        self.new_draft[n.code] = draft

    def _split(self, level: str, o: Unit, went: Counter) -> None:
        """A gone unit whose children went to two or more new units, none taking most."""
        total = self.children_old[o.code]
        into = sorted(c for c in went if c not in self.old)
        if len(into) < 2 or went.most_common(1)[0][1] / max(total, 1) >= MERGE_SHARE:
            return
        after = [self.new[c] for c in into]
        evidence = [self._share(level, o, self.new[c], went) for c in sorted(went)]
        draft = _Draft("split", level, [o], after, 0.7, evidence)
        self.drafts.append(draft)
        self.gone_draft[o.code] = draft
        for code in into:
            self.new_draft[code] = draft

    def _gone(self, level: str, o: Unit, went: Counter) -> None:
        total = self.children_old[o.code]
        if went and went.most_common(1)[0][1] / max(total, 1) >= MERGE_SHARE:
            code, count = went.most_common(1)[0]
            into = self.new[code]
            before = [o] + ([self.old[code]] if code in self.old else [])
            evidence = [f"新名单中没有 {o.name}（{o.code}）", self._share(level, o, into, went)]
            draft = _Draft("merge", level, before, [into], 0.5 + 0.45 * count / total, evidence)
        else:
            evidence = [f"新名单中没有 {o.name}（{o.code}），也没有专名相同的单位"]
            if went:
                parts = "、".join(
                    f"{_label(self.new.get(c), c)} {k} 个" for c, k in went.most_common()
                )
                evidence.append(f"其{_CHILDREN[level][1:]}现属：{parts}")
            draft = _Draft("abolish", level, [o], [], 0.7, evidence)
        self.drafts.append(draft)
        self.gone_draft[o.code] = draft

    def _share(self, level: str, o: Unit, n: Unit, went: Counter) -> str:
        total = self.children_old[o.code]
        return f"{o.name}的 {total} {_CHILDREN[level]}中 {went[n.code]} 个现属 {n.code}（{n.name}）"

    # -- villages -------------------------------------------------------------------------
    def _place_villages(self) -> None:
        matched = set()
        for o in self.old.at_level("village"):
            match = self.villages.get(o.code)
            if match is None:
                self._lost(o)
                continue
            matched.add(match.new_code)
            self._moved(o, self.new[match.new_code], match.how)
        for n in self.new.at_level("village"):
            if n.code in matched:
                continue
            draft = self.new_draft.get(n.parent_code or "")
            if draft is not None:
                draft.villages.append(VillageMove("", "", n.code, n.name))
            else:
                self._group("new", "", n.parent_code or "", None, n, "")

    def _lost(self, o: Unit) -> None:
        draft = self.gone_draft.get(o.parent_code or "")
        if draft is not None:
            draft.villages.append(VillageMove(o.code, o.name, "", ""))
        else:
            self._group("abolish", o.parent_code or "", "", o, None, "")

    def _moved(self, o: Unit, n: Unit, how: str) -> None:
        old_parent, new_parent = o.parent_code or "", n.parent_code or ""
        renamed = not same_but_form(o.name, n.name)
        move = VillageMove(o.code, o.name, n.code, n.name)
        owner = None if o.code == n.code else self._owner(old_parent, new_parent)
        if owner is not None:
            owner.villages.append(move)
            if renamed:
                owner.renamed.append(move)
        elif self._follows(old_parent, new_parent):
            if renamed:
                self._group("rename", "", new_parent, o, n, how)
            elif o.code != n.code:
                self._group("recode", "", new_parent, o, n, how)
        else:
            self._group("transfer", old_parent, new_parent, o, n, how)

    def _owner(self, old_parent: str, new_parent: str) -> _Draft | None:
        """The township proposal a village moving from ``old_parent`` to ``new_parent``
        belongs to, if its move is explained by it."""
        pair = self.towns.get(old_parent)
        if old_parent in self.pair_draft and pair and pair.new_code == new_parent:
            return self.pair_draft[old_parent]
        if old_parent != new_parent and new_parent in self.new_draft:
            return self.new_draft[new_parent]
        if old_parent in self.gone_draft:
            return self.gone_draft[old_parent]
        return None

    def _group(
        self, kind: str, old_parent: str, new_parent: str, o: Unit | None, n: Unit | None, how: str
    ) -> None:
        key = (kind, old_parent, new_parent)
        draft = self.groups.get(key)
        if draft is None:
            draft = self.groups[key] = _Draft(kind, "village", [], [], 0.0)
        if o is not None:
            draft.before.append(o)
        if n is not None:
            draft.after.append(n)
        if o is not None and n is not None:
            draft.villages.append(VillageMove(o.code, o.name, n.code, n.name))
            draft.hows.append(how)
        _village_evidence(draft, self.old.get(old_parent), self.new.get(new_parent), key)


def _village_evidence(
    draft: _Draft, old_parent: Unit | None, new_parent: Unit | None, key: tuple[str, str, str]
) -> None:
    """Set the evidence and confidence of a village group from what it holds now."""
    kind, old_code, new_code = key
    count = max(len(draft.before), len(draft.after))
    near = draft.hows.count("near")
    if kind == "transfer":
        how = "名称相同" if not near else f"其中 {near} 个按相近名称或代码末三位对应"
        draft.evidence = [
            f"{count} 个村（居）从 {_label(old_parent, old_code)} "
            f"划入 {_label(new_parent, new_code)}（{how}）"
        ]
        draft.confidence = 0.9 - 0.3 * near / count
    elif kind in ("rename", "recode"):
        what = "改名" if kind == "rename" else "代码改变、名称未变"
        draft.evidence = [f"{_label(new_parent, new_code)} 下 {count} 个村（居）{what}"]
        changed_kind = [m for m in draft.villages if generic(m.old_name) != generic(m.new_name)]
        if kind == "rename" and changed_kind:
            draft.evidence.append(
                f"其中 {len(changed_kind)} 个委员会类型改变（如村改居）：" + _moves(changed_kind)
            )
        draft.confidence = 0.8 - 0.2 * near / count
    elif kind == "new":
        names = "、".join(u.name for u in draft.after[:NAMED])
        draft.evidence = [
            f"{_label(new_parent, new_code)} 下 {count} 个村（居）在旧名单中找不到：{names}"
        ]
        draft.confidence = 0.7
    else:
        names = "、".join(u.name for u in draft.before[:NAMED])
        draft.evidence = [
            f"{_label(old_parent, old_code)} 下 {count} 个村（居）在新名单中找不到：{names}"
        ]
        draft.confidence = 0.7


def _name_notes(old: str, new: str) -> list[str]:
    """Notes on a changed name: one character apart (perhaps a corrected character), or the
    old one looking like an abbreviation of the new one."""
    a, b = standard_form(old), standard_form(new)
    if a == b:
        return []
    if len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
        return [f"名称只差一个字（{a} → {b}）：也可能是更正错字，请核对批准文件"]
    if a.endswith("街道") and b.endswith("街道") and len(b) == len(a) + 1 and b.startswith(a[:-2]):
        return [f"旧名 {old} 可能是 {new} 的简称（省略了“{b[len(a) - 2]}”），请核对是否真的更名"]
    return []


def _codes(matches: dict[str, Match]) -> dict[str, str]:
    return {old: m.new_code for old, m in matches.items()}
