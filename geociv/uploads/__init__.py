"""Uploaded files are hostile until proven otherwise: the one way geociv reads them.

Every file reader (web upload or CLI import) goes through this package:

1. :func:`receive` / :func:`private_copy` copy the file into a fresh 0700 directory under a
   name chosen here, identify it **by content** (:mod:`~geociv.uploads.sniff`) against the
   kinds the caller takes, refuse a name that promises another kind, and run the kind's checks
   before any parser: GeoJSON parsed in Python (UTF-8, type, finite numbers, feature count),
   GeoPackage inspected read-only (:mod:`~geociv.uploads.gpkg`), ZIP members bounded
   (:mod:`~geociv.uploads.archive`), XLSX parts checked.
2. :func:`read_vector` hands GDAL only that private copy, with the one driver of its kind and
   network and ``/vsi`` tricks off (:mod:`~geociv.uploads.fence`); :func:`read_table` reads CSV
   and XLSX with bounds (:mod:`~geociv.uploads.tables`).
3. Live store files are registered (:func:`~geociv.uploads.guard.protect`) and never opened.

All bounds are in :mod:`~geociv.uploads.limits`. Photos and case documents are checked by
:mod:`~geociv.uploads.media`.

Examples
--------
>>> from geociv.uploads import VECTOR_KINDS
>>> [k.code for k in VECTOR_KINDS]
['geojson', 'gpkg', 'shapefile']
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from geociv.errors import InputFileError, Problem
from geociv.uploads import sniff as _sniff
from geociv.uploads import sniff as sniff_module  # noqa: F401  (kinds by name)
from geociv.uploads.guard import protect
from geociv.uploads.limits import MAX_FEATURES
from geociv.uploads.media import document_problems, image_problems, thumbnail
from geociv.uploads.private import Source, Upload, display_name, private_copy, receive
from geociv.uploads.sniff import Kind, sniff

logger = logging.getLogger(__name__)

#: Vector layers (zones, divisions, surveyed lines, roads).
VECTOR_KINDS: tuple[Kind, ...] = (_sniff.GEOJSON, _sniff.GPKG, _sniff.SHAPEFILE_ZIP)
#: Tables (markers).
TABLE_KINDS: tuple[Kind, ...] = (_sniff.CSV, _sniff.XLSX)
#: Names files: tables or vector layers with a geometry per name.
NAME_KINDS: tuple[Kind, ...] = (_sniff.CSV, _sniff.XLSX, _sniff.GEOJSON, _sniff.GPKG)
#: Facility files: tables (with coordinates) or point layers.
FACILITY_KINDS: tuple[Kind, ...] = TABLE_KINDS + VECTOR_KINDS
#: Road networks: an OSM PBF or a roads layer.
NETWORK_KINDS: tuple[Kind, ...] = (_sniff.OSM_PBF, *VECTOR_KINDS)
#: Population rasters.
RASTER_KINDS: tuple[Kind, ...] = (_sniff.GEOTIFF,)
#: Division polygons (as documented for the division import).
DIVISION_KINDS: tuple[Kind, ...] = (_sniff.GEOJSON, _sniff.GPKG)

__all__ = [
    "DIVISION_KINDS",
    "FACILITY_KINDS",
    "NAME_KINDS",
    "NETWORK_KINDS",
    "RASTER_KINDS",
    "TABLE_KINDS",
    "VECTOR_KINDS",
    "Kind",
    "Source",
    "Upload",
    "display_name",
    "document_problems",
    "image_problems",
    "kind_of",
    "private_copy",
    "protect",
    "raster_bytes",
    "read_table",
    "read_upload_vector",
    "read_vector",
    "receive",
    "sniff",
    "thumbnail",
]  # fmt: skip


def read_vector(
    source: Source,
    *,
    kinds: Iterable[Kind] = VECTOR_KINDS,
    filename: str | None = None,
    layer: str | None = None,
) -> Any:
    """A GeoDataFrame from a vector file, read from a checked private copy with GDAL fenced in.

    Parameters
    ----------
    source : path, bytes or binary stream
        The file (never opened by GDAL itself: only its private copy is).
    kinds : iterable of Kind
        What the caller takes (default GeoJSON, GeoPackage, zipped Shapefile).
    filename : str, optional
        The user's file name, for messages (default the path's name).
    layer : str, optional
        Layer of a GeoPackage.

    Raises
    ------
    InputFileError
        The file is not an accepted kind by content, fails its checks, or GDAL cannot read it.
    """
    with private_copy(source, kinds=kinds, filename=filename) as upload:
        return read_upload_vector(upload, layer=layer)


def read_upload_vector(upload: Upload, *, layer: str | None = None) -> Any:
    """Read an identified vector :class:`Upload` (see :func:`read_vector`)."""
    from geociv.uploads.fence import DRIVER_PREFIX, read_dataframe

    if upload.kind.code not in DRIVER_PREFIX:
        raise InputFileError(
            Problem(f"{upload.kind.label} 不是矢量图层文件", field="file"),
            title=f"{upload.filename} 无法读取",
        )
    if layer is not None and upload.kind.code == "gpkg" and layer not in upload.layers:
        raise InputFileError(
            Problem(
                f"GeoPackage 中没有图层 {layer}（有：{'、'.join(upload.layers)}）", field="layer"
            ),
            title=f"{upload.filename} 无法读取",
        )
    try:
        frame = read_dataframe(upload.open_path or upload.path, upload.kind.code, layer=layer)
    except Exception as exc:  # GDAL reports broken files with many exception types
        message = str(exc).replace(str(upload.directory), "")
        raise InputFileError(
            Problem(
                f"不是可读的矢量数据文件（{type(exc).__name__}: {message[:200]}）", field="file"
            ),
            title=f"{upload.filename} 无法读取",
        ) from exc
    if len(frame) > MAX_FEATURES:
        raise InputFileError(
            Problem(f"有 {len(frame):,} 个要素，超过上限 {MAX_FEATURES:,} 个", field="file"),
            title=f"{upload.filename} 无法读取",
        )
    return frame


def read_table(
    source: Source, *, kinds: Iterable[Kind] = TABLE_KINDS, filename: str | None = None
) -> list[list[str]]:
    """Rows (header first) of a CSV (UTF-8 or GBK) or of an XLSX's first sheet, bounded.

    Raises
    ------
    InputFileError
        Not an accepted kind by content, over a bound, or unreadable.
    """
    from geociv.uploads.tables import read_csv, read_xlsx

    with private_copy(source, kinds=kinds, filename=filename) as upload:
        if upload.kind.code == "xlsx":
            return read_xlsx(upload.path, filename=upload.filename)
        return read_csv(upload.path, filename=upload.filename)


def kind_of(source: str | Path, *, kinds: Iterable[Kind], filename: str | None = None) -> Kind:
    """The kind of a file by content, refusing kinds not in ``kinds`` (see :func:`receive`)."""
    with private_copy(source, kinds=kinds, filename=filename) as upload:
        return upload.kind


def raster_bytes(source: Source, *, filename: str | None = None) -> bytes:
    """The bytes of a GeoTIFF, identified by content from a private copy."""
    with private_copy(source, kinds=RASTER_KINDS, filename=filename) as upload:
        return Path(upload.path).read_bytes()
