"""Moving a whole store to another backend or place: ``geociv store copy SRC DST``.

Every table goes across row by row below the domain API (:mod:`geociv.store.tables`): ids,
geometries, blobs, the audit log, users with their password hashes and the settings, with the
row and record id counters moved on so that new ids continue after the copied ones. The copy
goes into an empty store of the same schema version, in one transaction, and is then checked:
each table's rows are counted and digested on both sides the same way; any difference is a
:class:`~geociv.errors.CopyMismatchError`. The source is only read, every table as of the same
moment (a read snapshot): what is written to it during the copy is not copied, so stop the
service first if nothing may be left behind.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.store import open_store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> open_store(folder / "a.gpkg").set_meta("motto", "一", actor="doc")
>>> checks = copy_store(folder / "a.gpkg", folder / "b.gpkg", actor="doc")
>>> [(c.table, c.source_rows, c.ok) for c in checks if c.source_rows]
[('geociv_meta', 1, True), ('audit_log', 1, True)]
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geociv.errors import CopyMismatchError, Problem, SchemaVersionError, ValidationError
from geociv.store import Store, is_server_url, open_store
from geociv.store._sqlite_schema import SCHEMA_VERSION
from geociv.store.tables import TABLES, TableAccess, TableDigest, TableShape, table_digest

log = logging.getLogger(__name__)

#: Rows between two progress reports.
_STEP = 500

#: What the caller shows progress with: given a table and its row count, a context manager
#: giving something with ``update(rows)`` (``click.progressbar`` is one).
Progress = Callable[[str, int], AbstractContextManager[Any]]


@dataclass(frozen=True)
class TableCheck:
    """One table after a copy: rows and SHA-256 of its content on both sides."""

    table: str
    source_rows: int
    copy_rows: int
    source_sha256: str
    copy_sha256: str

    @property
    def ok(self) -> bool:
        """Same rows, same content."""
        return (self.source_rows, self.source_sha256) == (self.copy_rows, self.copy_sha256)


@dataclass(frozen=True)
class _Plan:
    """One table to copy: its shape in the source and in the destination, its row count."""

    source: TableShape
    target: TableShape
    rows: int


class StoreCopy:
    """A checked copy of the store at ``source`` into the empty store at ``target``.

    Opening checks everything that can be checked before a row moves (:meth:`tables` then
    lists what will be copied); :meth:`run` copies and verifies. Close it when done.
    """

    def __init__(self, source: str | Path, target: str | Path) -> None:
        if not is_server_url(source) and not _file_of(source).is_file():
            raise ValidationError(Problem(f"源存储文件不存在：{source}", field="SRC"))
        if _same_place(source, target):
            raise ValidationError(Problem("源存储与目标存储是同一个", field="DST"))
        self.source = open_store(source, upgrade=False)
        self.target: Store | None = None
        try:
            self.target = _open_target(target)
            self._plans = _plan(self.source, self.target)
        except BaseException:
            self.close()
            raise

    @property
    def tables(self) -> list[tuple[str, int]]:
        """``(table, rows)`` in the order they are copied."""
        return [(p.source.name, p.rows) for p in self._plans]

    def run(self, *, actor: str, progress: Progress | None = None) -> list[TableCheck]:
        """Copy every table in one transaction of the destination, then verify each; record
        the copy in the destination's audit log. Raises :class:`CopyMismatchError` (after the
        copy is written, so that it can be looked at) when a table differs."""
        source, target = self.source, self.target
        assert target is not None
        digests: dict[str, TableDigest] = {}
        with source.read_snapshot(), target.transaction():  # type: ignore[attr-defined]
            for plan in self._plans:
                with _bar(progress, plan) as bar:
                    digests[plan.source.name] = _copy_table(source, target, plan, bar.update)
            target.keep_counters(source.row_counters())  # type: ignore[attr-defined]
        target.refresh_statistics()  # type: ignore[attr-defined]
        checks = [_check(target, plan, digests[plan.source.name]) for plan in self._plans]
        bad = [c.table for c in checks if not c.ok]
        if bad:
            raise CopyMismatchError(f"复制后校验不一致的表：{'、'.join(bad)}", checks)
        rows = sum(c.copy_rows for c in checks)
        target.record_event(
            actor=actor, action="store.copy", entity="store", key=target.url,
            note=f"由 {source.url} 复制：{len(checks)} 张表，{rows} 行，行数与校验和一致",
        )  # fmt: skip
        log.info("copied %s to %s: %d tables, %d rows", source.url, target.url, len(checks), rows)
        return checks

    def close(self) -> None:
        """Close both stores."""
        for store in (self.source, self.target):
            if store is not None:
                store.close()


def copy_store(
    source: str | Path, target: str | Path, *, actor: str, progress: Progress | None = None
) -> list[TableCheck]:
    """Copy the store at ``source`` into the empty store at ``target`` (see :class:`StoreCopy`)."""
    copier = StoreCopy(source, target)
    try:
        return copier.run(actor=actor, progress=progress)
    finally:
        copier.close()


def checksums(store: Store) -> dict[str, tuple[int, str]]:
    """``(rows, SHA-256)`` of every table of ``store``, as a copy is verified."""
    shapes = store.table_shapes()  # type: ignore[attr-defined]
    result = {}
    for name in TABLES:
        digest = table_digest(shapes[name], store.iter_rows(shapes[name]))  # type: ignore[attr-defined]
        result[name] = (digest.rows, digest.hexdigest())
    return result


def _file_of(url: str | Path) -> Path:
    """The file of a GeoPackage store given as a path or ``sqlite:///path``."""
    return Path(str(url).removeprefix("sqlite:///"))


def _same_place(source: str | Path, target: str | Path) -> bool:
    if is_server_url(source) or is_server_url(target):
        return str(source) == str(target)
    return _file_of(source).resolve() == _file_of(target).resolve()


def _open_target(target: str | Path) -> Store:
    """The destination store, created at the current schema version when new."""
    store = open_store(target, upgrade=False)
    if store.schema_version == 0:  # a new file or an empty database
        store.close()
        store = open_store(target, upgrade=True)
    return store


def _plan(source: Store, target: Store) -> list[_Plan]:
    """The tables to copy, once the two stores are known to fit (or a refusal)."""
    for store, field in ((source, "SRC"), (target, "DST")):
        if not isinstance(store, TableAccess):
            raise ValidationError(Problem(f"{store.url} 的后端不支持整库复制", field=field))
    versions = (source.schema_version, target.schema_version)
    if versions != (SCHEMA_VERSION, SCHEMA_VERSION):
        raise SchemaVersionError(
            f"结构版本不符：源 {versions[0]}、目标 {versions[1]}，本程序为 {SCHEMA_VERSION}；"
            "先用本版本的 geociv init 升级源存储，目标须为新建或同版本的空存储"
        )
    src, dst = source.table_shapes(), target.table_shapes()
    problems = _shape_problems(src, "SRC") + _shape_problems(dst, "DST")
    problems += [
        Problem(f"表 {name} 的列在两边不同：源 {sorted(src[name].columns)}，"
                f"目标 {sorted(dst[name].columns)}", field="DST")
        for name in TABLES
        if name in src and name in dst and set(src[name].columns) != set(dst[name].columns)
    ]  # fmt: skip
    if problems:
        raise ValidationError(problems, title="无法复制")
    filled = [name for name in TABLES if target.count_rows(name)]
    if filled:
        where = "、".join(filled)
        message = f"目标存储不是空的（{where} 表已有数据）：请复制到新的文件或空数据库"
        raise ValidationError(
            Problem(message, field="DST"),
            title="无法复制",
        )
    return [_Plan(src[name], dst[name], source.count_rows(name)) for name in TABLES]


def _shape_problems(shapes: dict[str, TableShape], field: str) -> list[Problem]:
    """Tables of a store that geociv does not know, and geociv tables it lacks."""
    unknown = sorted(set(shapes) - set(TABLES))
    missing = [name for name in TABLES if name not in shapes]
    problems = []
    if unknown:
        problems.append(Problem(f"存储中有 geociv 不认识的表：{'、'.join(unknown)}", field=field))
    if missing:
        problems.append(Problem(f"存储中缺少 geociv 的表：{'、'.join(missing)}", field=field))
    return problems


def _copy_table(
    source: Any, target: Any, plan: _Plan, advance: Callable[[int], None]
) -> TableDigest:
    """Load the source's rows of one table into the target, digesting them on the way."""
    digest = TableDigest(plan.source)

    def rows() -> Iterator[tuple[Any, ...]]:
        for row in source.iter_rows(plan.source):
            digest.add(row)
            if digest.rows % _STEP == 0:
                advance(_STEP)
            yield row
        advance(digest.rows % _STEP)

    target.load_rows(plan.source, rows())
    return digest


def _check(target: Any, plan: _Plan, source: TableDigest) -> TableCheck:
    """Read one copied table back and compare it with what was read from the source."""
    copied = table_digest(plan.target, target.iter_rows(plan.target))
    return TableCheck(
        plan.source.name, source.rows, copied.rows, source.hexdigest(), copied.hexdigest()
    )


@contextlib.contextmanager
def _bar(progress: Progress | None, plan: _Plan) -> Iterator[Any]:
    """The caller's progress display for one table, or one that shows nothing."""
    if progress is None or not plan.rows:
        yield _Silent()
    else:
        with progress(plan.source.name, plan.rows) as bar:
            yield bar


class _Silent:
    def update(self, rows: int) -> None:
        """Show nothing."""
