"""Beijing time for people: the store keeps UTC ISO-8601 strings; whatever a person reads
(pages, CLI output, exports, reports) shows China Standard Time (Asia/Shanghai, UTC+8 all year)
in one of two styles, the same everywhere:

* :func:`cell_time` — table cells, CSV/XLSX cells, GeoPackage attributes: ``2026-12-03 20:15``;
* :func:`text_time` — running text on pages and in reports: ``2026年12月3日 20:15``.

The web registers both as Jinja filters (``beijing_time``, ``beijing_text``); geociv never
imports web, so the functions live here for the CLI and the exports too.

Examples
--------
>>> cell_time("2026-12-03T12:15:40+00:00")
'2026-12-03 20:15'
>>> text_time("2026-12-03T12:15:40+00:00")
'2026年12月3日 20:15'
>>> cell_time("2026-12-31T17:00:00Z"), cell_time(None), cell_time("not a time")
('2027-01-01 01:00', '', 'not a time')
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo


def _beijing_zone() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except (ImportError, LookupError, OSError):  # no time-zone database: China has no DST
        return timezone(timedelta(hours=8), "CST")


#: China Standard Time.
BEIJING: tzinfo = _beijing_zone()


def beijing(value: str | datetime | None) -> datetime | None:
    """``value`` (a UTC ISO-8601 string or a datetime; naive means UTC) in Beijing time;
    ``None`` when empty or not a timestamp."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING)


def cell_time(value: str | datetime | None) -> str:
    """A timestamp for a table or file cell: ``2026-12-03 20:15`` Beijing time (empty for
    ``None``; text that is not a timestamp unchanged)."""
    moment = beijing(value)
    if moment is None:
        return "" if not value else str(value)
    return moment.strftime("%Y-%m-%d %H:%M")


def text_time(value: str | datetime | None) -> str:
    """A timestamp for running text: ``2026年12月3日 20:15`` Beijing time (empty for ``None``;
    text that is not a timestamp unchanged)."""
    moment = beijing(value)
    if moment is None:
        return "" if not value else str(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def now_cell() -> str:
    """The current Beijing time in the cell style (for "generated at" stamps)."""
    return cell_time(datetime.now(UTC))
