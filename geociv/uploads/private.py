"""Private copies of uploads: a fresh 0700 directory, a name chosen here, content identified.

:func:`receive` copies an upload (a stream, bytes or a file path) into a new private directory,
identifies it by content (:func:`~geociv.uploads.sniff.sniff`), refuses kinds the caller does
not take and names that promise another kind, runs the kind's checks (GeoJSON parse, GeoPackage
inspection, ZIP bounds) and, for a zipped Shapefile, unpacks it. Only that copy is ever opened.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from geociv.errors import InputFileError, Problem
from geociv.uploads import sniff as _sniff
from geociv.uploads.archive import copy_shapefile_parts, extract_shapefile
from geociv.uploads.geojson import check_geojson
from geociv.uploads.gpkg import inspect_geopackage
from geociv.uploads.guard import check_not_protected
from geociv.uploads.limits import MAX_FILE_BYTES, MAX_ZIP_UNCOMPRESSED, MB
from geociv.uploads.tables import check_xlsx

logger = logging.getLogger(__name__)

Source = BinaryIO | bytes | str | Path


@dataclass
class Upload:
    """An identified private copy.

    ``path`` is the copy, named here (the user's stem reduced to letters, digits, ``-`` and
    ``_``, and the extension of what the content is); ``open_path`` is what GDAL opens (for a
    zipped Shapefile, the unpacked ``layer.shp``); ``filename`` is the user's name, for messages
    only."""

    path: Path
    kind: _sniff.Kind
    filename: str
    directory: Path
    layers: list[str] = field(default_factory=list)
    open_path: Path | None = None

    def cleanup(self) -> None:
        """Remove the private directory."""
        shutil.rmtree(self.directory, ignore_errors=True)


def display_name(filename: str | None) -> str:
    """The last part of a user's file name (for messages), never a path."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name if name not in ("", ".", "..") else "上传的文件"


def _refuse(message: str, filename: str, field_name: str) -> InputFileError:
    return InputFileError(Problem(message, field=field_name), title=f"{filename} 无法读取")


def _copy(source: Source, target: Path, filename: str, field_name: str) -> None:
    if isinstance(source, str | Path):
        check_not_protected(Path(source))
        if not Path(source).is_file():
            raise _refuse(f"找不到文件 {source}", filename, field_name)
        size = Path(source).stat().st_size
        if size > MAX_FILE_BYTES:
            raise _refuse(f"文件大小 {size / MB:.0f} MB，超过上限 {MAX_FILE_BYTES // MB} MB",
                          filename, field_name)  # fmt: skip
        with Path(source).open("rb") as src, target.open("xb") as dst:
            shutil.copyfileobj(src, dst, MB)
        return
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > MAX_FILE_BYTES:
            raise _refuse(f"文件超过上限 {MAX_FILE_BYTES // MB} MB", filename, field_name)
        target.write_bytes(bytes(source))
        return
    written = 0
    with target.open("xb") as dst:
        while chunk := source.read(MB):
            written += len(chunk)
            if written > MAX_FILE_BYTES:
                raise _refuse(f"文件超过上限 {MAX_FILE_BYTES // MB} MB", filename, field_name)
            dst.write(chunk)


def receive(
    source: Source,
    *,
    kinds: Iterable[_sniff.Kind],
    filename: str | None = None,
    field_name: str = "file",
) -> Upload:
    """Copy ``source`` into a new private directory and identify it; the caller must call
    :meth:`Upload.cleanup` (or use :func:`private_copy`).

    Raises
    ------
    InputFileError
        Empty, too large, a kind not in ``kinds``, a name that says another kind, or a file
        that fails its kind's checks; the message names the field and says what the file is.
    """
    if filename is None and isinstance(source, str | Path):
        filename = Path(source).name
    name = display_name(filename)
    directory = Path(tempfile.mkdtemp(prefix="geociv-upload-"))
    os.chmod(directory, 0o700)
    try:
        raw = directory / "received"
        _copy(source, raw, name, field_name)
        wanted = list(kinds)
        local_shp = isinstance(source, str | Path) and _sniff.SHAPEFILE_ZIP in wanted
        kind = _identify(raw, wanted + ([_sniff.SHP_MAIN] if local_shp else []), name, field_name)
        path = directory / f"{_safe_stem(name)}{kind.suffix}"
        raw.rename(path)
        upload = Upload(path, kind, name, directory, open_path=path)
        if kind == _sniff.SHP_MAIN:
            upload.kind = _sniff.SHAPEFILE_ZIP
            upload.open_path = copy_shapefile_parts(Path(source), directory / "shp", name)  # type: ignore[arg-type]
            return upload
        _check(upload)
        return upload
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


@contextmanager
def private_copy(
    source: Source,
    *,
    kinds: Iterable[_sniff.Kind],
    filename: str | None = None,
    field_name: str = "file",
) -> Iterator[Upload]:
    """:func:`receive` as a context manager that removes the private copy afterwards."""
    upload = receive(source, kinds=kinds, filename=filename, field_name=field_name)
    try:
        yield upload
    finally:
        upload.cleanup()


def _identify(raw: Path, kinds: list[_sniff.Kind], name: str, field_name: str) -> _sniff.Kind:
    kind = _sniff.sniff(raw)
    accepted = "、".join(k.label for k in kinds)
    if kind not in kinds:
        raise _refuse(f"不支持的文件格式：内容是 {kind.label}，可用 {accepted}", name, field_name)
    suffix = _suffix(name)
    promised = [code for code, suffixes in _sniff.SUFFIXES.items() if suffix in suffixes]
    if suffix in _sniff.REFUSED_SUFFIXES or (promised and kind.code not in promised):
        raise _refuse(
            f"文件名（{suffix}）与内容（{kind.label}）不符，拒绝读取；可用 {accepted}",
            name,
            field_name,
        )
    return kind


def _safe_stem(name: str) -> str:
    """The user's file stem reduced to word characters (CJK included), ``-`` and ``_``."""
    stem = name[: -len(_suffix(name))] if _suffix(name) else name
    if stem.lower().endswith(".osm"):
        stem = stem[:-4]
    cleaned = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("_.")[:60]
    return cleaned or "upload"


def _suffix(name: str) -> str:
    lowered = name.lower()
    return ".pbf" if lowered.endswith(".osm.pbf") else Path(lowered).suffix


def _check(upload: Upload) -> None:
    code = upload.kind.code
    if code == "geojson":
        check_geojson(upload.path, filename=upload.filename)
    elif code == "gpkg":
        upload.layers = inspect_geopackage(upload.path, filename=upload.filename)
    elif code == "shapefile":
        upload.open_path = extract_shapefile(
            upload.path, upload.directory / "shp", filename=upload.filename,
            max_total=MAX_ZIP_UNCOMPRESSED,
        )  # fmt: skip
    elif code in ("xlsx", "docx"):
        check_xlsx(upload.path, filename=upload.filename)
