"""ZIP members, checked before anything is unpacked: count, sizes, ratio, names, links."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from geociv.errors import InputFileError, Problem
from geociv.uploads.limits import MAX_ZIP_MEMBERS, MAX_ZIP_RATIO, MAX_ZIP_UNCOMPRESSED, MB


def _refuse(message: str, filename: str) -> InputFileError:
    return InputFileError(Problem(message, field="file"), title=f"{filename} 无法读取")


def checked_members(
    path: Path, *, filename: str, max_total: int, max_members: int = MAX_ZIP_MEMBERS
) -> list[zipfile.ZipInfo]:
    """The members of the ZIP at ``path`` after checking, from the central directory only
    (nothing is inflated): member count, total uncompressed size, compression ratio, absolute
    or ``..`` names, symbolic links.

    Raises
    ------
    InputFileError
        Naming the bound or the member that breaks it (field ``file``).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(f"ZIP 文件已损坏（{exc}）", filename) from exc
    if len(infos) > max_members:
        raise _refuse(f"压缩包有 {len(infos)} 个成员，超过上限 {max_members} 个", filename)
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise _refuse(f"压缩包成员 {name!r} 的路径指向包外，拒绝解压", filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(f"压缩包成员 {name!r} 是符号链接，拒绝解压", filename)
        total += info.file_size
        if total > max_total:
            raise _refuse(f"压缩包解压后超过 {max_total // MB} MB 的上限（解压大小上限）", filename)
        if info.file_size > MB and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise _refuse(
                f"压缩包成员 {name!r} 的压缩比超过 {MAX_ZIP_RATIO}:1 的上限（疑似压缩炸弹）",
                filename,
            )
    return infos


def extract_shapefile(path: Path, directory: Path, *, filename: str, max_total: int) -> Path:
    """Unpack the one Shapefile of a checked ZIP into ``directory`` under names chosen here
    (``layer.shp``, ``layer.dbf`` …) and return the ``.shp``; each member is read with a byte
    budget, whatever its header claims."""
    infos = [i for i in checked_members(path, filename=filename, max_total=max_total)
             if not i.is_dir()]  # fmt: skip
    shps = [i for i in infos if PurePosixPath(i.filename).suffix.lower() == ".shp"]
    if len(shps) != 1:
        raise _refuse(f"压缩包中应恰有一个 .shp 文件，实际有 {len(shps)} 个", filename)
    stem = PurePosixPath(shps[0].filename).with_suffix("")
    directory.mkdir(mode=0o700)
    budget = max_total
    with zipfile.ZipFile(path) as archive:
        for info in infos:
            member = PurePosixPath(info.filename)
            suffix = member.suffix.lower()
            if member.with_suffix("") != stem or suffix not in (".shp", ".shx", ".dbf", ".prj",
                                                                ".cpg"):  # fmt: skip
                continue
            target = directory / f"layer{suffix}"
            with archive.open(info) as src, target.open("xb") as dst:
                while chunk := src.read(MB):
                    budget -= len(chunk)
                    if budget < 0:
                        raise _refuse(f"压缩包解压后超过 {max_total // MB} MB 的上限", filename)
                    dst.write(chunk)
    return _checked_parts(directory, filename)


def copy_shapefile_parts(shp: Path, directory: Path, filename: str) -> Path:
    """Copy a local Shapefile (``shp`` and its ``.shx .dbf .prj .cpg`` beside it) into
    ``directory`` as ``layer.*`` and return the copied ``.shp`` (CLI imports)."""
    directory.mkdir(mode=0o700)
    total = 0
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        part = next((p for p in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper()))
                     if p.is_file()), None)  # fmt: skip
        if part is None:
            continue
        total += part.stat().st_size
        if total > MAX_ZIP_UNCOMPRESSED:
            raise _refuse(f"Shapefile 超过 {MAX_ZIP_UNCOMPRESSED // MB} MB 的上限", filename)
        shutil.copyfile(part, directory / f"layer{suffix}")
    return _checked_parts(directory, filename)


def _checked_parts(directory: Path, filename: str) -> Path:
    shp = directory / "layer.shp"
    for suffix in (".shp", ".shx"):
        part = directory / f"layer{suffix}"
        if not part.exists() or _head(part) != b"\x00\x00\x27\x0a":
            raise _refuse(f"压缩包中的 {suffix} 不是有效的 Shapefile（文件头不对）", filename)
    if not (directory / "layer.dbf").exists():
        raise _refuse("压缩包中缺少 Shapefile 的 .dbf 属性表", filename)
    return shp


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(4)
