"""The throw-away PostgreSQL + PostGIS cluster the server-backend tests run on."""

from __future__ import annotations

import os
import pwd

import pytest

pytestmark = pytest.mark.postgis


def test_cluster_runs_postgis_as_an_unprivileged_user(pg_cluster, pg_dsn):
    import psycopg

    with psycopg.connect(pg_dsn) as conn:
        version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        srid = conn.execute(
            "SELECT auth_name, auth_srid FROM spatial_ref_sys WHERE srid = 4490"
        ).fetchone()
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        # the server process serving this connection, while it is open (it ends with it)
        owner = os.stat(f"/proc/{pid}").st_uid
    assert version.startswith("3.")
    assert srid == ("EPSG", 4490)  # CGCS2000, the storage CRS, is known to PostGIS
    assert owner != 0
    if os.geteuid() == 0:
        assert pwd.getpwuid(owner).pw_name == "postgres"
    assert str(pg_cluster.root) in pg_dsn.replace("%2F", "/")  # only a socket in its own folder


def test_each_test_gets_a_new_empty_database(pg_dsn):
    import psycopg

    with psycopg.connect(pg_dsn) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'"
        ).fetchone()[0]
    assert tables == 0


def test_a_stopped_cluster_leaves_nothing_behind():
    from tests.pg_cluster import Cluster, missing_reason

    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    cluster = Cluster.start()
    root = cluster.root
    assert (cluster.data / "postmaster.pid").exists()
    cluster.stop()
    assert not root.exists()
