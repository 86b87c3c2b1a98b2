"""Place-name signs (地名标志) and their patrol inspections (巡检).

A sign shows one name record: its standard characters and its pinyin (DESIGN.md "Names"
rule 8). Signs are points in EPSG:4490 in the ``signs`` layer of the store (QGIS opens it);
they are never deleted, only ``removed``. :meth:`Signs.findings` reports, for every sign not
removed:

* ``N8-SIGN-TEXT`` — the text differs from the record's standard name (saying when it is a
  former name (曾用名) or only traditional characters);
* ``N8-SIGN-PINYIN`` — the pinyin differs from the record's after normalising case and
  whitespace only; the message says when only the tone marks, or only the apostrophe style,
  differ, since a sign must carry the exact spelling; a sign without pinyin is reported too;
* ``N8-SIGN-CONDITION`` — the last patrol found the sign broken (破损) or missing (缺失),
  with that patrol's date; recording such a patrol also marks the sign ``damaged`` in the same
  transaction (a later patrol finding it intact puts it back ``in_service``);
* ``N8-SIGN-PATROL`` — never inspected, or last inspected more than ``patrol_days`` ago.

Examples
--------
>>> import tempfile, pathlib
>>> from shapely import Point
>>> from geociv.store import NameRecord, open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "s.gpkg")
>>> _ = store.upsert_names([NameRecord("N1", "人民路", "人民", "路", "road", "411702",
...                                    pinyin="Rénmín Lù")], actor="doc")
>>> signs = Signs(store)
>>> sign = signs.register("N1", Point(114.02, 32.98), "路牌", "人民路", pinyin="RENMIN LU",
...                       actor="doc", installed_on="2025-05-01")
>>> [f.rule_id for f in signs.findings(today="2026-01-01")]
['N8-SIGN-PINYIN', 'N8-SIGN-PATROL']
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from shapely import Point
from shapely.geometry.base import BaseGeometry

from geociv.authority import require
from geociv.crs import in_china
from geociv.errors import NotFoundError, Problem, ValidationError
from geociv.fields import check_day, choose, day_asked
from geociv.gazetteer.names import Gazetteer
from geociv.gazetteer.rules import RULES, Finding, Rule, to_simplified
from geociv.labels import PATROL_CONDITION_LABELS, SIGN_STATUS_LABELS, SIGN_TYPE_LABELS
from geociv.store import (
    PATROL_CONDITIONS,
    SIGN_STATUSES,
    SIGN_TYPES,
    NameRecord,
    Patrol,
    Sign,
    Store,
)
from geociv.uploads import image_problems

#: Default longest gap between two patrols of a sign (days).
PATROL_DAYS = 365

#: Largest patrol photo accepted (bytes).
MAX_PHOTO_BYTES = 20 * 1024 * 1024

#: A fault found on patrol, kept beside the patrols that raise it and entered in the rule
#: catalogue (:data:`~geociv.gazetteer.rules.RULES`) so that its findings carry their title.
CONDITION_RULE = RULES.setdefault(
    "N8-SIGN-CONDITION",
    Rule("N8-SIGN-CONDITION", "warning", "巡检发现标志破损或缺失", "规则8"),
)

#: Every rule a sign's findings can carry, by id, in the order the sign list shows them.
SIGN_RULES: dict[str, Rule] = {
    "N8-SIGN-TEXT": RULES["N8-SIGN-TEXT"],
    "N8-SIGN-PINYIN": RULES["N8-SIGN-PINYIN"],
    CONDITION_RULE.id: CONDITION_RULE,
    "N8-SIGN-PATROL": RULES["N8-SIGN-PATROL"],
}

#: What a patrol's condition makes of the sign's status when it is the sign's latest patrol
#: (a condition not listed leaves the status as it is).
STATUS_AFTER_PATROL: dict[str, str] = {
    "broken": "damaged",
    "missing": "damaged",
    "intact": "in_service",
}

#: What the sign needs after a fault found on patrol.
_REMEDY = {"broken": "须修复或更换", "missing": "须补设"}

_TONE_MARKS = "\u0300\u0301\u0304\u030c"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "′": "'", "`": "'"})
_SIGN_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.\-]{0,39}$")


def normalise_pinyin(text: str) -> str:
    """Lower case, Unicode NFC, runs of whitespace as one space, trimmed — nothing else.

    >>> normalise_pinyin("  Rénmín   LÙ ")
    'rénmín lù'
    """
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def strip_tones(text: str) -> str:
    """``text`` without tone marks (ü keeps its diaeresis).

    >>> strip_tones("lǜ zhōu")
    'lü zhou'
    """
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))


def pinyin_difference(shown: str, standard: str) -> str | None:
    """How the pinyin on a sign differs from the standard one, in Chinese, or ``None`` if the
    two agree after normalising case and whitespace.

    >>> pinyin_difference("RENMIN LU", "Rénmín Lù")
    '仅声调符号不同（标志缺少或标错声调）'
    >>> pinyin_difference("Xi’an Lu", "Xī'ān Lù") is not None
    True
    """
    a, b = normalise_pinyin(shown), normalise_pinyin(standard)
    if a == b:
        return None
    if not a:
        return "标志没有拼音"
    if a.translate(_APOSTROPHES) == b.translate(_APOSTROPHES):
        return "仅隔音符号写法不同"
    if strip_tones(a) == strip_tones(b):
        return "仅声调符号不同（标志缺少或标错声调）"
    if strip_tones(a).translate(_APOSTROPHES) == strip_tones(b).translate(_APOSTROPHES):
        return "声调符号和隔音符号写法不同"
    if a.replace(" ", "") == b.replace(" ", ""):
        return "分词连写不同"
    return "拼写不同"


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


class Signs:
    """Place-name signs and their patrols, kept in a :class:`~geociv.store.Store`.

    Parameters
    ----------
    store
        Where signs and patrols live.
    gazetteer
        The gazetteer service holding the name records signs show (made on ``store`` if not
        given).
    """

    def __init__(self, store: Store, gazetteer: Gazetteer | None = None) -> None:
        self.store = store
        self.gazetteer = gazetteer or Gazetteer(store)

    # -- reads -----------------------------------------------------------------------------
    def get(self, sign_id: str) -> Sign:
        """The sign; ``LookupError`` if there is none."""
        sign = self.store.get_sign(sign_id.strip())
        if sign is None:
            raise NotFoundError(f"未找到地名标志 {sign_id}")
        return sign

    def query(
        self,
        *,
        name_id: str | None = None,
        status: str | None = None,
        include_removed: bool = True,
    ) -> list[Sign]:
        """Signs, optionally of one name record or status, ordered by sign id."""
        return self.store.query_signs(
            name_id=name_id, status=status, include_removed=include_removed
        )

    def patrols(self, sign_id: str | None = None, *, with_photo: bool = False) -> list[Patrol]:
        """Patrols of one sign (or all), oldest first."""
        return self.store.patrols(sign_id, with_photo=with_photo)

    # -- writes ----------------------------------------------------------------------------
    def register(
        self,
        name_id: str,
        location: BaseGeometry,
        sign_type: str,
        text: str,
        *,
        actor: str,
        pinyin: str = "",
        installed_on: str | date | None = None,
        installer: str = "",
        status: str = "in_service",
        remarks: str = "",
        sign_id: str = "",
    ) -> Sign:
        """Register a sign.

        Parameters
        ----------
        name_id
            The name record the sign shows.
        location
            A shapely ``Point`` (lon, lat) in EPSG:4490.
        sign_type
            ``road`` (路牌), ``house_number`` (门牌), ``village`` (村牌), ``natural``
            (自然实体标志) or ``other`` (其他) — code or Chinese label.
        text, pinyin
            The characters and the pinyin the sign actually shows.
        installed_on
            Installation date ``YYYY-MM-DD`` (optional; not after today).
        installer
            Installing unit or person.
        status
            ``in_service`` (在用), ``damaged`` (损坏) or ``removed`` (已拆除).
        sign_id
            The sign's number; assigned (``S000001`` …) when empty.

        Raises
        ------
        ValidationError
            Listing every problem (unknown or retired name record, bad location, unknown type
            or status, empty text, bad date, a taken sign id); nothing is stored.
        """
        problems: list[Problem] = []
        self._check_record(name_id, problems)
        self._check_location(location, problems)
        type_code = choose(
            sign_type, SIGN_TYPES, SIGN_TYPE_LABELS, "sign_type", "标志类型", problems
        )
        status_code = choose(
            status, SIGN_STATUSES, SIGN_STATUS_LABELS, "status", "标志状态", problems
        )
        shown = (text or "").strip()
        if not shown:
            problems.append(Problem("标志汉字不能为空", field="text"))
        installed = check_day(installed_on, "installed_on", problems, default_today=False)
        wanted_id = (sign_id or "").strip()
        if wanted_id:
            if not _SIGN_ID.match(wanted_id):
                problems.append(
                    Problem(
                        f"标志编号 {wanted_id!r} 只能含字母、数字、点、横线和下划线（至多 40 个）",
                        field="sign_id",
                    )
                )
            elif self.store.get_sign(wanted_id) is not None:
                problems.append(Problem(f"标志编号 {wanted_id} 已存在", field="sign_id"))
        if problems:
            raise ValidationError(problems, title="地名标志登记有误")
        assert type_code and status_code
        self._require(actor, [name_id], "signs.add")
        sign = Sign(
            sign_id=wanted_id,
            name_id=name_id.strip(),
            sign_type=type_code,
            text=shown,
            pinyin=" ".join((pinyin or "").split()),
            location=location,
            installed_on=installed,
            status=status_code,
            installer=(installer or "").strip(),
            remarks=(remarks or "").strip(),
        )
        return self.store.add_sign(sign, actor=actor)

    def update(self, sign_id: str, *, actor: str, **changes: object) -> Sign:
        """Change fields of a sign (``name_id``, ``sign_type``, ``text``, ``pinyin``,
        ``location``, ``installed_on``, ``status``, ``installer``, ``remarks``), validated
        like :meth:`register`; every problem is reported at once."""
        sign = self.get(sign_id)
        problems: list[Problem] = []
        clean: dict[str, object] = {}
        for key, value in changes.items():
            if key == "name_id":
                if self._check_record(str(value or ""), problems) is not None:
                    clean[key] = str(value).strip()
            elif key == "location":
                if self._check_location(value, problems):
                    clean[key] = value
            elif key == "sign_type":
                code = choose(
                    str(value or ""), SIGN_TYPES, SIGN_TYPE_LABELS, key, "标志类型", problems
                )
                clean[key] = code
            elif key == "status":
                code = choose(
                    str(value or ""), SIGN_STATUSES, SIGN_STATUS_LABELS, key, "标志状态", problems
                )
                clean[key] = code
            elif key == "text":
                shown = str(value or "").strip()
                if not shown:
                    problems.append(Problem("标志汉字不能为空", field="text"))
                clean[key] = shown
            elif key == "pinyin":
                clean[key] = " ".join(str(value or "").split())
            elif key == "installed_on":
                day = value if value is None or isinstance(value, date) else str(value)
                clean[key] = check_day(day, key, problems, default_today=False)
            elif key in ("installer", "remarks"):
                clean[key] = str(value or "").strip()
            else:
                problems.append(Problem(f"地名标志没有字段 {key!r}", field=key))
        if problems:
            raise ValidationError(problems, title=f"地名标志 {sign.sign_id} 修改有误")
        self._require(actor, [sign.name_id, str(clean.get("name_id") or "")], "signs.update")
        return self.store.update_sign(sign.sign_id, actor=actor, **clean)

    def set_status(self, sign_id: str, status: str, *, actor: str, remarks: str = "") -> Sign:
        """Mark a sign in service, damaged or removed (signs are never deleted)."""
        changes: dict[str, object] = {"status": status}
        if remarks.strip():
            changes["remarks"] = remarks
        return self.update(sign_id, actor=actor, **changes)

    def patrol(
        self,
        sign_id: str,
        condition: str,
        *,
        actor: str,
        on: str | date | None = None,
        inspector: str | None = None,
        remarks: str = "",
        photo: bytes | None = None,
        photo_filename: str = "",
    ) -> Patrol:
        """Record a patrol inspection (巡检) of a sign.

        A patrol that is the sign's latest and finds it broken or missing marks the sign
        ``damaged``; one finding it intact puts a damaged sign back ``in_service`` — in the
        same transaction as the patrol, audited (see :data:`STATUS_AFTER_PATROL`).

        Parameters
        ----------
        condition
            ``intact`` (完好), ``soiled`` (污损), ``broken`` (破损), ``missing`` (缺失) or
            ``obscured`` (被遮挡) — code or Chinese label.
        actor
            The user recording the patrol; also the inspector unless ``inspector`` is given
            (a paper form entered by someone else).
        on
            Patrol date (default today; not after today, not before installation).
        photo, photo_filename
            An optional photo and its file name (both or neither).

        Raises
        ------
        ValidationError
            Listing every problem (unknown or removed sign, unknown condition, bad date,
            photo without name or the reverse); nothing is stored.
        """
        problems: list[Problem] = []
        sign = self.store.get_sign((sign_id or "").strip())
        if sign is None:
            problems.append(Problem(f"未找到地名标志 {sign_id}", field="sign_id"))
        elif sign.status == "removed":
            problems.append(Problem(f"地名标志 {sign.sign_id} 已拆除，不能巡检", field="sign_id"))
        code = choose(
            condition, PATROL_CONDITIONS, PATROL_CONDITION_LABELS, "condition", "标志状况", problems
        )
        installed = sign.installed_on if sign is not None else None
        day = check_day(on, "on", problems, not_before=installed, not_before_label="设置")
        filename = (photo_filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
        if photo is not None:
            problems.extend(image_problems(photo, field="photo"))  # JPEG/PNG/WebP by content
            if not filename:
                problems.append(Problem("有照片时须填写照片文件名", field="photo_filename"))
        elif filename:
            problems.append(Problem("填写了照片文件名但没有照片内容", field="photo"))
        who = (inspector or actor or "").strip()
        if not who:
            problems.append(Problem("巡检人不能为空", field="inspector"))
        if problems:
            raise ValidationError(problems, title="巡检记录有误")
        assert sign is not None and code is not None and day is not None
        self._require(actor, [sign.name_id], "signs.patrol")
        latest = max((p.patrolled_on for p in self.store.patrols(sign.sign_id)), default="")
        status = STATUS_AFTER_PATROL.get(code) if day >= latest else None
        return self.store.add_patrol(
            Patrol(
                sign_id=sign.sign_id,
                patrolled_on=day,
                condition=code,
                inspector=who,
                remarks=(remarks or "").strip(),
                photo=None if photo is None else bytes(photo),
                photo_filename=filename,
            ),
            actor=actor,
            status=status,
        )

    # -- rule 8 ----------------------------------------------------------------------------
    def findings(
        self,
        today: str | date | None = None,
        patrol_days: int = PATROL_DAYS,
        *,
        sign_id: str | None = None,
    ) -> list[Finding]:
        """Findings on every sign not removed (or on the sign ``sign_id`` only), ordered by
        sign id.

        Each finding's message names the sign and its name record; ``related`` is
        ``(sign_id, name_id)``.

        Parameters
        ----------
        today
            The day to measure patrol gaps to (default today).
        patrol_days
            Longest accepted gap since the last patrol, in days.
        sign_id
            Look at this sign only (the cost of one sign, not of all of them).
        """
        if patrol_days < 0:
            raise ValidationError(Problem("巡检周期不能为负", field="patrol_days"))
        end = day_asked(today)
        signs, patrols = self._signs_and_patrols(sign_id)
        last: dict[str, Patrol] = {}
        for p in patrols:  # oldest first: the last one seen is the latest
            last[p.sign_id] = p
        records: dict[str, NameRecord | None] = {}
        out: list[Finding] = []
        for sign in signs:
            if sign.name_id not in records:
                records[sign.name_id] = self.store.get_name(sign.name_id)
            record = records[sign.name_id]
            related = (sign.sign_id, sign.name_id)
            if record is None:  # cannot happen through this service; reported, not hidden
                subject = f"标志 {sign.sign_id}（地名记录 {sign.name_id}）"
                out.append(
                    _finding("N8-SIGN-TEXT", f"{subject}：地名记录不存在", "name_id", related)
                )
                continue
            subject = f"标志 {sign.sign_id}（地名记录 {record.name_id}“{record.name}”）"
            text = self._text_problem(sign, record)
            if text:
                out.append(_finding("N8-SIGN-TEXT", f"{subject}：{text}", "text", related))
            if record.pinyin:
                diff = pinyin_difference(sign.pinyin, record.pinyin)
                if diff:
                    message = (
                        f"{subject}：{diff}——标志为“{sign.pinyin}”，标准拼音为“{record.pinyin}”"
                        if sign.pinyin
                        else f"{subject}：{diff}，标准拼音为“{record.pinyin}”"
                    )
                    out.append(_finding("N8-SIGN-PINYIN", message, "pinyin", related))
            out.extend(_patrol_findings(subject, last.get(sign.sign_id), end, patrol_days, related))
        return out

    # -- helpers ---------------------------------------------------------------------------
    def _signs_and_patrols(self, sign_id: str | None) -> tuple[list[Sign], list[Patrol]]:
        """The signs not removed and their patrols: all, or those of ``sign_id``."""
        if sign_id is None:
            return self.store.query_signs(include_removed=False), self.store.patrols()
        sign = self.store.get_sign(sign_id)
        if sign is None or sign.status == "removed":
            return [], []
        return [sign], self.store.patrols(sign_id)

    def _text_problem(self, sign: Sign, record: NameRecord) -> str | None:
        shown, standard = _compact(sign.text), _compact(record.name)
        if shown == standard:
            if record.status == "retired":
                return f"所示地名“{record.name}”已停用"
            return None
        base = f"标志汉字“{sign.text}”与标准地名“{record.name}”不一致"
        former = [f for f in self.store.former_names(record.name_id) if _compact(f.name) == shown]
        if former:
            until = f"（至 {former[-1].valid_to}）" if former[-1].valid_to else ""
            return f"{base}：标志仍为曾用名{until}"
        if shown.translate(to_simplified()) == standard:
            return f"{base}：标志使用了繁体字"
        return base

    def _require(self, actor: str, name_ids: list[str], what: str) -> None:
        """Signs are written by officers whose jurisdiction holds the division of the name
        record the sign shows."""
        codes = []
        for key in name_ids:
            record = self.store.get_name(key.strip()) if key and key.strip() else None
            if record is not None:
                codes.append(record.division_code)
        require(self.store, actor, ("officer",), divisions=codes, field="name_id", what=what)

    def _check_record(self, name_id: str | None, problems: list[Problem]) -> NameRecord | None:
        key = (name_id or "").strip()
        if not key:
            problems.append(Problem("须指定标志所示的地名记录 name_id", field="name_id"))
            return None
        record = self.store.get_name(key)
        if record is None:
            problems.append(Problem(f"未找到地名记录 {key}", field="name_id"))
            return None
        if record.status == "retired":
            problems.append(Problem(f"地名 {record.name}（{key}）已停用", field="name_id"))
            return None
        return record

    @staticmethod
    def _check_location(location: object, problems: list[Problem]) -> bool:
        if not isinstance(location, Point) or location.is_empty:
            problems.append(Problem("位置应为一个点（经度、纬度，EPSG:4490）", field="location"))
            return False
        if location.has_z:
            problems.append(Problem("位置应为二维点（不含高程）", field="location"))
            return False
        if not bool(in_china(location.x, location.y)):
            problems.append(
                Problem(
                    f"位置（{location.x}, {location.y}）不在中国境内；请检查经纬度是否颠倒",
                    field="location",
                )
            )
            return False
        return True


def _patrol_findings(
    subject: str, latest: Patrol | None, end: date, patrol_days: int, related: tuple[str, ...]
) -> list[Finding]:
    """The findings of a sign's latest patrol: a fault it found, a patrol overdue."""
    if latest is None:
        return [_finding("N8-SIGN-PATROL", f"{subject}：从未巡检", "patrol", related)]
    out = []
    fault = _fault(latest)
    if fault:
        out.append(_finding(CONDITION_RULE.id, f"{subject}：{fault}", "patrol", related))
    seen = latest.patrolled_on
    days = (end - date.fromisoformat(seen)).days
    if days > patrol_days:
        message = (
            f"{subject}：上次巡检于 {seen}，至 {end.isoformat()} 已 {days} 天，"
            f"超过巡检周期 {patrol_days} 天"
        )
        out.append(_finding("N8-SIGN-PATROL", message, "patrol", related))
    return out


def _fault(patrol: Patrol) -> str | None:
    """What a patrol found wrong with the sign, with its date, or ``None``."""
    remedy = _REMEDY.get(patrol.condition)
    if remedy is None:
        return None
    label = PATROL_CONDITION_LABELS[patrol.condition]
    note = f"：{patrol.remarks}" if patrol.remarks else ""
    return f"{patrol.patrolled_on} 巡检发现标志{label}（巡检人 {patrol.inspector}{note}），{remedy}"


def _finding(rule_id: str, message: str, field: str, related: tuple[str, ...]) -> Finding:
    rule = RULES[rule_id]
    return Finding(rule_id, rule.severity, message, field, related)
