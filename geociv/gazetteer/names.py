"""The gazetteer service: name records, their pinyin, checks, history and officers' lists.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.store import open_store
>>> from geociv.demo import load_demo
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "g.gpkg"); _ = load_demo(store)
>>> gaz = Gazetteer(store)
>>> report = gaz.check("驿城区", "county", "411700")
>>> report.pinyin, [f.rule_id for f in report.findings]
('Yìchéng Qū', ['N2-DUPLICATE'])
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from shapely.geometry.base import BaseGeometry

from geociv.authority import problems_outside, refuse_rows, require
from geociv.divisions import Divisions, normalize_code, parent_of
from geociv.errors import NotFoundError, Problem, UnknownDivisionError, ValidationError
from geociv.gazetteer.categories import CATEGORIES, committee_to_place_name, split_generic
from geociv.gazetteer.pinyin import Romanizer
from geociv.gazetteer.rules import (
    LIST_RULES,
    RULES,
    Candidate,
    NameIndex,
    NameValidator,
    Report,
    unconfirmable,
)
from geociv.store import (
    NAME_STATUSES,
    Division,
    FormerName,
    NameRecord,
    Store,
    Term,
    UpsertCounts,
)
from geociv.store.changes import ChangeFollower

#: Tables whose changes make a cached validator stale.
_GAZETTEER_TABLES = ("names", "pinyin_overrides", "name_terms", "finding_overrides", "divisions")

#: Heritage levels (地名文化遗产) an officer can set; local lists are free text after "地方:".
HERITAGE_LEVELS = ("千年古县", "千年古镇", "千年古村落", "中国历史文化名镇", "中国历史文化名村")

_LEVEL_CATEGORY = {
    "province": "province",
    "city": "city",
    "county": "county",
    "township": "township",
    "village": "village",
}


def division_name_id(code: str) -> str:
    """The stable id of the name record of a division."""
    return f"D{code}"


def _index_name(index: NameIndex, rec: NameRecord, romanizer: Romanizer) -> None:
    """Put a stored name in the validator's index under its stored (or the rules') spelling."""
    spelling = (
        rec.pinyin
        or romanizer.spell(
            rec.name,
            specific=rec.specific or None,
            generic=rec.generic or None,
            category=rec.category,
        ).text
    )
    index.add(rec.name, rec.name_id, rec.category, rec.division_code, spelling)


class Gazetteer:
    """Place names kept in a :class:`~geociv.store.Store`.

    The validator (with its index of stored names, officers' lists, readings and accepted
    findings) is built once and then updated with the records changed since, whichever
    process changed them (:class:`~geociv.store.changes.ChangeFollower`).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._validator: NameValidator | None = None
        self._follower = ChangeFollower(store, _GAZETTEER_TABLES)
        self._lock = threading.RLock()
        #: How many times the validator was built wholesale.
        self.builds = 0

    # -- cached machinery ------------------------------------------------------------------
    def validator(self) -> NameValidator:
        """A validator up to date with the store (inside a write transaction: with every
        committed write and the transaction's own, so a check there decides with nothing
        missing). Built once, then updated with the records changed since (by any process)."""
        with self._lock:
            changes = self._follower.poll()
            if self._validator is None or changes.rebuild or "pinyin_overrides" in changes.keys:
                self.builds += 1
                self._validator = self._build_validator()
            elif changes:
                self._validator = self._update_validator(self._validator, changes.keys)
            self._follower.done(changes)
            return self._validator

    @property
    def romanizer(self) -> Romanizer:
        """The curated readings plus the officers' additions: the validator's, once it is
        built; before that one made from the readings alone (spelling a name needs no index
        of every stored name)."""
        with self._lock:
            built = self._validator is not None
        return self.validator().romanizer if built else self._reading_romanizer()

    def _reading_romanizer(self) -> Romanizer:
        extra = {word: pinyin for word, (pinyin, _note) in self.store.pinyin_overrides().items()}
        return Romanizer().with_extra(extra) if extra else Romanizer()

    def _build_validator(self) -> NameValidator:
        romanizer = self._reading_romanizer()
        index = NameIndex()
        for rec in self.store.query_names():
            _index_name(index, rec, romanizer)
        names = {d.code: d.name for d in self.store.query_divisions(with_geometry=False)}
        return NameValidator(
            romanizer,
            terms=self._terms(),
            index=index,
            accepted=self._accepted(),
            division_names=names,
        )

    def _update_validator(
        self, validator: NameValidator, keys: Mapping[str, set[str]]
    ) -> NameValidator:
        """``validator`` with the changed names, divisions, lists and acceptances re-read."""
        for name_id in keys.get("names", ()):
            validator.index.remove(name_id)
            rec = self.store.get_name(name_id)
            if rec is not None and rec.status != "retired":
                _index_name(validator.index, rec, validator.romanizer)
        codes = keys.get("divisions", set())
        for code, name in self.store.division_names(codes).items():
            validator.set_division_name(code, name)
        if "finding_overrides" in keys:
            validator.accepted = self._accepted()
        if "name_terms" in keys:  # the lists are compiled into patterns: a new validator
            validator = NameValidator(
                validator.romanizer,
                terms=self._terms(),
                index=validator.index,
                accepted=validator.accepted,
                division_names=validator.division_names,
            )
        return validator

    def _terms(self) -> dict[str, list[str]]:
        terms: dict[str, list[str]] = {}
        for t in self.store.terms():
            terms.setdefault(t.list, []).append(t.term)
        return terms

    def _accepted(self) -> dict[tuple[str, str], str]:
        return {(o.name, o.rule_id): o.reason for o in self.store.finding_overrides()}

    # -- checks ----------------------------------------------------------------------------
    def check(
        self,
        name: str,
        category: str,
        division_code: str,
        *,
        pinyin: str = "",
        name_id: str | None = None,
    ) -> Report:
        """Every rule on one name; the division must be known."""
        self._known_division(division_code)
        return self.validator().report(
            Candidate(name, category, normalize_code(division_code), pinyin, name_id)
        )

    def check_many(self, candidates: Sequence[Candidate]) -> list[Report]:
        """Every rule on many names, also against each other."""
        return self.validator().validate_many(candidates)

    def pinyin_disagreements(self) -> list[tuple[NameRecord, str]]:
        """Stored records whose reviewed pinyin differs from the rules' spelling."""
        out = []
        for report, rec in self._reports_of_stored():
            if any(f.rule_id == "N5-PINYIN" for f in report.findings):
                out.append((rec, report.pinyin or ""))
        return out

    def _reports_of_stored(self) -> Iterable[tuple[Report, NameRecord]]:
        records = self.store.query_names()
        reports = self.validator().validate_many(
            [Candidate(r.name, r.category, r.division_code, r.pinyin, r.name_id) for r in records],
            within_batch=False,
        )
        return zip(reports, records, strict=True)

    # -- writes ----------------------------------------------------------------------------
    def add(
        self,
        name: str,
        category: str,
        division_code: str,
        *,
        actor: str,
        geometry: BaseGeometry | None = None,
        status: str = "proposed",
        pinyin: str | None = None,
        heritage_level: str = "",
        aliases: Iterable[str] = (),
        source: str = "",
        accept: Mapping[str, str] | None = None,
    ) -> tuple[NameRecord, Report]:
        """Check and store a new name.

        Errors block the write unless the officer accepts them in ``accept`` (rule id →
        reason; each acceptance is audited). A ``pinyin`` given by the officer is stored as
        reviewed; otherwise the rules' spelling is stored, not yet reviewed.

        The actor must be an officer whose jurisdiction holds ``division_code``. The checks
        (duplicates in scope included) run inside the write transaction, so two officers
        registering the same name at once store it once.
        """
        if status not in NAME_STATUSES:
            raise ValidationError(Problem(f"未知状态 {status!r}", field="status"))
        self._known_division(division_code)
        require(self.store, actor, ("officer",), divisions=[normalize_code(division_code)],
                what="names.add")  # fmt: skip
        with self.store.transaction():  # the acceptances, the check and the write, or none
            return self._add_checked(
                name, category, division_code, actor=actor, geometry=geometry, status=status,
                pinyin=pinyin, heritage_level=heritage_level, aliases=aliases, source=source,
                accept=accept,
            )  # fmt: skip

    def _add_checked(
        self,
        name: str,
        category: str,
        division_code: str,
        *,
        actor: str,
        geometry: BaseGeometry | None,
        status: str,
        pinyin: str | None,
        heritage_level: str,
        aliases: Iterable[str],
        source: str,
        accept: Mapping[str, str] | None,
    ) -> tuple[NameRecord, Report]:
        for rule_id, reason in (accept or {}).items():
            self.accept_finding(name, rule_id, reason=reason, actor=actor)
        report = self.check(name, category, division_code, pinyin=pinyin or "")
        if report.blocking:
            raise ValidationError(
                [
                    Problem(f"[{f.rule_id}] {f.message}", field=f.field)
                    for f in report.findings
                    if f.severity == "error" and not f.accepted
                ],
                title=f"“{name}”未通过检查",
            )
        record = NameRecord(
            name_id=f"N{uuid.uuid4().hex[:12]}",
            name=report.candidate.name,
            specific=report.specific,
            generic=report.generic,
            category=category,
            division_code=normalize_code(division_code),
            pinyin=pinyin or report.pinyin or "",
            pinyin_reviewed=bool(pinyin),
            status=status,
            heritage_level=heritage_level,
            aliases=tuple(a.strip() for a in aliases if a.strip()),
            source=source,
            geometry=geometry,
        )
        self.store.upsert_names([record], actor=actor, action="names.add")
        return record, report

    def save_reports(
        self,
        reports: Sequence[Report],
        geometries: Mapping[int, BaseGeometry] | None = None,
        *,
        actor: str,
        source: str = "批量导入",
    ) -> int:
        """Store checked names as proposed records, all or none.

        Refuses (and writes nothing) if any report still has an unaccepted error, or any row's
        division lies outside the actor's jurisdiction. The names are checked again inside
        the write transaction, against everything stored by then.
        """
        who = require(self.store, actor, ("officer",), what="names.import")
        refuse_rows(
            self.store,
            who,
            problems_outside(
                who, [(r.candidate.row, r.candidate.division_code) for r in reports],
                "division_code",
            ),
            "names.import",
        )  # fmt: skip
        with self.store.transaction():
            fresh = self.check_many([r.candidate for r in reports]) if reports else []
            return self._save_checked(fresh, geometries, actor=actor, source=source)

    def _save_checked(
        self,
        reports: Sequence[Report],
        geometries: Mapping[int, BaseGeometry] | None,
        *,
        actor: str,
        source: str,
    ) -> int:
        blocked = [r for r in reports if r.blocking]
        if blocked:
            raise ValidationError(
                [
                    Problem(
                        f"“{r.candidate.name}”有未确认的错误", row=r.candidate.row, field="name"
                    )
                    for r in blocked
                ],
                title="有不通过的地名，未入库",
            )
        records = [
            NameRecord(
                name_id=f"N{uuid.uuid4().hex[:12]}",
                name=r.candidate.name,
                specific=r.specific,
                generic=r.generic,
                category=r.candidate.category,
                division_code=normalize_code(r.candidate.division_code),
                pinyin=r.candidate.pinyin or r.pinyin or "",
                pinyin_reviewed=bool(r.candidate.pinyin),
                status="proposed",
                source=source,
                geometry=(geometries or {}).get(r.candidate.row or -1),
            )
            for r in reports
        ]
        self.store.upsert_names(records, actor=actor, action="names.import")
        return len(records)

    def get(self, name_id: str) -> NameRecord:
        """The record; :class:`~geociv.errors.NotFoundError` if absent."""
        rec = self.store.get_name(name_id)
        if rec is None:
            raise NotFoundError(f"未找到地名 {name_id}")
        return rec

    def update(self, name_id: str, *, actor: str, **changes: object) -> NameRecord:
        """Change fields of a record (status, pinyin, heritage_level, aliases, geometry, …)."""
        rec = self.get(name_id)
        new_code = changes.get("division_code")
        require(self.store, actor, ("officer",),
                divisions=[rec.division_code, normalize_code(str(new_code)) if new_code else None],
                what="names.update")  # fmt: skip
        if "pinyin" in changes:
            changes.setdefault("pinyin_reviewed", True)
        if "aliases" in changes:
            changes["aliases"] = tuple(changes["aliases"])  # type: ignore[arg-type]
        if changes.get("status") not in (None, *NAME_STATUSES):
            raise ValidationError(Problem(f"未知状态 {changes['status']!r}", field="status"))
        new = replace(rec, **changes)  # type: ignore[arg-type]
        self.store.upsert_names([new], actor=actor, action="names.update")
        return new

    def retire(self, name_id: str, *, actor: str) -> NameRecord:
        """Retire a record (nothing is ever deleted)."""
        return self.update(name_id, actor=actor, status="retired")

    def rename(
        self,
        name_id: str,
        new_name: str,
        *,
        actor: str,
        effective: str | None = None,
        case_id: str | None = None,
        pinyin: str | None = None,
    ) -> NameRecord:
        """Give a record a new standard name; the old one becomes a former name (曾用名) ending
        on ``effective`` (default today)."""
        rec = self.get(name_id)
        require(self.store, actor, ("officer",), divisions=[rec.division_code],
                what="names.rename")  # fmt: skip
        end = effective or date.today().isoformat()
        specific, generic = split_generic(new_name, rec.category)
        spelled = (
            pinyin
            or self.romanizer.spell(
                new_name, specific=specific or None, generic=generic or None, category=rec.category
            ).text
        )
        self.store.add_former_name(
            FormerName(name_id, rec.name, rec.pinyin, None, end, note="更名", case_id=case_id),
            actor=actor,
        )
        return self.update(
            name_id,
            actor=actor,
            name=new_name,
            specific=specific,
            generic=generic,
            pinyin=spelled,
            pinyin_reviewed=bool(pinyin),
        )

    def accept_finding(self, name: str, rule_id: str, *, reason: str, actor: str) -> None:
        """Accept (override) a finding on ``name`` with a reason; audited. Officers only
        (an acceptance is about a name, not a division). A rule the regulations make absolute
        (:func:`~geociv.gazetteer.rules.unconfirmable`: state leaders' names, non-Chinese
        script) is refused whatever the reason."""
        require(self.store, actor, ("officer",), what="names.accept")
        if rule_id not in RULES:
            raise ValidationError(Problem(f"未知规则 {rule_id!r}", field="rule"))
        refused = unconfirmable(rule_id)
        if refused is not None:
            raise ValidationError(refused, title=f"“{name}”的检查结果不能确认")
        if not reason.strip():
            raise ValidationError(Problem("确认检查结果必须填写理由", field="reason"))
        self.store.add_finding_override(name, rule_id, reason=reason.strip(), actor=actor)

    def add_reading(self, word: str, pinyin: str, *, note: str, actor: str) -> None:
        """Add a special reading (word → TONE3 syllables), e.g. ``("泌阳", "bi4 yang2")``.
        Officers only."""
        require(self.store, actor, ("officer",), what="names.reading")
        problems = Romanizer.check_override(word, pinyin)
        if problems:
            raise ValidationError(
                [Problem(p, field="pinyin") for p in problems], title="特殊读音有误"
            )
        self.store.set_pinyin_override(word, pinyin, note=note, actor=actor)

    def add_term(self, list_name: str, term: str, *, note: str = "", actor: str) -> None:
        """Extend a list (``person``, ``leader``, ``foreign``, ``brand``). Officers only."""
        require(self.store, actor, ("officer",), what="names.term")
        if list_name not in LIST_RULES:
            raise ValidationError(
                Problem(f"未知名单 {list_name!r}；可用：{', '.join(LIST_RULES)}", field="list")
            )
        if len(term.strip()) < 2:
            raise ValidationError(Problem("名单词条至少 2 个字", field="term"))
        self.store.add_term(Term(list_name, term.strip(), note), actor=actor)

    # -- the demo: division names become name records ------------------------------------
    def load_division_names(
        self, root: str, *, actor: str, source: str = "国家统计局区划代码"
    ) -> UpsertCounts:
        """Create (or refresh) the name records of ``root`` and every statutory division under it.

        Village and residents' committees (…村民委员会, …社区居民委员会) become their place names
        (…村, …社区), the committee's full name kept as an alias. Pinyin is the rules' spelling,
        not yet reviewed; an existing record's reviewed pinyin is never overwritten.
        """
        divisions = Divisions(self.store)
        root_div = divisions.get(root)
        require(self.store, actor, ("officer",), divisions=[root_div.code],
                what="names.load_divisions")  # fmt: skip
        romanizer = self.romanizer
        records = [
            self._division_record(root_div.code, root_div.name, root_div.level, romanizer, source)
        ]
        for level in ("county", "township", "village"):
            for d in divisions.children(root_div.code, level=level, include_statistical=False):
                records.append(self._division_record(d.code, d.name, level, romanizer, source))
        return self.store.upsert_names(records, actor=actor, action="names.load_divisions")

    def record_for_division(
        self, division: Division, *, pinyin: str | None = None, source: str = "行政区划变更"
    ) -> NameRecord:
        """The name record a division has (``D<code>``): its place name, 专名/通名 and pinyin
        (``pinyin`` given is the reviewed spelling; else the stored reviewed one or the rules').
        Nothing is written."""
        record = self._division_record(
            division.code, division.name, division.level, self.romanizer, source
        )
        if pinyin:
            record = replace(record, pinyin=pinyin, pinyin_reviewed=True)
        return record

    def _division_record(
        self, code: str, official: str, level: str, romanizer: Romanizer, source: str
    ) -> NameRecord:
        category = _LEVEL_CATEGORY[level]
        aliases: tuple[str, ...] = ()
        name = official
        if level == "village":
            name, _generic = committee_to_place_name(official)
            if name != official:
                aliases = (official,)
        specific, generic = split_generic(name, category)
        existing = self.store.get_name(division_name_id(code))
        if existing is not None and existing.pinyin_reviewed:
            pinyin, reviewed = existing.pinyin, True
        else:
            pinyin = romanizer.spell(
                name, specific=specific or None, generic=generic or None, category=category
            ).text
            reviewed = False
        return NameRecord(
            name_id=division_name_id(code),
            name=name,
            specific=specific,
            generic=generic,
            category=category,
            division_code=parent_of(code) or code,
            pinyin=pinyin,
            pinyin_reviewed=reviewed,
            status=existing.status if existing else "published",
            heritage_level=existing.heritage_level if existing else "",
            aliases=aliases,
            source=source,
            represents=code,
            created_at=existing.created_at if existing else "",
        )

    def _known_division(self, code: str) -> None:
        text = normalize_code(code)
        if self.store.get_division(text) is None:
            raise UnknownDivisionError(f"未找到区划代码 {text}")


def category_choices() -> list[tuple[str, str]]:
    """(code, Chinese label) of every category, for forms."""
    return [(c.code, c.label) for c in CATEGORIES.values()]
