"""What a file is, judged by its bytes (never by its name).

:func:`sniff` looks at the first bytes of a file (and, for ZIP, XML and JSON, a little further)
and returns a :class:`Kind`: one of the formats geociv reads (GeoJSON, GeoPackage, zipped
Shapefile, CSV, XLSX, KML, GPX, GeoTIFF, OSM PBF, images, documents) or a labelled format it
refuses (GDAL VRT, HTML, SVG, executables …), so that the refusal can say what the file was.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

#: Bytes read from the start of a file to judge it.
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Kind:
    """A file format: its code, its Chinese label and the extension of a private copy."""

    code: str
    label: str
    suffix: str = ""


GEOJSON = Kind("geojson", "GeoJSON", ".geojson")
GPKG = Kind("gpkg", "GeoPackage", ".gpkg")
SHAPEFILE_ZIP = Kind("shapefile", "zip 压缩的 Shapefile", ".zip")
CSV = Kind("csv", "CSV（文本）", ".csv")
XLSX = Kind("xlsx", "Excel 工作簿（XLSX）", ".xlsx")
KML = Kind("kml", "KML", ".kml")
GPX = Kind("gpx", "GPX", ".gpx")
GEOTIFF = Kind("geotiff", "GeoTIFF", ".tif")
OSM_PBF = Kind("osm_pbf", "OSM PBF", ".osm.pbf")
JPEG = Kind("jpeg", "JPEG 图片", ".jpg")
PNG = Kind("png", "PNG 图片", ".png")
WEBP = Kind("webp", "WebP 图片", ".webp")
PDF = Kind("pdf", "PDF", ".pdf")
DOCX = Kind("docx", "Word 文档（DOCX）", ".docx")
TEXT = Kind("text", "纯文本", ".txt")

#: The main file of an unzipped Shapefile: read from a local path (CLI) with its sidecars;
#: an upload must be the zipped set.
SHP_MAIN = Kind("shp", "单独的 Shapefile 主文件（.shp；请连同 .dbf 等压缩为 zip 上传）", ".shp")

# Formats recognised only to be refused by name.
VRT = Kind("vrt", "GDAL VRT（XML）")
XML = Kind("xml", "XML")
XML_DOCTYPE = Kind("xml_doctype", "带 DOCTYPE/ENTITY 声明的 XML")
HTML = Kind("html", "HTML 网页")
SVG = Kind("svg", "SVG 图形")
JSON = Kind("json", "JSON（不是 GeoJSON）")
ZIP = Kind("zip", "ZIP 压缩包")
SQLITE = Kind("sqlite", "SQLite 数据库（不是 GeoPackage）")
GIF = Kind("gif", "GIF 图片")
TIFF = Kind("tiff", "TIFF")
EXECUTABLE = Kind("executable", "可执行程序")
OLE = Kind("ole", "旧版 Office 文件（XLS/DOC）")
EMPTY = Kind("empty", "空文件")
BINARY = Kind("binary", "未知的二进制数据（不是 UTF-8 或 GBK 编码的文本）")
UNKNOWN_TEXT = Kind(
    "unknown_text", "无法识别编码的数据（既不是 UTF-8 也不是 GBK/GB18030 编码的文本）"
)

#: Extensions a file name may carry, by the kind they promise.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "geojson": (".geojson", ".json"),
    "gpkg": (".gpkg",),
    "shapefile": (".zip",),
    "shp": (".shp",),
    "csv": (".csv", ".txt"),
    "xlsx": (".xlsx",),
    "kml": (".kml",),
    "gpx": (".gpx",),
    "geotiff": (".tif", ".tiff"),
    "osm_pbf": (".pbf",),
    "jpeg": (".jpg", ".jpeg"),
    "png": (".png",),
    "webp": (".webp",),
    "pdf": (".pdf",),
    "docx": (".docx",),
    "text": (".txt", ".csv", ".md"),
}
#: Extensions of formats that are never read, so a name with one never passes.
REFUSED_SUFFIXES = frozenset(
    (".vrt", ".xml", ".html", ".htm", ".svg", ".sqlite", ".db", ".exe", ".dll", ".so", ".sh",
     ".bat", ".js", ".xls", ".xlsm", ".doc", ".gif", ".ovf", ".dbf", ".shx")
)  # fmt: skip

_SHAPEFILE_PARTS = frozenset((".shp", ".shx", ".dbf", ".prj", ".cpg"))
_SHAPEFILE_EXTRAS = frozenset((".xml", ".qmd", ".sbn", ".sbx", ".qix", ".fix"))
_XML_DECL = re.compile(rb"^\s*(<\?xml[^>]*\?>)?\s*", re.S)


def sniff(path: str | Path) -> Kind:
    """The kind of the file at ``path``, judged by its content.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("wb", suffix=".geojson", delete=False) as f:
    ...     _ = f.write(b'<OGRVRTDataSource></OGRVRTDataSource>')
    >>> sniff(f.name).code
    'vrt'
    >>> os.unlink(f.name)
    """
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if not head:
        return EMPTY
    kind = _binary(head) or _packed(path, head)
    if kind is not None:
        return kind
    return _textual(head)


def _binary(head: bytes) -> Kind | None:
    if head.startswith(b"SQLite format 3\x00"):
        # GeoPackage: application_id 'GPKG' (0x47504B47) at offset 68; older 'GP10'/'GP11'.
        return GPKG if head[68:72] in (b"GPKG", b"GP10", b"GP11") else SQLITE
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return GEOTIFF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"\x00\x00\x27\x0a":
        return SHP_MAIN
    if head.startswith(b"%PDF-"):
        return PDF
    if (
        head[:2] == b"MZ"
        or head[:4] == b"\x7fELF"
        or head[:4] in (b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xca\xfe\xba\xbe")
    ):
        return EXECUTABLE
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if _is_osm_pbf(head):
        return OSM_PBF
    return None


def _is_osm_pbf(head: bytes) -> bool:
    """An OSM PBF starts with a 4-byte BlobHeader length and a BlobHeader whose first field
    (type, tag 0x0A) is the string ``OSMHeader``."""
    if len(head) < 15:
        return False
    size = int.from_bytes(head[:4], "big")
    return 0 < size < 64 * 1024 and head[4] == 0x0A and head[5] == 9 and head[6:15] == b"OSMHeader"


def _packed(path: Path, head: bytes) -> Kind | None:
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return ZIP
    if "[Content_Types].xml" in names:
        if "xl/workbook.xml" in names:
            return XLSX
        if "word/document.xml" in names:
            return DOCX
        return ZIP
    suffixes = {Path(n).suffix.lower() for n in names if not n.endswith("/")}
    if ".shp" in suffixes and suffixes <= _SHAPEFILE_PARTS | _SHAPEFILE_EXTRAS:
        return SHAPEFILE_ZIP
    return ZIP


def _textual(head: bytes) -> Kind:
    if b"\x00" in head:
        return BINARY
    text = _decode(head)
    if text is None:
        return UNKNOWN_TEXT
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        return _xml(head)
    if stripped[:1] in ("{", "["):
        return GEOJSON  # confirmed (or refused) by the GeoJSON check, which parses it whole
    return CSV


def _decode(head: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as exc:
            # the head may end inside a multi-byte character
            if exc.start >= len(head) - 4:
                return head[: exc.start].decode(encoding, errors="replace")
    return None


def _xml(head: bytes) -> Kind:
    lowered = head.lower()
    if b"<!doctype html" in lowered[:512] or re.search(rb"<html[\s>]", lowered[:2048]):
        return HTML
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        return XML_DOCTYPE
    body = head[_XML_DECL.match(head).end() :]  # type: ignore[union-attr]
    while body.startswith(b"<!--"):
        end = body.find(b"-->")
        body = body[end + 3 :].lstrip() if end >= 0 else b""
    root = re.match(rb"<\s*([A-Za-z_][\w.:-]*)", body)
    name = root.group(1).split(b":")[-1].lower() if root else b""
    if name in (b"ogrvrtdatasource", b"vrtdataset"):
        return VRT
    if name == b"svg":
        return SVG
    if name in (b"kml", b"gpx"):
        return KML if name == b"kml" else GPX
    return XML
