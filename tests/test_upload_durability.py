"""Defect 2: acknowledged writes are never lost, whatever was uploaded before them.

For every kind of upload route (and the hostile VRT that pointed GDAL at the live store) a real
app takes the upload, then N acknowledged writes through HTTP; a new app on the same file must
find all N, ``PRAGMA integrity_check`` must be ok, the store's WAL must still be there after the
upload, and no password hash may come back in any answer.
"""

from __future__ import annotations

import gc
import os
import sqlite3
from pathlib import Path

import pytest

from geociv.store import open_store
from tests.data.hostile.make_hostile import vrt_for
from tests.sample_files import osm_pbf
from tests.upload_cases import GOOD, Context, post_file

#: Acknowledged writes after each upload.
N = 20


def _uploads(store: Path) -> dict[str, tuple[str, bytes, str]]:
    """(route, content, file name) for each case: every route's good file and the VRT attack
    on the routes that read GIS files."""
    cases = {route: (route, make(), name) for route, (make, name) in GOOD.items()}
    for route in ("zones", "facilities", "networks", "divisions", "names"):
        cases[f"{route}-vrt"] = (route, vrt_for(store), "store.vrt")
    cases["networks-pbf"] = ("networks", osm_pbf(), "驿城区.osm.pbf")
    cases["zones-vrt-as-geojson"] = ("zones", vrt_for(store), "街道.geojson")
    cases["networks-vrt-as-pbf"] = ("networks", vrt_for(store), "roads.osm.pbf")
    cases["rasters-vrt-as-tif"] = ("rasters", vrt_for(store), "人口.tif")
    return cases


CASES = sorted(_uploads(Path("/placeholder")))
#: Good files that must be taken (the markers file is refused: the demo store has no lines).
ACCEPTED = {"zones", "facilities", "networks", "networks-pbf", "rasters", "divisions", "names",
            "patrol_photos", "case_documents"}  # fmt: skip


def _store_fds(path: Path) -> set[str]:
    """Descriptors of this process open on the store file or its WAL."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target in (str(path), f"{path}-wal"):
            found.add(f"{fd}:{target}")
    return found


@pytest.mark.parametrize("case", CASES)
def test_acknowledged_writes_survive_every_kind_of_upload(gpkg_path: Path, case: str) -> None:
    ctx = Context.make(gpkg_path)
    route, content, filename = _uploads(gpkg_path)[case]
    hashes = [r[0] for r in sqlite3.connect(gpkg_path).execute("SELECT password_hash FROM users")]
    fds_before = _store_fds(gpkg_path)
    response = post_file(ctx, route, content, filename)
    answer = response.get_data(as_text=True)
    assert response.status_code < 500, answer
    if case in ACCEPTED:
        assert response.status_code in (200, 201), answer
        if route == "networks":
            assert response.get_json()["state"] == "done", answer
    elif "vrt" in case:
        assert response.status_code == 400 and "GDAL VRT" in answer, answer
    assert not any(h in answer for h in hashes), "the upload answered with password hashes"
    if route != "networks":  # the network import runs in a job thread with its own connection
        assert _store_fds(gpkg_path) <= fds_before, "something else opened the live store"
    assert Path(f"{gpkg_path}-wal").exists(), "the store's WAL was deleted by the upload"
    _writes_survive(ctx, gpkg_path, hashes)


def test_surveyed_lines_are_read_the_same_way(gpkg_path: Path, tmp_path: Path) -> None:
    """Surveyed lines have no upload route (CLI only): the same reader, in the server's
    process, refuses the VRT and the store keeps every later write."""
    from geociv.boundaries.registry import BoundaryLines
    from geociv.errors import InputFileError

    ctx = Context.make(gpkg_path)
    hashes = [r[0] for r in sqlite3.connect(gpkg_path).execute("SELECT password_hash FROM users")]
    vrt = tmp_path / "界线.geojson"
    vrt.write_bytes(vrt_for(gpkg_path))
    with ctx.app.app_context(), pytest.raises(InputFileError, match="GDAL VRT"):
        BoundaryLines(ctx.app.extensions["geociv_store"]).import_surveyed(vrt, actor="admin1")
    assert Path(f"{gpkg_path}-wal").exists()
    _writes_survive(ctx, gpkg_path, hashes)


def _writes_survive(ctx: Context, gpkg_path: Path, hashes: list[str]) -> None:
    """N acknowledged writes, then a restart on the same file finds them all."""
    officer = ctx.clients["officer1"]
    for i in range(N):
        ack = officer.post("/api/names/terms", json={"list": "brand", "term": f"持久{i:02d}"})
        assert ack.status_code == 200, ack.get_data(as_text=True)
    ctx.app.extensions["geociv_store"].close()
    del ctx
    gc.collect()
    # restart: a new app on the same file
    again = Context.make(gpkg_path)
    again.app.extensions["geociv_store"].close()
    store = open_store(gpkg_path)
    try:
        terms = {t.term for t in store.terms("brand")}
        assert {f"持久{i:02d}" for i in range(N)} <= terms
    finally:
        store.close()
    conn = sqlite3.connect(gpkg_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert all(h not in n for (n,) in conn.execute("SELECT name FROM coverage_zones")
               for h in hashes)  # fmt: skip
    conn.close()
