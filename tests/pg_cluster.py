"""A throw-away PostgreSQL + PostGIS cluster for the tests (Debian's ``postgresql`` and
``postgresql-15-postgis-3`` packages; ``make postgis`` installs them).

The cluster lives in a temporary folder, listens only on a Unix socket in that folder (no TCP
port to collide with other runs), and runs as an unprivileged user: ``initdb`` and ``postgres``
refuse to run as root, so as root every server command is run through ``runuser`` as the
``postgres`` system user that Debian's package creates. Durability is switched off: nothing in
it outlives the test session.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

#: Where Debian puts the server programs of each major version.
PG_ROOT = Path("/usr/lib/postgresql")
#: The system user that runs the cluster when the tests run as root.
SERVER_USER = "postgres"
#: The database every test database is copied from: it has the PostGIS extension already.
TEMPLATE = "geociv_template"


def server_bin() -> Path | None:
    """The ``bin`` folder of the newest installed PostgreSQL server, or ``None``."""
    found = sorted(PG_ROOT.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def missing_reason() -> str | None:
    """Why no throw-away cluster can be started here (``None`` when one can)."""
    bindir = server_bin()
    if bindir is None:
        return "PostgreSQL server not installed (Debian package postgresql; run `make postgis`)"
    version = bindir.parent.name
    control = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
    if not control.exists():
        return f"PostGIS missing (Debian package postgresql-{version}-postgis-3; `make postgis`)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run the server"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install -e '.[test]')"
    return None


@dataclass
class Cluster:
    """A running throw-away cluster; :meth:`start` makes one, :meth:`stop` removes it."""

    root: Path
    bindir: Path
    port: int = 5432
    _log: Path = field(init=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def dsn(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL of ``database`` through the cluster's socket."""
        host = quote(str(self.socket_dir), safe="")
        return f"postgresql://{SERVER_USER}@/{database}?host={host}&port={self.port}"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self._log.read_text() if self._log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stderr}{done.stdout}\n{log}")

    @classmethod
    def start(cls) -> Cluster:
        """initdb a new cluster in a temporary folder and start it on its socket."""
        bindir = server_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server not installed")
        root = Path(tempfile.mkdtemp(prefix="geociv-pg-"))
        cluster = cls(root=root, bindir=bindir)
        cluster._log = root / "server.log"
        cluster.socket_dir.mkdir()
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            for path in (root, cluster.socket_dir):
                os.chown(path, account.pw_uid, account.pw_gid)
        cluster._run("initdb", "-D", str(cluster.data), "-U", SERVER_USER, "--auth=trust",
                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={cluster.socket_dir} "
            f"-p {cluster.port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        cluster._run("pg_ctl", "-D", str(cluster.data), "-l", str(cluster._log), "-o", options,
                     "-w", "-t", "60", "start")  # fmt: skip
        cluster._make_template()
        return cluster

    def _make_template(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with psycopg.connect(self.dsn(TEMPLATE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")

    def new_database(self, name: str, template: str = TEMPLATE) -> str:
        """Create database ``name`` as a copy of ``template`` (by default an empty database
        with PostGIS); return its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.dsn(name)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
