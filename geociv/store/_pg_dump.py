"""Backups of the PostGIS store with PostgreSQL's own tools: ``pg_dump -Fc`` and ``pg_restore``.

The programs come from Debian's PostgreSQL client (``PATH``, else the newest
``/usr/lib/postgresql/<version>/bin``). The password never goes on a command line, where any
user of the machine can read it: the child gets it as ``PGPASSWORD`` in its environment and the
connection string it is given has none.

A dump holds the geociv tables with their rows, sequences and indexes; PostGIS itself is not
restored from it (the database restored into has the extension, as any geociv database does).
Restoring never drops the tables it replaces: they are moved into a schema of their own
(``geociv_replaced_<time>``), so the previous state stays in the database until an
administrator drops that schema.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geociv.errors import BackendUnavailableError, StoreError
from geociv.store.tables import TABLES

log = logging.getLogger(__name__)

#: The first bytes of a ``pg_dump -Fc`` archive.
DUMP_MAGIC = b"PGDMP"
#: Where Debian puts the PostgreSQL programs of each major version.
_PG_ROOT = Path("/usr/lib/postgresql")
#: Entries of a dump that are PostGIS's, not geociv's (the extension, its comment, the
#: reference systems' table): the database restored into has its own.
_NOT_RESTORED = re.compile(r" (EXTENSION - |COMMENT - EXTENSION |TABLE DATA \S+ spatial_ref_sys )")
#: The server's own tables of a geociv database besides :data:`TABLES`.
_SERVER_TABLES = ("geociv_schema", "id_counters")
_TIMEOUT_S = 3600


def program(name: str) -> str:
    """The path of PostgreSQL client program ``name`` (``pg_dump``, ``pg_restore``)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(_PG_ROOT.glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if versions:
        return str(versions[-1])
    raise BackendUnavailableError(
        f"找不到 PostgreSQL 程序 {name}：请安装 Debian 软件包 postgresql-client"
        "（或把 PostgreSQL 的 bin 目录加入 PATH）"
    )


def _connection(dsn: str) -> tuple[str, dict[str, str]]:
    """The connection string without the password, and the child's environment with it."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items()}), env


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=_TIMEOUT_S, check=False
    )


def dump(dsn: str, path: Path) -> None:
    """Write the database ``dsn`` to the new file ``path`` with ``pg_dump -Fc``."""
    conninfo, env = _connection(dsn)
    done = _run(
        [program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
         f"--file={path}", f"--dbname={conninfo}"],
        env,
    )  # fmt: skip
    if done.returncode:
        Path(path).unlink(missing_ok=True)
        raise StoreError(f"pg_dump 备份失败：{done.stderr.strip()}")


def is_dump(path: Path) -> bool:
    """Whether ``path`` is a ``pg_dump -Fc`` archive."""
    with Path(path).open("rb") as fh:
        return fh.read(len(DUMP_MAGIC)) == DUMP_MAGIC


def check_dump(path: Path) -> tuple[str, int]:
    """``(integrity, schema version)`` of a dump: ``"ok"`` when ``pg_restore`` reads its table
    of contents, else what it said; the version is 0 for a dump without geociv's tables."""
    listed = _run([program("pg_restore"), "--list", str(path)])
    if listed.returncode:
        return listed.stderr.strip() or "pg_restore 无法读取", 0
    data = _run(
        [program("pg_restore"), "--data-only", "--table=geociv_schema", "--file=-", str(path)]
    )
    if data.returncode:
        return data.stderr.strip() or "pg_restore 无法读取", 0
    return "ok", _versions_in(data.stdout)


def _versions_in(script: str) -> int:
    """The highest version in the ``COPY … geociv_schema`` block of a restore script."""
    versions, inside = [], False
    for line in script.splitlines():
        if line.startswith("COPY ") and "geociv_schema" in line:
            inside = True
        elif inside and line == "\\.":
            break
        elif inside and line.split("\t")[0].isdigit():
            versions.append(int(line.split("\t")[0]))
    return max(versions, default=0)


def restore(dsn: str, path: Path) -> str | None:
    """Replace the geociv tables of database ``dsn`` with those of the dump ``path``.

    The tables there now are moved into a new schema first (returned; ``None`` when there were
    none); the dump is restored in one transaction, and if that fails the tables are moved back.
    """
    conninfo, env = _connection(dsn)
    aside = _move_aside(dsn)
    with tempfile.TemporaryDirectory() as folder:
        wanted = Path(folder) / "restore.list"
        listed = _run([program("pg_restore"), "--list", str(path)])
        wanted.write_text(
            "".join(
                line + "\n" for line in listed.stdout.splitlines() if not _NOT_RESTORED.search(line)
            )
        )
        done = _run(
            [program("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
             "--no-privileges", f"--use-list={wanted}", f"--dbname={conninfo}", str(path)],
            env,
        )  # fmt: skip
    if done.returncode:
        if aside:
            _move_back(dsn, aside)
        raise StoreError(f"pg_restore 恢复失败，数据库保持原样：{done.stderr.strip()}")
    return aside


def _tables_here(conn: Any) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchall()
    present = {r[0] for r in rows}
    return [t for t in (*TABLES, *_SERVER_TABLES) if t in present]


def _move_aside(dsn: str) -> str | None:
    """Move the geociv tables into ``geociv_replaced_<time>`` (one transaction)."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        tables = _tables_here(conn)
        if not tables:
            return None
        aside = "geociv_replaced_" + datetime.now(UTC).strftime("%Y%m%dt%H%M%S%fz")
        conn.execute(f'CREATE SCHEMA "{aside}"')
        for table in tables:
            conn.execute(f'ALTER TABLE "{table}" SET SCHEMA "{aside}"')
    log.info("geociv tables of %s moved to schema %s", conninfo_safe(dsn), aside)
    return aside


def _move_back(dsn: str, aside: str) -> None:
    """Undo :func:`_move_aside` after a failed restore."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute(f'SET search_path TO "{aside}"')
        tables = _tables_here(conn)
        conn.execute("RESET search_path")
        for table in tables:
            conn.execute(f'ALTER TABLE "{aside}"."{table}" SET SCHEMA public')
        conn.execute(f'DROP SCHEMA "{aside}"')


def conninfo_safe(dsn: str) -> str:
    """The connection string without its password, for messages and logs."""
    return _connection(dsn)[0]
