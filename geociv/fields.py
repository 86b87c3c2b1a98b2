"""Field values as people give them, checked for every domain: days (``YYYY-MM-DD``, not
after today, not before an earlier step) and codes given as the code or its Chinese label.

Problems name the field; the caller collects them and raises one
:class:`~geociv.errors.ValidationError` listing all of them.

Examples
--------
>>> problems = []
>>> check_day("2026-02-30", "on", problems), problems[0].message
(None, "日期 '2026-02-30' 不存在")
>>> choose("移位", ("intact", "displaced"), {"intact": "完好", "displaced": "移位"},
...        "condition", "界桩状况", [])
'displaced'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from geociv.errors import Problem, ValidationError

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def as_day(value: str | date | None) -> date:
    """``value`` (``YYYY-MM-DD`` or a date; ``None`` for today) as a date; ``ValueError`` if
    it is not a valid ISO day."""
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not _ISO_DAY.match(text):
        raise ValueError(f"日期 {text!r} 应为 YYYY-MM-DD 格式")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"日期 {text!r} 不存在") from None


def day_asked(value: str | date | None, field: str = "today") -> date:
    """:func:`as_day` for a day a caller asks about, a :class:`ValidationError` if invalid."""
    try:
        return as_day(value)
    except ValueError as exc:
        raise ValidationError(Problem(str(exc), field=field)) from None


def check_day(
    value: str | date | None,
    field: str,
    problems: list[Problem],
    *,
    not_before: str | None = None,
    not_before_label: str = "",
    default_today: bool = True,
) -> str | None:
    """Validate a step date: a real ISO day, not after today, not before ``not_before``.

    Appends to ``problems`` and returns ``None`` when invalid; returns the ISO text otherwise
    (``None`` is today when ``default_today``, else stays ``None``).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if not default_today:
            return None
        value = None
    try:
        day = as_day(value)
    except ValueError as exc:
        problems.append(Problem(str(exc), field=field))
        return None
    if day > date.today():
        problems.append(Problem(f"日期 {day.isoformat()} 晚于今天", field=field))
        return None
    if not_before is not None and day < date.fromisoformat(not_before):
        problems.append(
            Problem(f"日期 {day.isoformat()} 早于{not_before_label}日期 {not_before}", field=field)
        )
        return None
    return day.isoformat()


def choose(
    value: str | None,
    codes: tuple[str, ...],
    labels: Mapping[str, str],
    field: str,
    what: str,
    problems: list[Problem],
) -> str | None:
    """The code of ``value`` given as a code or its Chinese label; a problem if unknown."""
    text = (value or "").strip()
    if text in codes:
        return text
    for code, label in labels.items():
        if text == label:
            return code
    allowed = "、".join(labels[c] for c in codes)
    if not text:
        problems.append(Problem(f"请选择{what}；可用：{allowed}", field=field))
    else:
        problems.append(Problem(f"未知的{what}“{text}”；可用：{allowed}", field=field))
    return None
