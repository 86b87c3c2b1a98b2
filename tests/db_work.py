"""How much work a store's database does for a call, on either backend, to assert that work is
bounded (does not grow with the tables) where wall time would be too noisy to test.

- PostgreSQL: the rows every plan node of every statement handled (returned, and removed by
  its filters), as ``auto_explain`` reports them to the session (``EXPLAIN ANALYZE`` of what
  really ran, nested statements included).
- SQLite: the virtual machine's steps (a progress handler called at every instruction).

The two units differ; compare a call's work with the size of the tables it could have read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from geociv.store import Store
from geociv.store.postgis import PostgisStore

_EXPLAIN = {
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_format": "json",
    "auto_explain.log_level": "notice",
    "auto_explain.log_nested_statements": "on",
}


class Work:
    """The work counted so far (``amount``) inside :func:`measured`."""

    def __init__(self) -> None:
        self.amount = 0
        self.plans: list[dict[str, Any]] = []

    def add_plan(self, message: str) -> None:
        plan = json.loads(message[message.index("{") :])["Plan"]
        self.plans.append(plan)
        self.amount += _rows(plan)


def _rows(node: dict[str, Any]) -> int:
    loops = node.get("Actual Loops", 1)
    handled = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
    handled += node.get("Rows Removed by Index Recheck", 0)
    return round(handled * loops) + sum(_rows(child) for child in node.get("Plans", ()))


@contextmanager
def measured(store: Store) -> Iterator[Work]:
    """Count the database's work for what runs on ``store`` (this thread) in the block."""
    work = Work()
    conn = store._conn()  # type: ignore[attr-defined]
    if isinstance(store, PostgisStore):
        conn.execute("LOAD 'auto_explain'")
        for name, value in _EXPLAIN.items():
            conn.execute(f"SET {name} = {value}")

        def notice(diag: Any) -> None:
            if "plan:" in (diag.message_primary or ""):
                work.add_plan(diag.message_primary)

        conn.add_notice_handler(notice)
        try:
            yield work
        finally:
            conn.remove_notice_handler(notice)
            conn.execute("SET auto_explain.log_min_duration = -1")
        return

    def step() -> int:
        work.amount += 1
        return 0

    conn.set_progress_handler(step, 1)
    try:
        yield work
    finally:
        conn.set_progress_handler(None, 1)
