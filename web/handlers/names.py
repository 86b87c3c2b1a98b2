"""Name-file checks shared by the page (:mod:`web.blueprints.names`) and the JSON API
(:mod:`web.blueprints.names_api`)."""

from __future__ import annotations

from typing import Any

from flask import request

from geociv.gazetteer.heritage import import_heritage, read_heritage_file
from geociv.gazetteer.importer import read_name_file
from geociv.gazetteer.names import Gazetteer
from geociv.store import NameRecord
from geociv.uploads import NAME_KINDS, TABLE_KINDS
from web._helpers import actor, store
from web._uploads import received


def check_upload(gaz: Gazetteer) -> tuple[list[Any], dict[int, Any], str]:
    """Read the uploaded names file (field ``file``) and check it; returns reports,
    geometries by row and the file name."""
    with received(request.files.get("file"), NAME_KINDS) as upload:
        rows = read_name_file(upload.path)
        filename = upload.filename
    return gaz.check_many(rows.candidates), rows.geometries, filename


def heritage_upload() -> tuple[list[NameRecord], int, str]:
    """Set heritage levels from the uploaded table (field ``file``: CSV or XLSX), all rows or
    none; returns the records changed, the number of rows and the file name."""
    with received(request.files.get("file"), TABLE_KINDS) as upload:
        rows = read_heritage_file(upload.path)
        filename = upload.filename
    return import_heritage(store(), rows, actor=actor()), len(rows), filename
