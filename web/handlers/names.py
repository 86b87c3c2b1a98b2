"""Name-file checks shared by the page (:mod:`web.blueprints.names`) and the JSON API
(:mod:`web.blueprints.names_api`)."""

from __future__ import annotations

from typing import Any

from flask import request

from geociv.gazetteer.importer import read_name_file
from geociv.gazetteer.names import Gazetteer
from geociv.uploads import NAME_KINDS
from web._uploads import received


def check_upload(gaz: Gazetteer) -> tuple[list[Any], dict[int, Any], str]:
    """Read the uploaded names file (field ``file``) and check it; returns reports,
    geometries by row and the file name."""
    with received(request.files.get("file"), NAME_KINDS) as upload:
        rows = read_name_file(upload.path)
        filename = upload.filename
    return gaz.check_many(rows.candidates), rows.geometries, filename
